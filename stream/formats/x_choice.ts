/**
 * Where a reader's x comes from, decided once at its first line of data from
 * `--x` and what that line holds. Every reader that can find a time in its
 * data (columns, pairs, CSV, JSON, influx) asks here, so `--x` means the same
 * in each: `index` counts lines, `time` is the line's arrival time,
 * `auto` takes a timestamp the data has and else the arrival, and `NAME`
 * takes that field or column, as a time where it holds one and as a plain
 * number where it does not.
 *
 * @module
 */

import type { XKind } from "../sink.ts";
import { X_NAMES, type XChoice } from "./types.ts";

/** What the first line of data says about x; each is asked only when `--x` needs it. */
export interface XEvidence {
  /** The name of a timestamp the line holds, if any (asked for `--x auto`). */
  timestamp(): string | undefined;
  /** Whether field `name` holds plain numbers rather than times (asked for `--x NAME`). */
  plainNumber(name: string): boolean;
}

/** The x a reader settled on. */
export interface ChosenX {
  /** What x values are, for the page's axis. */
  kind: XKind;
  /** What x is called in the format's `detected`: a field's name, `arrival` or `index`. */
  name: string;
  /** The field or column x is read from; undefined when x is the arrival or the index. */
  field: string | undefined;
}

/** Decides x from `--x` and the first line of data's evidence. */
export function chooseX(x: XChoice, evidence: XEvidence): ChosenX {
  switch (x.kind) {
    case "index":
      return { kind: "index", name: "index", field: undefined };
    case "time":
      return ARRIVAL;
    case "auto": {
      const found = evidence.timestamp();
      return found === undefined ? ARRIVAL : { kind: "time", name: found, field: found };
    }
    case "field":
      return {
        kind: evidence.plainNumber(x.name) ? "number" : "time",
        name: x.name,
        field: x.name,
      };
  }
}

/** Words of a name that say it is a time's: `time`, `ts`, `date`, `epoch`, `created_at`'s `at`. */
const TIME_WORDS: ReadonlySet<string> = new Set([
  ...X_NAMES,
  "date",
  "datetime",
  "epoch",
  "unixtime",
  "at",
  "clock",
  "zeit",
  "datum",
]);

/**
 * Returns true when a column's name says it holds times (`time`, `Date`,
 * `unix_ts`, `time_ms`, `createdAt`), as a column of big numbers needs to be
 * x: `rx_bytes` or `uptime` is a count.
 */
export function isTimeName(name: string): boolean {
  const words = name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z]+/);
  return words.some((word) => TIME_WORDS.has(word));
}

const ARRIVAL: ChosenX = { kind: "time", name: "arrival", field: undefined };
