/**
 * The header lines a columns reader has seen, newest first, and the names
 * each row shape got from them: a shape's names are fixed the first time it
 * is seen, so a later line of words never renames a series (columns.ts).
 *
 * @module
 */

import {
  alignHeader,
  type Header,
  type Token,
  uniqueNames,
  withoutCommentMark,
} from "./headers.ts";
import { isTimeName } from "./x_choice.ts";

/** Headers remembered for rows to choose from. */
const MAX_HEADERS = 8;
/** Row shapes whose names are remembered. */
const MAX_SHAPES = 1024;

/** Header lines, and the names given to each row shape. */
export class HeaderBook {
  #headers: Header[] = [];
  readonly #shapes = new Map<string, string[]>();

  /** The headers, newest first. */
  get headers(): readonly Header[] {
    return this.#headers;
  }

  /** Keeps a line of words as the newest header (a comment mark before it is none); a sentence is none. */
  remember(line: Token[]): void {
    const tokens = withoutCommentMark(line);
    const last = tokens[tokens.length - 1];
    // A sentence is a banner (ping's "… bytes of data."), not a header.
    if (!last || /[.!?]$/.test(last.text)) return;
    const words = tokens.map((token) => token.text);
    const key = words.join(" ");
    this.#headers = this.#headers.filter((header) => header.words.join(" ") !== key);
    this.#headers.unshift({
      words,
      starts: tokens.map((token) => token.start),
      ends: tokens.map((token) => token.end),
    });
    if (this.#headers.length > MAX_HEADERS) this.#headers.pop();
  }

  /**
   * Names for a row of `count` values after `labels` label (or time) columns
   * and labelled `label`, fixed the first time the shape is seen; a
   * timestamp of two words may have `spans` more header words (`date time`).
   */
  namesFor(
    label: string,
    labels: number,
    count: number,
    starts: number[],
    ends: number[],
    spans = 0,
  ): string[] {
    const key = `${label}\u0000${count}`;
    const known = this.#shapes.get(key);
    if (known) return known;
    let names: string[] | undefined;
    for (const header of this.#headers) {
      names = alignHeader(header, labels, count, starts, ends, spans);
      if (names) break;
    }
    if (label !== "" && count === 1 && !names) {
      // `temp 21.5`: one number after a label is the label's own series.
      names = [label];
    } else {
      names = names
        ? uniqueNames(names)
        : Array.from({ length: count }, (_, column) => String(column));
      if (label !== "") names = names.map((name) => `${label}.${name}`);
    }
    if (this.#shapes.size < MAX_SHAPES) this.#shapes.set(key, names);
    return names;
  }

  /**
   * Whether the header over a row of `count` columns names its first as a time (`time`, `ts`;
   * `rx_bytes` is a count); with no header that fits, whether it holds one is the number's say.
   */
  namesFirstAsTime(count: number, starts: number[], ends: number[]): boolean {
    for (const header of this.#headers) {
      const names = alignHeader(header, 0, count, starts, ends);
      if (names) return isTimeName(names[0] as string);
    }
    return true;
  }
}
