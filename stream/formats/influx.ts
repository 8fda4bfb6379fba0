/**
 * Influx line protocol: `cpu,host=a usage=1.2,idle=98i 1732531200000000000`.
 * Each numeric field is the series `measurement.field`, with the line's tag
 * set, sorted by key, when it has one: `cpu.usage{host=a}`, `cpu.usage`
 * without tags. So each tag set is one series from its first line on (a
 * series is never renamed), and two hosts never share a line. The timestamp, in
 * ns, µs, ms or s (told apart by size), is x. Strings and booleans are
 * ignored; `#` lines are comments.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import { parseInfinity, scanned, scanNumber } from "./numbers.ts";
import { epochFromDigits, epochSeconds } from "./timestamps.ts";
import { chooseX } from "./x_choice.ts";
import type { Detected, LineOutcome, LineReader, XChoice } from "./types.ts";

/** One line of line protocol, parsed. */
export interface InfluxLine {
  measurement: string;
  /** The tag set as written (`host=a,region=eu`), "" without tags. */
  tags: string;
  fields: { key: string; value: number }[];
  /** The timestamp in seconds (converted from ns, µs, ms or s), NaN without one or out of range. */
  timestamp: number;
}

/** Series names remembered (beyond, each is made again at each point). */
const MAX_NAMES = 16_384;

/** Parses one line of line protocol; undefined when it is not one or has no numeric field. */
export function parseInflux(line: string): InfluxLine | undefined {
  const cursor = { at: 0 };
  const head = readUntil(line, cursor, " ");
  if (head === undefined || line[cursor.at] !== " ") return undefined;
  const parsedHead = head === lastHead.text ? lastHead : parseHead(head);
  if (!parsedHead) return undefined;
  const { measurement, tags } = parsedHead;
  while (line[cursor.at] === " ") cursor.at++;
  const fields: InfluxLine["fields"] = [];
  let numeric = 0;
  for (;;) {
    const key = readUntil(line, cursor, "=");
    if (key === undefined || key === "" || line[cursor.at] !== "=") return undefined;
    cursor.at++;
    const value = readValue(line, cursor);
    if (value === undefined) return undefined;
    if (!Number.isNaN(value)) {
      fields.push({ key: unescape(key), value });
      numeric++;
    }
    if (line[cursor.at] === ",") {
      cursor.at++;
      continue;
    }
    break;
  }
  let timestamp = NaN;
  const rest = cursor.at < line.length ? line.slice(cursor.at).trim() : "";
  if (rest !== "") {
    if (!/^-?\d+$/.test(rest)) return undefined;
    timestamp = epochFromDigits(rest) ?? NaN;
  }
  return numeric > 0 ? { measurement, tags, fields, timestamp } : undefined;
}

/** The last measurement and tag set read: a stream repeats a few of them. */
let lastHead = { text: "", measurement: "", tags: "" };

function parseHead(head: string): typeof lastHead | undefined {
  const comma = indexOfUnescaped(head, ",");
  const measurement = unescape(comma === -1 ? head : head.slice(0, comma));
  const tags = comma === -1 ? "" : head.slice(comma + 1);
  if (measurement === "" || indexOfUnescaped(measurement, "=") !== -1) return undefined;
  if (tags !== "" && !splitUnescaped(tags, ",").every((tag) => /^[^=]+=./.test(tag))) {
    return undefined;
  }
  lastHead = { text: head, measurement, tags };
  return lastHead;
}

/** Creates a reader of line protocol. */
export function createInfluxReader(x: XChoice): LineReader {
  return new InfluxReader(x);
}

class InfluxReader implements LineReader {
  skipReason = "";
  detected: Detected | undefined;
  #x: XChoice;
  #index = 0;
  #fromTimestamp = false;
  #xIsTime = true;
  #names = new Map<string, string>();

  constructor(x: XChoice) {
    this.#x = x;
  }

