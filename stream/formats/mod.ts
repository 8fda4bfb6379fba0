/**
 * Line readers: turn each input line into points for a `PointSink`, in the
 * format given or (`auto`) the one the data shows. See `detect.ts` for how
 * a format is chosen and each reader's file for what it reads.
 *
 * ```ts
 * const reader = createLineReader("auto", { kind: "auto" });
 * reader.read("a,b", arrival, sink);   // "header"
 * reader.read("1,2", arrival, sink);   // "points": a=1, b=2
 * reader.detected;                     // { format: "csv", series: 2, x: "arrival" }
 * ```
 *
 * @module
 */

import { createColumnsReader } from "./columns.ts";
import { createDelimitedReader } from "./delimited.ts";
import { createAutoReader } from "./detect.ts";
import { createInfluxReader } from "./influx.ts";
import { createJsonReader } from "./json.ts";
import { createSeriesXYReader } from "./series_x_y.ts";
import type { FormatName, LineReader, XChoice } from "./types.ts";

export type { Detected, FormatName, LineOutcome, LineReader, XChoice } from "./types.ts";

/** Creates a reader for `format` (`sxy` is an alias of `series-x-y`) with x taken as `x` says. */
export function createLineReader(format: FormatName | "sxy", x: XChoice): LineReader {
  switch (format) {
    case "auto":
      return createAutoReader(x);
    case "columns":
      return createColumnsReader(x, "columns");
    case "pairs":
      return createColumnsReader(x, "pairs");
    case "csv":
      return createDelimitedReader(x);
    case "json":
      return createJsonReader(x);
    case "influx":
      return createInfluxReader(x);
    case "series-x-y":
    case "sxy":
      return createSeriesXYReader(x);
  }
}
