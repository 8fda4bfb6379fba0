/**
 * The text data frame, for viewers that did not ask for binary frames (the
 * seed's page, `websocat`): a line `ID X Y` a point, each number as
 * JavaScript writes it (`String(value)`).
 *
 * The lines are written as bytes into one buffer and made a string once a
 * frame. A string built a line at a time is a rope that sending flattens
 * again. Numbers are written by integer math where that is exact (whole
 * numbers, and decimals up to 2^52 with at most nine decimals; `String` writes
 * the rest), and an x or y equal to the one before it is copied. Against
 * `String` for each number: 154 against 111 ns a point for 16-digit decimals
 * that all differ, 78 against 49 when each repeats (as a row's x does for
 * its series), in one process on the bench machine.
 *
 * @module
 */

const SPACE = 0x20;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;
const DOT = 0x2e;
/** More than a line takes: two numbers of at most 25 characters, a 32-bit id, two spaces. */
const MAX_LINE_BYTES = 80;
const FIRST_BYTES = 16 * 1024;
/** Past this, a frame much smaller than the room gives most of the room back. */
const KEEP_BYTES = 1024 * 1024;

const decoder = new TextDecoder();

/** 10^0 to 10^9, and the most decimals written without `String`. */
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const MAX_DECIMALS = 9;
/** Numbers written by integer math stay below this, and so do their digits as one whole number. */
const FIXED_LIMIT = 2 ** 52;
/** The digits of one number, last first (a number below 2^52 has at most 16). */
const DIGITS = new Uint8Array(16);
/**
 * How many decimals the last number written that way had: a source's numbers
 * mostly share it, so the search starts there. A hint only: any start finds
 * the same answer.
 */
let lastDecimals = 0;

/** Text lines `ID X Y`, written as they come, taken as one string. */
export class TextLines {
  /** No room until the first line: a join with nothing to send allocates nothing. */
  #bytes = new Uint8Array(0);
  #length = 0;

  /**
   * Where the last x and the last y were written, [start, end) in `#bytes`
   * (end 0: nowhere since the last take). A row's series share its x, and a
   * value often repeats the one before it: those are copied, not written again.
   */
  #lastX = 0;
  #xStart = 0;
  #xEnd = 0;
  #lastY = 0;
  #yStart = 0;
  #yEnd = 0;

