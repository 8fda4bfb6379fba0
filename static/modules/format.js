/**
 * Number and time formatting for axes, legend and status: SI suffixes for
 * large and small values (`22.2M`, `3.1µ`), wall-clock time for time x.
 *
 * @module
 */

const PREFIXES = {
  "-24": "y",
  "-21": "z",
  "-18": "a",
  "-15": "f",
  "-12": "p",
  "-9": "n",
  "-6": "µ",
  "-3": "m",
  "0": "",
  "3": "k",
  "6": "M",
  "9": "G",
  "12": "T",
  "15": "P",
  "18": "E",
  "21": "Z",
  "24": "Y",
};

/** Values whose magnitude is within [PLAIN_LOW, PLAIN_HIGH) are written without a suffix. */
const PLAIN_LOW = 1e-3;
const PLAIN_HIGH = 1e4;

/**
 * The power of ten (a multiple of 3, or 0 for plain numbers) used to write
 * numbers of magnitude `magnitude`.
 * @param {number} magnitude
 * @returns {number}
 */
export function prefixExponent(magnitude) {
  if (!(magnitude > 0) || !Number.isFinite(magnitude)) return 0;
  if (magnitude >= PLAIN_LOW && magnitude < PLAIN_HIGH) return 0;
  const exponent = 3 * Math.floor(Math.log10(magnitude) / 3 + 1e-9);
  return Math.max(-24, Math.min(24, exponent));
}

/**
 * Decimals needed to tell apart values `step` apart, at most 12.
 * @param {number} step
 * @returns {number}
 */
function decimalsFor(step) {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  let decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  // Steps like 0.25 or 2.5 need one more digit than their magnitude says.
  while (decimals < 12) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(Math.round(scaled) - scaled) <= 1e-6 * scaled) break;
    decimals++;
  }
  return Math.min(12, decimals);
}

/**
 * Strips trailing zeros after a decimal point: `2.50` → `2.5`, `3.00` → `3`.
 * @param {string} text
 * @returns {string}
 */
function trimZeros(text) {
  const [mantissa = "", exponent] = text.split("e");
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

/** Beyond the prefixes (yocto to yotta): written as `1.62e+304`. */
function beyondPrefixes(/** @type {number} */ magnitude) {
  return magnitude >= 1e27 || magnitude < 1e-24;
}

/**
 * Steps between y ticks, 1, 2, 2.5 and 5 times each power of ten from 1e-32
 * (uPlot's own smallest) to 5e307: uPlot's own list ends at 5e31. Written as
 * uPlot writes its own, so the steps it knows are the same numbers.
 * @type {number[]}
 */
export const TICK_STEPS = [];
for (let exponent = -32; exponent <= 307; exponent++) {
  for (const mult of [1, 2, 2.5, 5]) TICK_STEPS.push(+`${mult}e${exponent}`);
}

/**
 * The ticks `step` apart within [min, max], as whole multiples of the step,
 * worked out the same way at every magnitude (uPlot's own rounds by the
 * decimals it keeps for its own steps, which ours past 5e31 are not).
 * @param {number} min
 * @param {number} max
 * @param {number} step
 * @returns {number[]}
 */
export function tickSplits(min, max, step) {
  if (!(step > 0) || !(max >= min)) return [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks = [];
  for (let k = first; k <= last && ticks.length < 1000; k++) ticks.push(k === 0 ? 0 : k * step);
  return ticks;
}

/**
 * Axis labels for ticks `values` that are `step` apart: one suffix for all,
 * with as many decimals as the step needs, so 1e9 + 2 keeps its digits.
 * @param {number[]} values
 * @param {number} step
 * @returns {string[]}
 */
export function formatTicks(values, step) {
  let magnitude = 0;
  for (const value of values) {
    if (value !== null && Number.isFinite(value)) magnitude = Math.max(magnitude, Math.abs(value));
  }
  const write = beyondPrefixes(magnitude)
    ? powerOfTenWriter(magnitude, step)
    : prefixWriter(magnitude, step);
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return "";
    if (Math.abs(value) < step * 1e-6) return "0";
    return write(value);
  });
}

/**
 * Writes ticks as powers of ten, with as many decimals as the step needs
 * after the largest value's first digit: `2.5e+33`.
 * @param {number} magnitude
 * @param {number} step
 * @returns {(value: number) => string}
 */
function powerOfTenWriter(magnitude, step) {
  const digits = decimalsFor(step / 10 ** Math.floor(Math.log10(magnitude)));
  return (value) => value.toExponential(digits);
}

