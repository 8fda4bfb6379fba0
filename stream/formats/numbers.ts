/**
 * Number scanning on a slice of a line, without slicing it: the hot path of
 * every reader. A decimal whose digits make an integer below 2^53 (up to 15
 * digits always, 16 mostly: a millisecond timestamp with 3 decimals) and
 * whose exponent is small is computed exactly from its digits (one correctly
 * rounded multiply or divide, Clinger's fast path); anything longer goes to
 * `Number()`, which is exact too. Hex, `Infinity` words and the like are
 * not numbers here; `1e400` is, and comes out as Infinity for the sink to
 * refuse.
 *
 * @module
 */

/** Where the last `scanNumber` stopped: the index after the number's last character. */
export const scanned = { end: 0 };

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, power) => 10 ** power);
/** Digits accumulate exactly while below this; a value at or above it may have been rounded. */
const EXACT_MANTISSA_LIMIT = 2 ** 53;
const MAX_SPACED_UNIT = 4;
/** Digits gathered as a small integer before they join the mantissa: 10^8 - 1 fits in 31 bits. */
const PART_DIGITS = 8;
const PART_SCALE = 10 ** PART_DIGITS;

/**
 * Reads a decimal number at `start` (`[+-]digits[.digits][e[+-]digits]`,
 * `.5` and `5.` too) and returns it, setting `scanned.end`; returns NaN,
 * with `scanned.end = start`, when no number starts there.
 */
export function scanNumber(text: string, start: number, end: number): number {
  let index = start;
  let negative = false;
  let code = index < end ? text.charCodeAt(index) : 0;
  if (code === 45 || code === 43) {
    negative = code === 45;
    code = ++index < end ? text.charCodeAt(index) : 0;
  }
  // Digits gather in `part`, a small integer, and fold into `mantissa` eight at a time:
  // a chain of float multiply-adds, one a digit, was most of a long number's cost.
  let mantissa = 0;
  let part = 0;
  let partDigits = 0;
  let exponent = 0;
  let sawDigit = false;
  while (code >= 48 && code <= 57) {
    sawDigit = true;
    part = (part * 10 + (code - 48)) | 0;
    if (++partDigits === PART_DIGITS) {
      mantissa = mantissa * PART_SCALE + part;
      part = partDigits = 0;
    }
    code = ++index < end ? text.charCodeAt(index) : 0;
  }
  if (code === 46) {
    code = ++index < end ? text.charCodeAt(index) : 0;
    while (code >= 48 && code <= 57) {
      sawDigit = true;
      part = (part * 10 + (code - 48)) | 0;
      if (++partDigits === PART_DIGITS) {
        mantissa = mantissa * PART_SCALE + part;
        part = partDigits = 0;
      }
      exponent--;
      code = ++index < end ? text.charCodeAt(index) : 0;
    }
  }
  mantissa = mantissa * (POWERS_OF_TEN[partDigits] as number) + part;
  if (!sawDigit) {
    scanned.end = start;
    return NaN;
  }
  if (code === 101 || code === 69) {
    let at = index + 1;
    let sign = 1;
    let next = at < end ? text.charCodeAt(at) : 0;
    if (next === 45 || next === 43) {
      sign = next === 45 ? -1 : 1;
      next = ++at < end ? text.charCodeAt(at) : 0;
    }
    if (next >= 48 && next <= 57) {
      let power = 0;
      while (next >= 48 && next <= 57) {
        if (power < 100_000) power = power * 10 + (next - 48);
        next = ++at < end ? text.charCodeAt(at) : 0;
      }
      exponent += sign * power;
      index = at;
    }
  }
  scanned.end = index;
  let value: number;
  if (mantissa === 0) value = 0;
  // Every step of the sums above is exact while it stays below 2^53, and rounding never takes
  // a sum at or past 2^53 back below it: a mantissa below it is the digits' exact value.
  else if (mantissa >= EXACT_MANTISSA_LIMIT || exponent > 22 || exponent < -22) {
    return Number(text.slice(start, index));
  } else if (exponent < 0) value = mantissa / (POWERS_OF_TEN[-exponent] as number);
  else value = mantissa * (POWERS_OF_TEN[exponent] as number);
  return negative ? -value : value;
}

