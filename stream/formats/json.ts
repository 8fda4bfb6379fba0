/**
 * JSON lines: one object a line; every numeric field is a series, nested
 * objects flattened with dots (`{"cpu":12.5,"mem":{"used":40}}` → `cpu`,
 * `mem.used`). Strings, booleans, nulls and arrays are ignored, except that
 * a field named t, time, ts or timestamp holding a timestamp (ISO text or an
 * epoch number) is x. A line is JSON as programs print it (json_text.ts):
 * `NaN` is a gap, `Infinity` goes to the sink, which refuses and counts it.
 * A line that is an array of numbers is one sample, series `0`, `1`, `2` …
 * (null or NaN a gap); an array holding objects is skipped, said why.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import { epochSeconds, parseTimestamp } from "./timestamps.ts";
import { isPlainObject, parseJsonText } from "./json_text.ts";
import { chooseX } from "./x_choice.ts";
import {
  type Detected,
  type LineOutcome,
  type LineReader,
  X_NAMES,
  type XChoice,
} from "./types.ts";

/** Objects nested deeper than this are not flattened further. */
const MAX_DEPTH = 16;

export { isJsonLine } from "./json_text.ts";

/** Creates a reader of JSON lines. */
export function createJsonReader(x: XChoice): LineReader {
  return new JsonReader(x);
}

class JsonReader implements LineReader {
  skipReason = "";
  detected: Detected | undefined;
  #x: XChoice;
  #xField: string | undefined;
  #xIsTime = true;
  #index = 0;
  #fields: string[] = [];
  #values: number[] = [];
  #texts = new Map<string, string>();

  constructor(x: XChoice) {
    this.#x = x;
  }

  read(line: string, arrival: number, sink: PointSink): LineOutcome {
    if (line.trim() === "") return "blank";
    const parsed = parseJsonText(line);
    if (parsed === undefined) return this.#skip("not JSON");
    this.#fields.length = 0;
    this.#values.length = 0;
    this.#texts.clear();
    if (Array.isArray(parsed)) {
      if (parsed.some(isPlainObject)) {
        return this.#skip("an array of objects: one object a line (jq -c '.[]')");
      }
      parsed.forEach((value, index) => {
        if (typeof value === "number" || value === null) {
          this.#fields.push(String(index));
          this.#values.push(value ?? NaN);
        }
      });
    } else if (isPlainObject(parsed)) this.#flatten(parsed, "", 0);
    else return this.#skip("not a JSON object or array");
    if (!this.detected) this.#start(arrival, sink);
    const xField = this.#xField;
    if (!this.#fields.some((name) => name !== xField)) {
      const what = Array.isArray(parsed) ? "array" : "object";
      return this.#skip(`no numbers in the ${what} (a quoted number is text)`);
    }
    let x: number;
    if (xField !== undefined) {
      const at = this.#xOf(xField, arrival);
      if (at === undefined) return this.#skip(`no x in field "${xField}"`);
      x = at;
    } else x = this.#x.kind === "index" ? this.#index++ : arrival;
    const fields = this.#fields;
    const values = this.#values;
    for (let index = 0; index < fields.length; index++) {
      const name = fields[index] as string;
      const y = values[index] as number;
      // NaN is a gap; ±Infinity goes on, for the sink to refuse and count.
      if (name !== xField && y === y) sink.add(name, x, y);
    }
    return "points";
  }

  #skip(reason: string): LineOutcome {
    this.skipReason = reason;
    return "skipped";
  }

  #flatten(object: Record<string, unknown>, prefix: string, depth: number): void {
    for (const key in object) {
      const value = object[key];
      const name = prefix + key;
      if (typeof value === "number") {
        this.#fields.push(name);
        this.#values.push(value);
      } else if (typeof value === "string") {
        if (X_NAMES.has(name) || (this.#x.kind === "field" && this.#x.name === name)) {
          this.#texts.set(name, value);
        }
      } else if (isPlainObject(value) && depth < MAX_DEPTH) {
        this.#flatten(value, `${name}.`, depth + 1);
      }
    }
  }

  #start(arrival: number, sink: PointSink): void {
    const chosen = chooseX(this.#x, {
      timestamp: () =>
        [...this.#fields, ...this.#texts.keys()].find((name) =>
          X_NAMES.has(name) && this.#xOf(name, arrival) !== undefined
        ),
      plainNumber: (name) => this.#xOf(name, arrival) === undefined && this.#fields.includes(name),
    });
    if (chosen.field !== undefined) this.#xField = chosen.field;
    if (chosen.kind === "number") this.#xIsTime = false;
    sink.setXKind(chosen.kind);
    const series = this.#fields.filter((name) => name !== this.#xField).length;
    this.detected = { format: "json", series, x: chosen.name };
  }

  #xOf(name: string, arrival: number): number | undefined {
    const text = this.#texts.get(name);
    if (text !== undefined) return parseTimestamp(text, arrival);
    const index = this.#fields.indexOf(name);
    if (index === -1) return undefined;
    const value = this.#values[index] as number;
    return this.#xIsTime ? epochSeconds(value) : value;
  }
}