  read(line: string, arrival: number, sink: PointSink): LineOutcome {
    const trimmed = line.trim();
    if (trimmed === "") return "blank";
    if (trimmed.startsWith("#")) return "header";
    const parsed = parseInflux(trimmed);
    if (!parsed) return this.#skip("not line protocol with a numeric field");
    if (!this.detected) this.#start(parsed, sink);
    let x: number;
    const wanted = this.#x.kind === "field" ? this.#x.name : undefined;
    if (wanted !== undefined) {
      const field = parsed.fields.find((field) =>
        field.key === wanted || `${parsed.measurement}.${field.key}` === wanted
      );
      if (!field) return this.#skip(`no field "${wanted}"`);
      x = this.#xIsTime ? epochSeconds(field.value) ?? NaN : field.value;
    } else if (this.#fromTimestamp) {
      if (Number.isNaN(parsed.timestamp)) return this.#skip("no timestamp from 2000 to 2100");
      x = parsed.timestamp;
    } else x = this.#x.kind === "index" ? this.#index++ : arrival;
    for (const field of parsed.fields) {
      const key = field.key;
      if (key === wanted || `${parsed.measurement}.${key}` === wanted) continue;
      sink.add(this.#nameOf(parsed, key), x, field.value);
    }
    return "points";
  }

  #skip(reason: string): LineOutcome {
    this.skipReason = reason;
    return "skipped";
  }

  #start(parsed: InfluxLine, sink: PointSink): void {
    const x = this.#x;
    const chosen = chooseX(x, {
      timestamp: () => Number.isNaN(parsed.timestamp) ? undefined : "timestamp",
      plainNumber: (name) => {
        const field = parsed.fields.find((field) =>
          field.key === name || `${parsed.measurement}.${field.key}` === name
        );
        return field !== undefined && epochSeconds(field.value) === undefined;
      },
    });
    if (x.kind === "auto" && chosen.field !== undefined) this.#fromTimestamp = true;
    if (chosen.kind === "number") this.#xIsTime = false;
    sink.setXKind(chosen.kind);
    const series = parsed.fields.length - (x.kind === "field" ? 1 : 0);
    this.detected = { format: "influx", series, x: chosen.name };
  }

  #nameOf(parsed: InfluxLine, key: string): string {
    const cacheKey = `${parsed.measurement}\u0000${parsed.tags}\u0000${key}`;
    let name = this.#names.get(cacheKey);
    if (name === undefined) {
      name = `${parsed.measurement}.${key}`;
      if (parsed.tags !== "") name += `{${sortedTags(parsed.tags)}}`;
      if (this.#names.size < MAX_NAMES) this.#names.set(cacheKey, name);
    }
    return name;
  }
}

/** `region=eu,host=a` as `host=a,region=eu`: a tag set written in any order is one series. */
function sortedTags(tags: string): string {
  const keyOf = (tag: string) => tag.slice(0, indexOfUnescaped(tag, "="));
  const sorted = splitUnescaped(tags, ",").sort((a, b) => {
    const [keyA, keyB] = [keyOf(a), keyOf(b)];
    return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  });
  return sorted.map(unescape).join(",");
}

/** Reads up to an unescaped `stop` (or a space/comma for keys); undefined at the line's end. */
function readUntil(line: string, cursor: { at: number }, stop: string): string | undefined {
  const start = cursor.at;
  let index = start;
  while (index < line.length) {
    const char = line[index];
    if (char === "\\") index += 2;
    else if (char === stop || (stop === "=" && (char === " " || char === ","))) break;
    else index++;
  }
  if (index >= line.length) return undefined;
  cursor.at = index;
  return line.slice(start, index);
}

/** A field value: NaN for strings and booleans, undefined when malformed. */
function readValue(line: string, cursor: { at: number }): number | undefined {
  const start = cursor.at;
  if (line[start] === '"') {
    let index = start + 1;
    while (index < line.length && line[index] !== '"') index += line[index] === "\\" ? 2 : 1;
    if (index >= line.length) return undefined;
    cursor.at = index + 1;
    return NaN;
  }
  let end = start;
  while (end < line.length && line[end] !== "," && line[end] !== " ") end++;
  cursor.at = end;
  const text = line.slice(start, end);
  const first = text.charCodeAt(0);
  // t, T, true, f, F, false … : booleans.
  if (
    (first === 116 || first === 84 || first === 102 || first === 70) &&
    /^(?:t|true|f|false)$/i.test(text)
  ) {
    return NaN;
  }
  const last = text[text.length - 1];
  const digits = last === "i" || last === "u" ? text.slice(0, -1) : text;
  const value = scanNumber(digits, 0, digits.length);
  if (scanned.end === digits.length && digits.length > 0) return value;
  const infinite = parseInfinity(digits);
  return Number.isNaN(infinite) ? undefined : infinite;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === separator) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function indexOfUnescaped(text: string, char: string): number {
  for (let index = 0; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === char) return index;
  }
  return -1;
}

function unescape(text: string): string {
  return text.includes("\\") ? text.replace(/\\(.)/g, "$1") : text;
}