/**
 * Writes ticks with one SI suffix for all and the decimals the step needs.
 * @param {number} magnitude
 * @param {number} step
 * @returns {(value: number) => string}
 */
function prefixWriter(magnitude, step) {
  let exponent = prefixExponent(magnitude);
  let decimals = decimalsFor(step / 10 ** exponent);
  if (exponent > 0 && decimals > 2) {
    // A fine step on a large value (1e9 + 2): write the step's own unit instead. A value with
    // no prefix or a small one keeps its decimals: 0.87055, not 870550µ.
    exponent = prefixExponent(step);
    decimals = decimalsFor(step / 10 ** exponent);
  }
  const suffix = PREFIXES[String(exponent)] ?? "";
  const scale = 10 ** exponent;
  return (value) => (value / scale).toFixed(decimals) + suffix;
}

/**
 * One value for the legend or a tooltip: up to `digits` significant digits,
 * integers up to 1e15 in full, SI suffixes for very small or large values.
 * @param {number | null | undefined} value
 * @param {number} [digits]
 * @returns {string}
 */
export function formatValue(value, digits = 6) {
  if (value === null || value === undefined) return "–";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e15) return String(value);
  if (magnitude >= PLAIN_LOW && magnitude < 1e15) {
    const integerDigits = Math.max(1, Math.floor(Math.log10(magnitude)) + 1);
    return trimZeros(value.toFixed(Math.max(0, Math.max(digits, integerDigits) - integerDigits)));
  }
  if (beyondPrefixes(magnitude)) return trimZeros(value.toExponential(digits - 1));
  const exponent = prefixExponent(magnitude);
  const suffix = PREFIXES[String(exponent)] ?? "";
  return trimZeros((value / 10 ** exponent).toPrecision(digits)) + suffix;
}

/**
 * Two-digit padding.
 * @param {number} n
 * @returns {string}
 */
function pad(n) {
  return String(n).padStart(2, "0");
}

/**
 * `YYYY-MM-DD` of a local date.
 * @param {Date} date
 * @returns {string}
 */
export function formatDate(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * Wall-clock time of `seconds` since the epoch: `18:04:05`, with
 * `decimals` digits of the second when asked (`18:04:05.250`).
 * @param {number} seconds
 * @param {number} [decimals]
 * @returns {string}
 */
export function formatClock(seconds, decimals = 0) {
  const date = new Date(seconds * 1000);
  let text = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (decimals > 0) {
    text += "." + String(date.getMilliseconds()).padStart(3, "0").slice(0, decimals);
  }
  return text;
}

/**
 * Time-axis labels: wall-clock time, with the date on the first tick and
 * wherever the date changes (on a second line).
 * @param {number[]} values seconds since the epoch
 * @param {number} step seconds between ticks
 * @returns {string[]}
 */
export function formatTimeTicks(values, step) {
  const decimals = step >= 1 ? 0 : Math.min(3, decimalsFor(step));
  let lastDate = "";
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return "";
    const date = formatDate(new Date(value * 1000));
    const clock = step >= 86400 ? "" : formatClock(value, decimals);
    if (date === lastDate) return clock;
    lastDate = date;
    return clock === "" ? date : `${clock}\n${date}`;
  });
}

/**
 * The hovered x for the legend: date and time with milliseconds for time x,
 * the value for other x.
 * @param {number} x
 * @param {string} kind "time" | "index" | "number"
 * @returns {string}
 */
export function formatX(x, kind) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (kind === "time") return `${formatDate(new Date(x * 1000))} ${formatClock(x, 3)}`;
  return formatValue(x, 10);
}

/**
 * Seconds as a short duration: `45s`, `10m`, `1.5h`.
 * @param {number} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds < 60) return `${Number(seconds.toPrecision(3))}s`;
  if (seconds < 3600) return `${Number((seconds / 60).toPrecision(3))}m`;
  if (seconds < 86400) return `${Number((seconds / 3600).toPrecision(3))}h`;
  return `${Number((seconds / 86400).toPrecision(3))}d`;
}

/**
 * A count with its noun: `1 line`, `2 lines`.
 * @param {number} count
 * @param {string} noun
 * @returns {string}
 */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Points per second for the status line: `1000`, `2.5`, `0.1`.
 * @param {number} rate
 * @returns {string}
 */
export function formatRate(rate) {
  if (rate >= 100) return String(Math.round(rate));
  if (rate >= 10) return rate.toFixed(1).replace(/\.0$/, "");
  return trimZeros(rate.toFixed(2));
}