const digitsDecoder = new TextDecoder();

/**
 * `scanNumber` on bytes (`bytes[start, end)`, ASCII): the same grammar and
 * the same value, bit for bit (a test holds the two to it), for the readers'
 * fast path on raw input, which never makes a string of the line.
 */
export function scanNumberBytes(bytes: Uint8Array, start: number, end: number): number {
  let index = start;
  let negative = false;
  let code = index < end ? bytes[index]! : 0;
  if (code === 45 || code === 43) {
    negative = code === 45;
    code = ++index < end ? bytes[index]! : 0;
  }
  let mantissa = 0;
  let part = 0;
  let partDigits = 0;
  let exponent = 0;
  let sawDigit = false;
  while (code >= 48 && code <= 57) {
    sawDigit = true;
    part = (part * 10 + (code - 48)) | 0;
    if (++partDigits === PART_DIGITS) {
      mantissa = mantissa * PART_SCALE + part;
      part = partDigits = 0;
    }
    code = ++index < end ? bytes[index]! : 0;
  }
  if (code === 46) {
    code = ++index < end ? bytes[index]! : 0;
    while (code >= 48 && code <= 57) {
      sawDigit = true;
      part = (part * 10 + (code - 48)) | 0;
      if (++partDigits === PART_DIGITS) {
        mantissa = mantissa * PART_SCALE + part;
        part = partDigits = 0;
      }
      exponent--;
      code = ++index < end ? bytes[index]! : 0;
    }
  }
  mantissa = mantissa * (POWERS_OF_TEN[partDigits] as number) + part;
  if (!sawDigit) {
    scanned.end = start;
    return NaN;
  }
  if (code === 101 || code === 69) {
    let at = index + 1;
    let sign = 1;
    let next = at < end ? bytes[at]! : 0;
    if (next === 45 || next === 43) {
      sign = next === 45 ? -1 : 1;
      next = ++at < end ? bytes[at]! : 0;
    }
    if (next >= 48 && next <= 57) {
      let power = 0;
      while (next >= 48 && next <= 57) {
        if (power < 100_000) power = power * 10 + (next - 48);
        next = ++at < end ? bytes[at]! : 0;
      }
      exponent += sign * power;
      index = at;
    }
  }
  scanned.end = index;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (mantissa >= EXACT_MANTISSA_LIMIT || exponent > 22 || exponent < -22) {
    return Number(digitsDecoder.decode(bytes.subarray(start, index)));
  } else if (exponent < 0) value = mantissa / (POWERS_OF_TEN[-exponent] as number);
  else value = mantissa * (POWERS_OF_TEN[exponent] as number);
  return negative ? -value : value;
}

/**
 * Returns true when `text[start, end)` is a unit written after a number: `ms`,
 * `%`, `°C`, `*C`, `kB/s`. The tail of a hex literal is none: `0xff` is no 0 in `xff`.
 */
export function isUnit(text: string, start: number, end: number): boolean {
  if (start >= end || end - start > 8) return false;
  if (isHexTail(text, start, end)) return false;
  // `*C`, `*F`: a `*` for the degree sign, as Adafruit's sketches print it.
  if (text.charCodeAt(start) === 42) {
    const scale = text.charCodeAt(start + 1);
    return end - start === 2 && (scale === 67 || scale === 70);
  }
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    const letter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    // %, /, °, µ, ², ³, Greek mu.
    const sign = code === 37 || code === 47 || code === 0xb0 || code === 0xb5 || code === 0xb2 ||
      code === 0xb3 || code === 0x3bc;
    if (!letter && !sign) return false;
  }
  // A lone slash is not a unit, and `2/345` is a fraction, not 2 per "345".
  return !(end - start === 1 && text.charCodeAt(start) === 47);
}

