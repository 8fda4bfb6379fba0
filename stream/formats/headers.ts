/**
 * The pieces whitespace columns are read with: tokens with their positions,
 * what a token is (number, gap, fraction, word, label), a timestamp at the
 * start of a line, and how a header's words line up with a row's values.
 *
 * @module
 */

import { isGap, isHexNumber, parseInfinity, parseValue } from "./numbers.ts";
import { isClock, isDate, isMeridiem, parseTimestamp } from "./timestamps.ts";

/** A line of words with where each one starts and ends. */
export interface Header {
  words: string[];
  starts: number[];
  ends: number[];
}

/** One whitespace-separated token and its place on the line. */
export interface Token {
  text: string;
  start: number;
  end: number;
}

/**
 * Header words for a row's values after `labels` label (or time) columns, or
 * undefined when the header does not fit the row. A timestamp of two words
 * (`2026-12-07 10:00:00`) may have a header word each (`date time`): `spans`
 * more words before the values.
 */
export function alignHeader(
  header: Header,
  labels: number,
  count: number,
  starts: number[],
  ends: number[],
  spans = 0,
): string[] | undefined {
  const size = header.words.length;
  if (spans > 0 && size === labels + spans + count) return header.words.slice(labels + spans);
  if (size === labels + count) return header.words.slice(labels);
  if (size === count) return header.words.slice();
  if (size < count) return undefined;
  // Right-aligned columns under their headers: pair each value with the header it overlaps.
  const names: string[] = [];
  let next = 0;
  for (let column = 0; column < count; column++) {
    const start = starts[column] as number;
    const end = ends[column] as number;
    while (next < size && (header.ends[next] as number) <= start) next++;
    if (next >= size || (header.starts[next] as number) >= end) return undefined;
    let name = header.words[next++] as string;
    // One space joins a header of two words (docker's `CPU %`) short of the next value.
    const limit = starts[column + 1] ?? Infinity;
    while (
      next < size && header.starts[next] === (header.ends[next - 1] as number) + 1 &&
      (header.ends[next] as number) <= limit
    ) name += " " + header.words[next++];
    names.push(name);
  }
  return names;
}

/** Splits a line at whitespace, keeping where each token was. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  for (const match of line.matchAll(/\S+/g)) {
    tokens.push({ text: match[0], start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/** A timestamp in the first token or two: clock (+ AM/PM), ISO, or date then clock. */
export function leadingTimestamp(
  tokens: Token[],
  arrival: number,
): { seconds: number; tokens: number } | undefined {
  const first = tokens[0]?.text ?? "";
  const second = tokens[1]?.text;
  if (isClock(first)) {
    const meridiem = second !== undefined && isMeridiem(second);
    const seconds = parseTimestamp(meridiem ? `${first} ${second}` : first, arrival);
    return seconds === undefined ? undefined : { seconds, tokens: meridiem ? 2 : 1 };
  }
  if (isDate(first) && second !== undefined && /^\d{2}:\d{2}/.test(second)) {
    const seconds = parseTimestamp(`${first} ${second}`, arrival);
    if (seconds !== undefined) return { seconds, tokens: 2 };
  }
  if (first.length >= 10 && (first[4] === "-" || first[4] === "/") && /^\d{4}/.test(first)) {
    const seconds = parseTimestamp(first, arrival);
    if (seconds !== undefined) return { seconds, tokens: 1 };
  }
  return undefined;
}

/**
 * A header's words without the comment mark before them: numpy's `savetxt`,
 * gnuplot and Octave write `# t temp hum` (or `#t temp hum`; `% t temp hum`
 * as MATLAB comments), and the mark names no column. A `%` that starts a
 * word is the word's (`%CPU`).
 */
export function withoutCommentMark(tokens: Token[]): Token[] {
  const first = tokens[0];
  const mark = first ? /^(?:#+|%+$)/.exec(first.text)?.[0] : undefined;
  if (!first || !mark) return tokens;
  if (mark.length === first.text.length) return tokens.slice(1);
  const named = {
    text: first.text.slice(mark.length),
    start: first.start + mark.length,
    end: first.end,
  };
  return [named, ...tokens.slice(1)];
}

/** `withoutCommentMark` for a CSV header's cells: `# t,temp,hum`, `#,t,temp`, `% t,temp`. */
export function cellsWithoutCommentMark(cells: string[]): string[] {
  const first = cells[0];
  const mark = first === undefined ? undefined : /^(?:#+\s*|%+(?:\s+|$))/.exec(first)?.[0];
  if (first === undefined || !mark) return cells;
  if (mark.length === first.length) return cells.slice(1);
  return [first.slice(mark.length), ...cells.slice(1)];
}

/**
 * Returns true when a token holds numbers joined by `,` or `;` (`22.5,41`,
 * `1,5`): a line with such a token has numbers in it, so is never a header.
 */
export function joinsNumbers(tokens: readonly Token[]): boolean {
  return tokens.some(({ text }) =>
    /[,;]/.test(text) && text.split(/[,;]/).some((part) => !Number.isNaN(valueOf(part)))
  );
}

/**
 * Returns true when a word of a line of words is a hex literal (`0xff`,
 * `# 0x1F`): no column is named so, and no format reads it as a number, so
 * the line is skipped (`HEX_NUMBER`), never held as a header.
 */
export function holdsHexNumber(tokens: Token[]): boolean {
  return withoutCommentMark(tokens).some(({ text }) => isHexNumber(text));
}

/** The same for a delimited line (`0xff,b`), its cells split on `delimiter`. */
export function holdsHexCell(line: string, delimiter: string | RegExp): boolean {
  return line.split(delimiter).some((cell) => isHexNumber(cell.trim()));
}

/** A token's number (units allowed), ±Infinity for `inf`, else NaN. */
export function valueOf(text: string): number {
  const value = parseValue(text);
  return Number.isNaN(value) ? parseInfinity(text) : value;
}

/** A token that is neither a number, a gap nor a fraction. */
export function isWord(text: string): boolean {
  return Number.isNaN(valueOf(text)) && !isGap(text) && !isFraction(text, text.indexOf("/"));
}

/** A word that can label a row: `Mem:`, `sda`, `all`; not `1.2.3`. */
export function isLabel(text: string): boolean {
  return isWord(text) && !/^[-+]?\.?\d/.test(text);
}

/** `2/345`: two numbers with a slash between. */
export function isFraction(text: string, slash: number): boolean {
  if (slash <= 0) return false;
  return /^\d+(?:\.\d+)?\/\d+(?:\.\d+)?$/.test(text);
}

/** Makes repeated names distinct, `a`, `a`, `a` → `a`, `a (2)`, `a (3)`, so two columns never share a series. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} (${count})`;
  });
}

/** Why a line of control characters or bytes that are not UTF-8 is skipped. */
export const NOT_TEXT = "not text: control characters or bytes that are not UTF-8";

/**
 * Returns false for a line holding control characters (other than tab) or
 * U+FFFD, which decoding puts for bytes that are not UTF-8: binary input is
 * skipped and counted, never taken for a header.
 */
export function isText(line: string): boolean {
  // deno-lint-ignore no-control-regex
  return !/[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/.test(line);
}
