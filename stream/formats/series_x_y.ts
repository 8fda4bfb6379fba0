/**
 * The seed's own `series x y` lines (`--format series-x-y`, alias `sxy`):
 * three tokens, a name and two numbers; x is the line's own unless `--x
 * time` or `--x index` replaces it. The name may be any text without
 * whitespace, `{` included.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import { parseInfinity, scanned, scanNumber } from "./numbers.ts";
import type { Detected, LineOutcome, LineReader, XChoice } from "./types.ts";

/** Creates a reader of `series x y` lines. */
export function createSeriesXYReader(x: XChoice): LineReader {
  let index = 0;
  let detected: Detected | undefined;
  const reader = {
    skipReason: "",
    get detected() {
      return detected;
    },
    read(line: string, arrival: number, sink: PointSink): LineOutcome {
      const tokens = line.trim().split(/\s+/);
      if (tokens.length === 1 && tokens[0] === "") return "blank";
      if (tokens.length !== 3) return skip("not 3 fields: series x y");
      const [name, xText, yText] = tokens as [string, string, string];
      const xValue = numberOf(xText);
      const y = numberOf(yText);
      if (Number.isNaN(xValue) || Number.isNaN(y)) return skip("x or y is not a number");
      if (!detected) {
        sink.setXKind(x.kind === "index" ? "index" : x.kind === "time" ? "time" : "number");
        detected = {
          format: "series-x-y",
          series: 1,
          x: x.kind === "index" ? "index" : x.kind === "time" ? "arrival" : "x",
        };
      }
      const at = x.kind === "index" ? index++ : x.kind === "time" ? arrival : xValue;
      sink.add(name, at, y);
      return "points";
    },
  };
  const skip = (reason: string): LineOutcome => {
    reader.skipReason = reason;
    return "skipped";
  };
  return reader;
}

function numberOf(text: string): number {
  const value = scanNumber(text, 0, text.length);
  if (scanned.end === text.length && text.length > 0) return value;
  return parseInfinity(text);
}
