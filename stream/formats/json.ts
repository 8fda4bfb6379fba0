/**
 * JSON lines: one object a line; every numeric field is a series, nested
 * objects flattened with dots (`{"cpu":12.5,"mem":{"used":40}}` → `cpu`,
 * `mem.used`). Strings, booleans, nulls and arrays are ignored, except that
 * a field named t, time, ts or timestamp holding a timestamp (ISO text or an
 * epoch number) is x.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import { epochSeconds, parseTimestamp } from "./timestamps.ts";
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

/** Returns true when `line` is a JSON object. */
export function isJsonObject(line: string): boolean {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith("{")) return false;
  try {
    const value = JSON.parse(trimmed);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

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
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return this.#skip("not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return this.#skip("not a JSON object");
    }
    this.#fields.length = 0;
    this.#values.length = 0;
    this.#texts.clear();
    this.#flatten(parsed as Record<string, unknown>, "", 0);
    if (!this.detected) this.#start(arrival, sink);
    const xField = this.#xField;
    if (!this.#fields.some((name) => name !== xField)) {
      return this.#skip("no numbers in the object (a quoted number is text)");
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
      if (name !== xField) sink.add(name, x, values[index] as number);
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
      } else if (
        typeof value === "object" && value !== null && !Array.isArray(value) && depth < MAX_DEPTH
      ) {
        this.#flatten(value as Record<string, unknown>, `${name}.`, depth + 1);
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
