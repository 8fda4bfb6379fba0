/**
 * Timestamps found in data, as seconds since the Unix epoch: ISO 8601 with
 * or without a zone (no zone = local time; `T` or a space between date and
 * time; nvidia-smi's `2024/01/15 10:23:45.123` too; a day-first dotted date,
 * `07.12.2026 10:00:00`, which is never month first), a clock time
 * `HH:MM:SS[.fff]` with an optional AM/PM (on the local day nearest the
 * line's arrival, so a stream may cross midnight), and epoch seconds,
 * milliseconds, microseconds or nanoseconds, told apart by size: only values
 * between 2000 and 2100 count, and those ranges do not overlap.
 *
 * @module
 */

const YEAR_2000_SECONDS = 946_684_800;
const YEAR_2100_SECONDS = 4_102_444_800;
const DAY_SECONDS = 86_400;

const ISO =
  /^(\d{4})([-/])(\d{2})\2(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)? ?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?: ?([AaPp])\.?[Mm]\.?)?$/;
/** A day-first dotted date, and a time after it: `07.12.2026`, `7.12.2026 10:00:00`. */
const DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})([T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/;

/** Seconds for an epoch number in seconds, ms, µs or ns dated 2000–2100; else undefined. */
export function epochSeconds(value: number): number | undefined {
  if (!(value >= YEAR_2000_SECONDS)) return undefined;
  for (const scale of [1, 1e3, 1e6, 1e9]) {
    if (value >= YEAR_2000_SECONDS * scale && value <= YEAR_2100_SECONDS * scale) {
      return value / scale;
    }
  }
  return undefined;
}

/**
 * Seconds for an epoch written as an integer, exact to the digit where a
 * double could not hold the whole number (ns since the epoch need 19 digits).
 */
export function epochFromDigits(digits: string): number | undefined {
  const value = Number(digits);
  const seconds = epochSeconds(value);
  if (seconds === undefined || digits.length <= 15) return seconds;
  // Whole seconds from the leading digits, the rest as a fraction.
  const fractionDigits = Math.round(Math.log10(value / seconds));
  const split = digits.length - fractionDigits;
  return Number(digits.slice(0, split)) + Number(digits.slice(split)) / 10 ** fractionDigits;
}

/** Returns true when `text` looks like a clock time `HH:MM:SS[.fff]` (no AM/PM). */
export function isClock(text: string): boolean {
  return CLOCK.test(text) && !/[ap]/i.test(text);
}

/** Returns true for `AM`, `PM`, `a.m.`, `p.m.` in any case. */
export function isMeridiem(text: string): boolean {
  return /^[AaPp]\.?[Mm]\.?$/.test(text);
}

/** Returns true when `text` is an ISO 8601, slashed or day-first dotted date alone: `2024-01-15`. */
export function isDate(text: string): boolean {
  return /^\d{4}([-/])\d{2}\1\d{2}$/.test(text) || /^\d{1,2}\.\d{1,2}\.\d{4}$/.test(text);
}

/** Seconds since midnight for a time of day: `10:00:00.5`, `8:04:18 PM`, `10:00`; else undefined. */
export function timeOfDay(text: string): number | undefined {
  const match = CLOCK.exec(/^\d{1,2}:\d{2}$/.test(text) ? `${text}:00` : text);
  return match ? secondsOfDay(match) : undefined;
}

/**
 * Parses a timestamp written as text (ISO 8601, a clock time, or an epoch
 * number) into seconds since the epoch; undefined when it is none.
 */
export function parseTimestamp(text: string, arrival: number): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const separator = trimmed.charCodeAt(4);
  if (trimmed.length >= 10 && (separator === 45 || separator === 47)) {
    const iso = parseIso(trimmed);
    if (iso !== undefined) return iso;
  }
  if (trimmed.charCodeAt(1) === 46 || trimmed.charCodeAt(2) === 46) {
    const dotted = DOTTED.exec(trimmed);
    if (dotted) {
      const [, day, month, year, time] = dotted as unknown as string[];
      return parseIso(`${year}-${month?.padStart(2, "0")}-${day?.padStart(2, "0")}${time ?? ""}`);
    }
  }
  const clock = parseClock(trimmed, arrival);
  if (clock !== undefined) return clock;
  if (/^\d+$/.test(trimmed)) return epochFromDigits(trimmed);
  if (!/^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  return epochSeconds(Number(trimmed));
}

function parseIso(text: string): number | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, year, , month, day, hour, minute, second, fraction, zone] = match;
  const parts = [year, month, day, hour ?? "0", minute ?? "0", second ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const subsecond = fraction ? Number(`0.${fraction}`) : 0;
  if (zone === undefined) {
    return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000 + subsecond;
  }
  const utc = Date.UTC(y, mo - 1, d, h, mi, s) / 1000 + subsecond;
  if (zone === "Z" || zone === "z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offset = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || "0") * 60;
  return utc - sign * offset;
}

let midnightBase = NaN;
let nextMidnight = NaN;

function parseClock(text: string, arrival: number): number | undefined {
  const match = CLOCK.exec(text);
  const ofDay = match ? secondsOfDay(match) : undefined;
  return ofDay === undefined ? undefined : onNearestDay(ofDay, arrival);
}

/** Seconds since midnight for a match of CLOCK; undefined when it is no time of day (25:00:00). */
function secondsOfDay(match: RegExpExecArray): number | undefined {
  const [, hourText, minuteText, secondText, fraction, meridiem] = match;
  let hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  if (minute > 59 || second > 60) return undefined;
  if (meridiem) {
    if (hour < 1 || hour > 12) return undefined;
    hour = hour % 12 + (meridiem === "p" || meridiem === "P" ? 12 : 0);
  } else if (hour > 23) return undefined;
  return hour * 3600 + minute * 60 + second + (fraction ? Number(`0.${fraction}`) : 0);
}

/** Places a time of day on the local day that puts it nearest to `arrival`. */
function onNearestDay(ofDay: number, arrival: number): number {
  // One Date per local day, not per line (a day of a clock change is not 86,400 s).
  if (!(arrival >= midnightBase && arrival < nextMidnight)) {
    const date = new Date(arrival * 1000);
    date.setHours(0, 0, 0, 0);
    midnightBase = date.getTime() / 1000;
    date.setDate(date.getDate() + 1);
    nextMidnight = date.getTime() / 1000;
  }
  let at = midnightBase + ofDay;
  if (nextMidnight - midnightBase !== DAY_SECONDS) {
    // The clocks change today: the wall clock is an hour off after the change.
    const midnightOffset = new Date(midnightBase * 1000).getTimezoneOffset();
    at += (new Date(at * 1000).getTimezoneOffset() - midnightOffset) * 60;
  }
  if (at - arrival > DAY_SECONDS / 2) return at - DAY_SECONDS;
  if (arrival - at > DAY_SECONDS / 2) return at + DAY_SECONDS;
  return at;
}