  /** Writes the line of one point; `id` is a series id (a small whole number). */
  add(id: number, x: number, y: number): void {
    if (this.#length + MAX_LINE_BYTES > this.#bytes.length) this.#grow();
    const bytes = this.#bytes;
    let at = writeWhole(bytes, this.#length, id);
    bytes[at++] = SPACE;
    if (x === this.#lastX && this.#xEnd > 0) at = copy(bytes, at, this.#xStart, this.#xEnd);
    else {
      this.#lastX = x;
      this.#xStart = at;
      at = writeNumber(bytes, at, x);
      this.#xEnd = at;
    }
    bytes[at++] = SPACE;
    if (y === this.#lastY && this.#yEnd > 0) at = copy(bytes, at, this.#yStart, this.#yEnd);
    else {
      this.#lastY = y;
      this.#yStart = at;
      at = writeNumber(bytes, at, y);
      this.#yEnd = at;
    }
    bytes[at++] = NEWLINE;
    this.#length = at;
  }

  /** The lines written since the last take, as one string ("" when none), and empty again. */
  take(): string {
    if (this.#length === 0) return "";
    const text = decoder.decode(this.#bytes.subarray(0, this.#length));
    if (this.#bytes.length > KEEP_BYTES && this.#length * 4 < this.#bytes.length) {
      this.#bytes = new Uint8Array(Math.max(FIRST_BYTES, this.#length * 2));
    }
    this.#length = this.#xEnd = this.#yEnd = 0;
    return text;
  }

  /** Forgets what was written, keeping the room. */
  clear(): void {
    this.#length = this.#xEnd = this.#yEnd = 0;
  }

  #grow(): void {
    const grown = new Uint8Array(Math.max(FIRST_BYTES, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/** Runs for whole series at once (a viewer's join window) as lines, ids in the order given. */
export function linesOfRuns(runs: { id: number; xs: Float64Array; ys: Float64Array }[]): string {
  const lines = new TextLines();
  for (const { id, xs, ys } of runs) {
    for (let i = 0; i < xs.length; i++) lines.add(id, xs[i]!, ys[i]!);
  }
  return lines.take();
}

/** Copies `bytes[start, end)` to `bytes[at]`; returns the index after it. */
function copy(bytes: Uint8Array, at: number, start: number, end: number): number {
  for (let index = start; index < end; index++) bytes[at++] = bytes[index]!;
  return at;
}

/** Writes `value` as `String(value)` does at `bytes[at]`; returns the index after it. */
function writeNumber(bytes: Uint8Array, at: number, value: number): number {
  if ((value | 0) === value) return writeWhole(bytes, at, value);
  const fixed = fixedDecimals(value < 0 ? -value : value, lastDecimals);
  if (fixed >= 0) {
    lastDecimals = fixed;
    return writeFixed(bytes, at, value, fixed);
  }
  const text = String(value);
  for (let index = 0; index < text.length; index++) bytes[at++] = text.charCodeAt(index);
  return at;
}

/** A whole number in 32 bits (-0 included, which String writes as 0), digits by integer math. */
function writeWhole(bytes: Uint8Array, at: number, value: number): number {
  let rest = value | 0;
  if (rest < 0) {
    bytes[at++] = MINUS;
    // -2^31 has no 32-bit opposite: its last digit first, then the rest as positive.
    if (rest === -2147483648) {
      at = writeWhole(bytes, at, 214748364);
      bytes[at++] = ZERO + 8;
      return at;
    }
    rest = -rest;
  }
  const end = at + digitCount(rest);
  let index = end;
  do {
    const next = (rest / 10) | 0;
    bytes[--index] = ZERO + rest - next * 10;
    rest = next;
  } while (rest > 0);
  return end;
}

/** How many digits `value` (a whole number, 0 to 2^31 - 1) has. */
function digitCount(value: number): number {
  if (value < 100_000) {
    if (value < 100) return value < 10 ? 1 : 2;
    return value < 1000 ? 3 : value < 10_000 ? 4 : 5;
  }
  if (value < 10_000_000) return value < 1_000_000 ? 6 : 7;
  return value < 100_000_000 ? 8 : value < 1_000_000_000 ? 9 : 10;
}

/**
 * How many decimals (0 to 9) write `magnitude` (positive, not a 32-bit whole
 * number) exactly as `String` does, or -1 when that takes more, an exponent
 * or 17 digits: then `String` writes it. Trying `from` first, then the next.
 *
 * Why this is exact: with m = magnitude × 10^d a whole number below 2^52 and
 * m / 10^d === magnitude, the decimal m·10^-d reads back as `magnitude`, and
 * no other number of at most d decimals does (the gap between neighbouring
 * doubles there is under 10^-d). So it is the shortest text that reads back
 * as `magnitude`, which is what `String` writes, once its trailing zeros are
 * dropped. From 1e-6 on, `String` writes no exponent; 2^52 keeps it far
 * below 1e21, where one begins.
 */
function fixedDecimals(magnitude: number, from: number): number {
  if (!(magnitude >= 1e-6 && magnitude < FIXED_LIMIT)) return -1;
  for (
    let tries = 0, d = from;
    tries <= MAX_DECIMALS;
    tries++, d = d === MAX_DECIMALS ? 0 : d + 1
  ) {
    const scale = POWERS_OF_TEN[d]!;
    const whole = magnitude * scale;
    if (whole < FIXED_LIMIT && whole === Math.floor(whole) && whole / scale === magnitude) {
      return d;
    }
  }
  return -1;
}

/** Writes `value` with `decimals` decimals (`fixedDecimals` found them), trailing zeros dropped. */
function writeFixed(bytes: Uint8Array, at: number, value: number, decimals: number): number {
  if (value < 0) {
    bytes[at++] = MINUS;
    value = -value;
  }
  // Below 2^52: nine digits and the rest, each a 32-bit whole number.
  const whole = value * POWERS_OF_TEN[decimals]!;
  const high = Math.floor(whole / 1e9) | 0;
  let rest = (whole - high * 1e9) | 0;
  // Every digit, the last first: the low nine (zeros included) when there are more, then the rest.
  let count = 0;
  if (high > 0) {
    for (let k = 0; k < 9; k++) {
      const next = (rest / 10) | 0;
      DIGITS[count++] = rest - next * 10;
      rest = next;
    }
    rest = high;
  }
  do {
    const next = (rest / 10) | 0;
    DIGITS[count++] = rest - next * 10;
    rest = next;
  } while (rest > 0);
  let zeros = 0;
  while (zeros < decimals && DIGITS[zeros] === 0) zeros++;
  if (count <= decimals) bytes[at++] = ZERO;
  for (let k = count - 1; k >= decimals; k--) bytes[at++] = ZERO + DIGITS[k]!;
  if (zeros < decimals) {
    bytes[at++] = DOT;
    for (let k = decimals - 1; k >= zeros; k--) bytes[at++] = k < count ? ZERO + DIGITS[k]! : ZERO;
  }
  return at;
}
