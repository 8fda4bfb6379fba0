/**
 * The cells of a delimited row: which delimiter a row has, splitting a row
 * at it (quotes kept together), a header's names, what a cell is (a number, a gap or text) and its number,
 * with a decimal comma under `;` and thousands separators where they cannot
 * be one.
 *
 * @module
 */

import { cellsWithoutCommentMark } from "./headers.ts";
import { isGap, parseGrouped, parseInfinity, parseValue } from "./numbers.ts";
import { parseTimestamp, timeOfDay } from "./timestamps.ts";

/** A cell's kind: a number, */
export const NUMBER = 0;
/** a gap (empty, `nan`, `-`), */
export const GAP = 1;
/** or text. */
export const TEXT = 2;

/** The delimiters tried, in order: tab, then `;` (so `1,5;2` keeps its decimal comma), then `,`. */
export const DELIMITERS = ["\t", ";", ","] as const;

/**
 * A delimiter that makes `line` a row of data, if any: two cells or more, at
 * least one a number, none a pair (`temp: 21.5`) or numbers apart (`5 2`, where
 * `1,5 2,5` is whitespace columns with decimal commas). Other cells that are no
 * number (`0x10`, `ERR`) are refused when the row is read.
 */
export function detectDelimiter(line: string): string | undefined {
  for (const delimiter of DELIMITERS) {
    if (!line.includes(delimiter)) continue;
    const cells = splitCells(line, delimiter);
    if (cells.length < 2) continue;
    let numbers = 0;
    let fits = true;
    for (const cell of cells) {
      const kind = classify(cell, delimiter);
      if (kind === NUMBER) numbers++;
      else if (kind === TEXT && !fitsRow(cell)) fits = false;
    }
    if (fits && numbers > 0) return delimiter;
  }
  return undefined;
}

/** A header's names: its cells, trimmed and unquoted, without a comment mark (`# t,temp`). */
export function headerCells(line: string, delimiter: string): string[] {
  return cellsWithoutCommentMark(splitCells(line, delimiter).map((cell) => cell.trim())).map(
    unquote,
  );
}

/** Splits a row at `delimiter` outside double quotes, trimming cells and undoing `""`. */
export function splitCells(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  let wasQuoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index] as string;
    if (quoted) {
      if (char !== '"') cell += char;
      else if (line[index + 1] === '"') {
        cell += '"';
        index++;
      } else quoted = false;
    } else if (char === '"' && cell.trim() === "") {
      quoted = true;
      wasQuoted = true;
      cell = "";
    } else if (char === delimiter) {
      cells.push(wasQuoted ? cell : cell.trim());
      cell = "";
      wasQuoted = false;
    } else if (!wasQuoted) cell += char;
  }
  cells.push(wasQuoted ? cell : cell.trim());
  return cells;
}

export function classify(cell: string, delimiter: string): number {
  const trimmed = cell.trim();
  if (isGap(trimmed)) return GAP;
  return Number.isNaN(numberOf(trimmed, delimiter)) ? TEXT : NUMBER;
}

export function numberOf(cell: string, delimiter: string): number {
  const trimmed = cell.trim();
  let value = parseValue(trimmed);
  if (Number.isNaN(value) && delimiter === ";" && /^-?\d+,\d+$/.test(trimmed)) {
    value = Number(trimmed.replace(",", "."));
  }
  if (Number.isNaN(value)) value = parseGrouped(trimmed);
  return Number.isNaN(value) ? parseInfinity(trimmed) : value;
}

/** Text that leaves a row delimited: a timestamp or time of day, or not `name: 12`, `name=12` nor `5 2`. */
export function fitsRow(cell: string): boolean {
  const trimmed = cell.trim();
  if (parseTimestamp(trimmed, 0) !== undefined || timeOfDay(trimmed) !== undefined) return true;
  if (/^[-+.\d]/.test(trimmed) && /\s/.test(trimmed)) return false;
  return !/[=:]\s*[-+]?\.?\d/.test(trimmed);
}

/** A word that labels a row with no header to say so: `kitchen`, `/dev/sda`; not `#N/A`, `$12`. */
export function isRowLabel(text: string): boolean {
  return /^[\p{L}_/]/u.test(text.trim());
}

export function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}
