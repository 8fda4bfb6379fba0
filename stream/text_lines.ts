/**
 * The text data frame, for viewers that did not ask for binary frames (the
 * seed's page, `websocat`): a line `ID X Y` a point, each number as
 * JavaScript writes it (`String(value)`).
 *
 * The lines are written as bytes into one buffer and made a string once a
 * frame. A string built a line at a time is a rope that sending flattens
 * again, and a whole number (an id, an index) costs no conversion here.
 *
 * @module
 */

const SPACE = 0x20;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;
/** More than a line takes: two numbers of at most 25 characters, a 32-bit id, two spaces. */
const MAX_LINE_BYTES = 80;
const FIRST_BYTES = 16 * 1024;
/** Past this, a frame much smaller than the room gives most of the room back. */
const KEEP_BYTES = 1024 * 1024;

const decoder = new TextDecoder();

/** Text lines `ID X Y`, written as they come, taken as one string. */
export class TextLines {
  /** No room until the first line: a join with nothing to send allocates nothing. */
  #bytes = new Uint8Array(0);
  #length = 0;

  /** Writes the line of one point; `id` is a series id (a small whole number). */
  add(id: number, x: number, y: number): void {
    if (this.#length + MAX_LINE_BYTES > this.#bytes.length) this.#grow();
    const bytes = this.#bytes;
    let at = writeNumber(bytes, this.#length, id);
    bytes[at++] = SPACE;
    at = writeNumber(bytes, at, x);
    bytes[at++] = SPACE;
    at = writeNumber(bytes, at, y);
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
    this.#length = 0;
    return text;
  }

  /** Forgets what was written, keeping the room. */
  clear(): void {
    this.#length = 0;
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

/** Writes `value` as `String(value)` does at `bytes[at]`; returns the index after it. */
function writeNumber(bytes: Uint8Array, at: number, value: number): number {
  // A whole number in 32 bits (-0 included, which String writes as 0): digits by integer math.
  if ((value | 0) === value) {
    let rest = value | 0;
    if (rest < 0) {
      bytes[at++] = MINUS;
      // -2^31 has no 32-bit opposite: its last digit first, then the rest as positive.
      if (rest === -2147483648) {
        at = writeNumber(bytes, at, 214748364);
        bytes[at++] = ZERO + 8;
        return at;
      }
      rest = -rest;
    }
    const start = at;
    do {
      const next = (rest / 10) | 0;
      bytes[at++] = ZERO + rest - next * 10;
      rest = next;
    } while (rest > 0);
    // The digits went in last first.
    for (let left = start, right = at - 1; left < right; left++, right--) {
      const digit = bytes[left]!;
      bytes[left] = bytes[right]!;
      bytes[right] = digit;
    }
    return at;
  }
  const text = String(value);
  for (let index = 0; index < text.length; index++) bytes[at++] = text.charCodeAt(index);
  return at;
}
