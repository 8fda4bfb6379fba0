/**
 * Labelled pairs: a name and a number on one line, in the shapes people
 * print them, tried from the most explicit to the least:
 *
 * - `name=value` (ping, logfmt), or `name = value` when every word on the
 *   line is in such a pair: every such token, other tokens ignored; a
 *   value that starts as a number but is none (`0x10`, `1.2.3`) is refused
 *   (the sink counts it), a word (`level=info`) is text and ignored;
 * - `value label` after an optional `Label:` (top's `%Cpu(s):  1.2 us,  0.3 sy`);
 * - `name:value` and `Name: value`, separated by commas, tabs or spaces
 *   (the Arduino serial plotter's `Temperature: 23.64, Humidity: 43.89`),
 *   a value that starts as a number but is none refused as with `=`;
 * - `name value name value`, strictly alternating (`cpu 12 mem 40`).
 *
 * A comma between digits is a decimal comma (`speed=1,5 temp=2,25`: 1.5 and
 * 2.25) unless commas separate the line's pairs (a comma before `name=` or
 * `name:`, as in `cpu=1,mem=2`): there `1,5` is no number (1.5? 1 and a
 * stray 5? a list?), and the pair is refused.
 *
 * A unit after a number is ignored (`12ms`, `30 %`) but kept apart, so a
 * series whose name x could take (`time`) can carry it: ping's `time=0.04 ms`
 * is the series `time_ms`, never confused with the time axis.
 *
 * @module
 */

import { isUnit, parseInfinity, parseValue, scanned, scanNumber } from "./numbers.ts";
import { X_NAMES } from "./types.ts";

/** One labelled value; `value` is NaN for an x-named field holding text (`ts=2024-…`). */
export interface Pair {
  name: string;
  value: number;
  /** The value as written, for timestamps. */
  text: string;
  /** The value is no number, though written as one (`0x10`): a point to refuse and count. */
  refused?: boolean;
}

/** Which shape a line's pairs had. */
export type PairStyle = "=" | ":" | "value-label" | "name value";

/** A line's pairs, or undefined when it has none. */
export function parsePairs(text: string): { style: PairStyle; pairs: Pair[] } | undefined {
  let line = text;
  // Whether unclear commas were marked (AMBIGUOUS_COMMA): commas separate this line's pairs,
  // or a comma stands before three digits.
  let marked = false;
  if (text.includes(",") && DIGIT_COMMA_DIGIT.test(text)) {
    line = COMMA_BEFORE_NAME.test(text)
      ? text.replace(DIGIT_COMMAS, AMBIGUOUS_COMMA)
      : text.replace(GROUPED_COMMAS, AMBIGUOUS_COMMA).replace(DIGIT_COMMAS, ".");
    marked = line.includes(AMBIGUOUS_COMMA);
  }
  if (line.includes("=")) {
    let pairs = equalsPairs(line, marked);
    if (equalsSeen.spaced) {
      const joined = joinSpacedEquals(line);
      if (joined !== line) pairs = equalsPairs(joined, marked);
    }
    if (pairs.length > 0) return { style: "=", pairs };
  }
  const valueLabel = valueLabelPairs(line);
  if (valueLabel) return { style: "value-label", pairs: valueLabel };
  if (line.includes(":")) {
    const pairs = colonPairs(line, marked);
    if (pairs && pairs.some(isNumeric)) return { style: ":", pairs };
  }
  const alternating = nameValuePairs(line);
  return alternating ? { style: "name value", pairs: alternating } : undefined;
}

/** `cpu 12 mem 40`: names and numbers strictly alternating, two pairs at least. */
function nameValuePairs(line: string): Pair[] | undefined {
  const tokens = line.trim().split(SEPARATORS);
  if (tokens.length < 4 || tokens.length % 2 !== 0) return undefined;
  const pairs: Pair[] = [];
  for (let index = 0; index < tokens.length; index += 2) {
    const name = tokens[index] as string;
    const text = tokens[index + 1] as string;
    if (NUMBER_START.test(name) || !Number.isNaN(parseValue(name))) return undefined;
    const value = parseValue(text);
    if (Number.isNaN(value)) return undefined;
    pairs.push({ name, value, text });
  }
  return pairs;
}

const SEPARATORS = /[\s,;]+/;
/** How a number starts: a value starting so that is not one is refused, not taken for a word. */
const NUMBER_START = /^[-+]?\.?\d/;
/** A comma before a name and `=` or `:`: the line's pairs are separated by commas. */
const COMMA_BEFORE_NAME = /,\s*(?:"[^"]*"|[^\s,;:="]+)\s*[:=]/;
const DIGIT_COMMA_DIGIT = /\d,\d/;
const DIGIT_COMMAS = /(?<=\d),(?=\d)/g;
/** A comma before three digits: thousands (`1,500`) or a decimal (1.5)? Unclear, as below. */
const GROUPED_COMMAS = /(?<=\d),(?=\d{3}(?!\d))/g;
/**
 * Stands for a comma between digits on a line whose commas separate pairs: it
 * makes `1,5` one value, which is no number (refused), never 1 and a stray 5.
 * (A NUL of the line's own, binary, means nothing unless the line was marked.)
 */
const AMBIGUOUS_COMMA = "\u0000";

/** What the last `equalsPairs` saw: an `=` with a space before or after it (`cpu = 1`). */
const equalsSeen = { spaced: false };

/**
 * `cpu = 1, mem = 2` as `cpu=1, mem=2`, when every word then is a pair or a
 * unit after one (`time = 0.04 ms`); else the line as it is, so that ping's
 * `rtt min/avg/max/mdev = 0.040/…` or a sentence with an `=` is not read so.
 */
