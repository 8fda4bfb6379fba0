/**
 * The types every line reader shares: which format, where x comes from, and
 * what one line turned out to be.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";

// Declared once, in config.ts, with the flags that choose them.
export type { LineFormat as FormatName, XChoice } from "../../config.ts";

/** What one line was, for the caller's counts. */
export type LineOutcome = "points" | "header" | "blank" | "skipped";

/** What a reader found, once it has seen its first line of data. */
export interface Detected {
  /** The format actually read: `columns`, `csv`, `tsv`, `pairs`, `json`, `influx`, `series-x-y`. */
  format: string;
  /** Series in the first line of data. */
  series: number;
  /** Where x comes from: a column or field name, `arrival` or `index`. */
  x: string;
}

/** Reads lines of one stream into a sink, keeping the state headers need. */
export interface LineReader {
  /**
   * Reads one line (no newline). `arrival` = this line's arrival time in
   * seconds since the epoch, already strictly increasing per line.
   */
  read(line: string, arrival: number, sink: PointSink): LineOutcome;
  /**
   * The fast path, where a reader has one: reads the line `bytes[start, end)`
   * (no newline, no `\r`) without making text of it, as `read` would. Returns
   * undefined, having added nothing, when the line needs `read`.
   */
  readBytes?(
    bytes: Uint8Array,
    start: number,
    end: number,
    arrival: number,
    sink: PointSink,
  ): LineOutcome | undefined;
  /** Why the last "skipped" line was skipped (short, human). */
  readonly skipReason: string;
  /** Set once the format is known. */
  readonly detected: Detected | undefined;
}

/** Field and column names that hold x when they hold a timestamp. */
export const X_NAMES: ReadonlySet<string> = new Set(["t", "time", "ts", "timestamp"]);