/**
 * Why a value alone written in hex is skipped (an MQTT payload), or a line of
 * words with one (`0xff`, `reg 0x3F`: no header); among numbers it is refused.
 */
export const HEX_NUMBER = "a hex number (0x…): only decimal numbers are read";

/** Returns true when `text` is a hex literal (`0xff`, `-0x1F`), which no format reads as a number. */
export function isHexNumber(text: string): boolean {
  return HEX_LITERAL.test(text);
}

const HEX_LITERAL = /^[-+]?0[xX][\da-fA-F]+$/;

/** `x` (or `X`) and hex letters right after a `0`: what is left of `0xff` after its `0`. */
function isHexTail(text: string, start: number, end: number): boolean {
  const code = text.charCodeAt(start);
  if ((code !== 120 && code !== 88) || start === 0 || text.charCodeAt(start - 1) !== 48) {
    return false;
  }
  if (end - start === 1) return false;
  for (let index = start + 1; index < end; index++) {
    const letter = text.charCodeAt(index) | 32;
    if (letter < 97 || letter > 102) return false;
  }
  return true;
}

/** Returns true when `text` is a short unit written apart from its number: `%` in `30 %`, `MiB`. */
export function isSpacedUnit(text: string): boolean {
  return text.length <= MAX_SPACED_UNIT && isUnit(text, 0, text.length);
}

/**
 * Reads a whole cell or token as a number, a unit allowed after it
 * (`19.16C`, `44.8%`, `30 %`). Returns NaN when it is not one.
 */
export function parseValue(text: string, start = 0, end = text.length): number {
  const value = scanNumber(text, start, end);
  let at = scanned.end;
  if (at === end || at === start) return at === start ? NaN : value;
  if (text.charCodeAt(at) !== 32) return isUnit(text, at, end) ? value : NaN;
  while (at < end && text.charCodeAt(at) === 32) at++;
  // After a space only a short unit (`30 %`, `1024 MiB`): `5 failed` is words.
  return end - at <= MAX_SPACED_UNIT && isUnit(text, at, end) ? value : NaN;
}

/** Digits grouped by thousands separators, `1,234` or `-12,345,678`, and a decimal part. */
const GROUPED = /^([-+]?\d{1,3}(?:,\d{3})+)(?![\d,])(\.\d+)?/;

/**
 * Reads a number written with thousands separators where they cannot be a
 * decimal comma, two of them or a decimal point after (`1,234.50`,
 * `12,345,678`, a unit allowed after it), as `parseValue` would without
 * them. `1,234` may be 1.234: NaN, as for anything else.
 */
export function parseGrouped(text: string): number {
  const grouped = GROUPED.exec(text);
  const groups = grouped?.[1];
  if (!grouped || !groups) return NaN;
  if (grouped[2] === undefined && groups.indexOf(",") === groups.lastIndexOf(",")) return NaN;
  return parseValue(groups.replaceAll(",", "") + text.slice(groups.length));
}

/** Returns true when the text stands for a missing value: empty, `nan`, `-`, `null`, `NA`. */
export function isGap(text: string): boolean {
  if (text.length > 4) return false;
  if (text === "" || text === "-") return true;
  const lower = text.toLowerCase();
  return lower === "nan" || lower === "-nan" || lower === "null" || lower === "na" ||
    lower === "n/a";
}

/** Returns ±Infinity for the words `inf` and `infinity` (any case, signed), else NaN. */
export function parseInfinity(text: string): number {
  const lower = text.toLowerCase();
  const unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.slice(1) : lower;
  if (unsigned !== "inf" && unsigned !== "infinity") return NaN;
  return lower.startsWith("-") ? -Infinity : Infinity;
}