function joinSpacedEquals(line: string): string {
  const joined = line.replace(/\s*=\s*/g, "=");
  const tokens = joined.trim().split(SEPARATORS);
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const equals = token.indexOf("=");
    if (equals > 0 && equals < token.length - 1 && token.indexOf("=", equals + 1) === -1) continue;
    const after = tokens[index - 1];
    if (equals === -1 && after?.includes("=") && isUnit(token, 0, token.length)) continue;
    return line;
  }
  return joined;
}

function equalsPairs(line: string, marked: boolean): Pair[] {
  const tokens = line.split(SEPARATORS);
  const pairs: Pair[] = [];
  let numeric = 0;
  equalsSeen.spaced = false;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const equals = token.indexOf("=");
    if (equals <= 0 || equals === token.length - 1) {
      if (equals !== -1) equalsSeen.spaced = true;
      continue;
    }
    const name = unquote(token.slice(0, equals));
    const text = unquote(token.slice(equals + 1));
    let value = scanNumber(text, 0, text.length);
    let unit = "";
    if (scanned.end === 0) value = parseInfinity(text);
    else if (scanned.end < text.length) {
      if (!isUnit(text, scanned.end, text.length)) value = NaN;
      else unit = text.slice(scanned.end);
    } else {
      const next = tokens[index + 1];
      if (next !== undefined && !next.includes("=") && isUnit(next, 0, next.length)) unit = next;
    }
    if (Number.isNaN(value)) {
      if (X_NAMES.has(name)) pairs.push({ name, value, text });
      else if (NUMBER_START.test(text)) {
        pairs.push({ name, value, text, refused: true });
        // `1,5` between comma-separated pairs is a number, if an unclear one: the line is pairs.
        if (marked && text.includes(AMBIGUOUS_COMMA)) numeric++;
      }
      continue;
    }
    numeric++;
    pairs.push({ name: withUnit(name, unit), value, text });
  }
  return numeric > 0 ? pairs : [];
}

const LEADING_LABEL = /^[^,:=]*:\s*/;
const VALUE_THEN_LABEL = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s+([^\s\d,:=.+-][^\s,:=]*)$/;

function valueLabelPairs(line: string): Pair[] | undefined {
  const items = line.replace(LEADING_LABEL, "").split(",");
  const pairs: Pair[] = [];
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const match = VALUE_THEN_LABEL.exec(trimmed);
    if (!match) return undefined;
    pairs.push({ name: match[2] as string, value: Number(match[1]), text: match[1] as string });
  }
  return pairs.length >= 2 ? pairs : undefined;
}

const NAME_COLON_VALUE = /^(.*?[^\s:])\s*:\s*(\S+(?: ?\S+)?)$/;

function colonPairs(line: string, marked: boolean): Pair[] | undefined {
  const pairs: Pair[] = [];
  for (const item of line.split(/[,\t;]/)) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const whole = NAME_COLON_VALUE.exec(trimmed);
    if (whole) {
      const name = unquote(whole[1] as string);
      const text = whole[2] as string;
      const value = parseValue(text);
      if (!Number.isNaN(value) && !name.includes(":")) {
        pairs.push({ name: withUnit(name, unitOf(text)), value, text });
        continue;
      }
    }
    if (!tokenPairs(trimmed, pairs, marked)) return undefined;
  }
  return pairs;
}

/** Walks `Name: 1 other:2` token by token; false when a number is left without a name. */
function tokenPairs(item: string, pairs: Pair[], marked: boolean): boolean {
  const tokens = item.split(/\s+/);
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const colon = token.indexOf(":");
    if (colon > 0 && colon === token.length - 1) {
      const next = tokens[index + 1];
      const value = next === undefined ? NaN : parseValue(next);
      if (!Number.isNaN(value) || isRefused(next as string, marked)) {
        const refused = Number.isNaN(value);
        pairs.push({ name: unquote(token.slice(0, colon)), value, text: next as string, refused });
        index++;
      }
      continue;
    }
    if (colon > 0) {
      const text = token.slice(colon + 1);
      const value = parseValue(text);
      if (Number.isNaN(value) && isRefused(text, marked)) {
        pairs.push({ name: unquote(token.slice(0, colon)), value: NaN, text, refused: true });
        continue;
      }
      if (!Number.isNaN(value)) {
        pairs.push({ name: withUnit(unquote(token.slice(0, colon)), unitOf(text)), value, text });
        continue;
      }
    }
    if (!Number.isNaN(parseValue(token))) return false;
  }
  return true;
}

/**
 * A colon pair's value that is no number but starts as one (`0xee`, `1.2.3`),
 * refused as in `=` pairs; `12:30:00` is a clock, text. `1,5` between
 * comma-separated pairs is refused too.
 */
function isRefused(text: string | undefined, marked: boolean): boolean {
  if (text === undefined) return false;
  if (marked && text.includes(AMBIGUOUS_COMMA)) return true;
  return NUMBER_START.test(text) && !text.includes(":");
}

/** A pair that is a number, or would be but for an unclear comma: the line is pairs. */
function isNumeric(pair: Pair): boolean {
  return !pair.refused || pair.text.includes(AMBIGUOUS_COMMA);
}

function unitOf(text: string): string {
  scanNumber(text, 0, text.length);
  return text.slice(scanned.end).trim();
}

/** `time` with a unit becomes `time_ms`: x is called time too. */
function withUnit(name: string, unit: string): string {
  return unit !== "" && X_NAMES.has(name) ? `${name}_${unit}` : name;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1);
  }
  return trimmed;
}
