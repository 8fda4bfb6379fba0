/**
 * CSV export of a stream's history, streamed: the text is made a chunk of
 * about `CSV_CHUNK_BYTES` at a time, only when the reader pulls, so a slow
 * client holds back the export instead of making it buffer, and the whole
 * text never exists at once.
 *
 * Wide form: `x` then one column per series, its name in the header; points
 * of equal x share a row, a series without a point at that x leaves its cell
 * empty, and a series with two points at one x gets a second row. Long form:
 * `series,x,y`, one point a row. Both in x order; time x as ISO 8601 UTC
 * (milliseconds, or microseconds when they are not zero), other x and all y
 * as JavaScript's shortest round-trip decimal. Fields are quoted per RFC 4180
 * when they hold a comma, a quote or a line break; lines end with CRLF.
 *
 * Text cells (series names) that a spreadsheet would read as a formula,
 * those starting with `=`, `+`, `-`, `@`, a tab or a carriage return, get a
 * leading `'` (OWASP's rule for CSV injection); numbers are never changed,
 * so `-1.5` stays a number.
 *
 * @module
 */

import type { History } from "./history.ts";
import type { XKind } from "./sink.ts";
import { csvXFormatter } from "../static/modules/csv_x.js";

/** About how many bytes each chunk of the export holds. */
export const CSV_CHUNK_BYTES = 64 * 1024;

/** What to export. */
export interface CsvExportOptions {
  history: History;
  /** Series names by id; a missing name is written as `series N`. */
  names: readonly string[];
  xKind: XKind;
  /** `series,x,y` rows instead of one column per series. */
  long?: boolean;
  from?: number;
  to?: number;
  /** Told once when the export ends: read to its end, cancelled or failed. */
  onEnd?: () => void;
}

/** Yields the CSV text in pieces of about `CSV_CHUNK_BYTES` characters. */
export function* csvChunks(options: CsvExportOptions): Generator<string, void, undefined> {
  const { history, names, xKind, long = false } = options;
  const columns = history.seriesCount;
  const name = (series: number) => quote(neutralise(names[series] ?? `series ${series}`));
  const formatX = csvXFormatter(xKind);
  let parts: string[] = [];
  let size = 0;
  const push = (line: string) => {
    parts.push(line);
    size += line.length;
  };

  const quotedNames = Array.from({ length: columns }, (_, series) => name(series));
  push(long ? "series,x,y\r\n" : ["x", ...quotedNames].join(",") + "\r\n");

  const cells: string[] = new Array(columns).fill("");
  // Series with a cell in the row being built; a row of one cell (the usual
  // case when series do not share x) is written from ready-made commas.
  const touched: number[] = [];
  const leading = quotedNames.map((_, series) => ",".repeat(series + 1));
  const trailing = quotedNames.map((_, series) => ",".repeat(columns - 1 - series) + "\r\n");
  let rowX = NaN;
  const flushRow = () => {
    const only = touched.length === 1 ? touched[0]! : -1;
    if (only >= 0) push(formatX(rowX) + leading[only] + cells[only] + trailing[only]);
    else push(`${formatX(rowX)},${cells.join(",")}\r\n`);
    for (const series of touched) cells[series] = "";
    touched.length = 0;
  };

  for (const { series, x, y } of history.merged(options.from, options.to)) {
    if (long) push(`${quotedNames[series]},${formatX(x)},${y}\r\n`);
    else {
      if (touched.length > 0 && (x !== rowX || cells[series] !== "")) flushRow();
      rowX = x;
      cells[series] = String(y);
      touched.push(series);
    }
    if (size >= CSV_CHUNK_BYTES) {
      yield parts.join("");
      parts = [];
      size = 0;
    }
  }
  if (touched.length > 0) flushRow();
  if (parts.length > 0) yield parts.join("");
}

/**
 * The export as a pull-driven byte stream of UTF-8, for a `Response` body:
 * with no queue of its own (`highWaterMark: 0`), a chunk is made only when
 * the reader asks, so a reader that stops holds one chunk at most.
 */
export function csvStream(options: CsvExportOptions): ReadableStream<Uint8Array> {
  const chunks = csvChunks(options);
  const encoder = new TextEncoder();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        const next = chunks.next();
        if (next.done) {
          end();
          controller.close();
        } else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        end();
        throw error;
      }
    },
    cancel() {
      end();
      chunks.return();
    },
  }, { highWaterMark: 0 });
}

/** Characters that make a spreadsheet read a cell as a formula when it starts with one. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet will show as text: a leading `'` when it could start a formula. */
export function neutralise(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * A field as RFC 4180 wants it: quoted, quotes doubled, when it holds `,` `"`
 * CR or LF, or starts or ends with a space (which a spreadsheet may trim, and
 * then read ` =1+1` as a formula), as the page's own export does.
 */
export function quote(field: string): string {
  return /[",\r\n]|^\s|\s$/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
