/**
 * A line of plain numbers (`1 2.5 -3e2`, spaces or tabs between), read into
 * one reused array: the columns reader's fast path, from text or straight
 * from the input's bytes.
 *
 * @module
 */

import { scanned, scanNumber, scanNumberBytes } from "./numbers.ts";

/** The numbers of the last line scanned, in `values`. */
export class NumberRow {
  values = new Float64Array(64);
  readonly #maxNumbers: number;

  /** A line of more than `maxNumbers` numbers is something else. */
  constructor(maxNumbers: number) {
    this.#maxNumbers = maxNumbers;
  }

  /** Reads `line` into `values`: how many numbers, 0 when blank, -1 when it is something else. */
  scan(line: string): number {
    const length = line.length;
    let values = this.values;
    let count = 0;
    let index = 0;
    for (;;) {
      let code = index < length ? line.charCodeAt(index) : -1;
      while (code === 32 || code === 9) code = ++index < length ? line.charCodeAt(index) : -1;
      if (code === -1) return count;
      const value = scanNumber(line, index, length);
      const end = scanned.end;
      if (end === index) return line.trim() === "" ? 0 : -1;
      if (end < length) {
        const after = line.charCodeAt(end);
        if (after !== 32 && after !== 9) return -1;
      }
      if (count === values.length) {
        if (count >= this.#maxNumbers) return -1;
        const grown = new Float64Array(count * 2);
        grown.set(values);
        values = this.values = grown;
      }
      values[count++] = value;
      index = end;
    }
  }

  /**
   * `scan` on the line `bytes[start, end)`, for lines whose numbers fit in
   * `values` as it is (a row shape already seen); else -1.
   */
  scanBytes(bytes: Uint8Array, start: number, end: number): number {
    const values = this.values;
    let count = 0;
    let index = start;
    for (;;) {
      let code = index < end ? bytes[index]! : -1;
      while (code === 32 || code === 9) code = ++index < end ? bytes[index]! : -1;
      if (code === -1) return count;
      const value = scanNumberBytes(bytes, index, end);
      const after = scanned.end;
      if (after === index || count === values.length) return -1;
      if (after < end && bytes[after] !== 32 && bytes[after] !== 9) return -1;
      values[count++] = value;
      index = after;
    }
  }
}
