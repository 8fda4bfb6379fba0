/**
 * Labelled pairs: a name and a number on one line, in the shapes people
 * print them, tried from the most explicit to the least:
 *
 * - `name=value` (ping, logfmt), or `name = value` when every word on the
 *   line is in such a pair: every such token, other tokens ignored; a
 *   value that starts as a number but is none (`0x10`, `1.2.3`) is refused
 *   (the sink counts it), a word (`level=info`) is text and ignored;
 * - `value label` after an optional `Label:` (top's `%Cpu(s):  1.2 us,  0.3 sy`),
 *   named `Label.label` (`Tasks.total`) but for top's `%Cpu(s)`;
 * - `name:value` and `Name: value`, separated by commas, tabs or spaces
 *   (the Arduino serial plotter's `Temperature: 23.64, Humidity: 43.89`),
 *   a value that starts as a number but is none refused as with `=`;
 * - `name value name value`, strictly alternating (`cpu 12 mem 40`).
 *
 * A name holds a letter or `_` and does not start as a number: a line cut
 * mid-way (`.5 h:40`) or a table row is no line of pairs.
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

import { isSpacedUnit, isUnit, parseInfinity, parseValue, scanned, scanNumber } from "./numbers.ts";
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
  if (BOOT_BANNER.test(line)) return undefined;
  const valueLabel = valueLabelPairs(line);
  if (valueLabel) return { style: "value-label", pairs: valueLabel };
  if (line.includes(":")) {
    const pairs = colonPairs(line, marked);
    if (pairs && pairs.some(isNumeric)) return { style: ":", pairs };
  }
  const alternating = nameValuePairs(line);
  return alternating ? { style: "name value", pairs: alternating } : undefined;
}

/**
 * The lines of the ESP32's boot ROM that would read as pairs, printed at each
 * reset before a sketch's own lines (its others hold hex values or words).
 */
const BOOT_BANNER =
  /^(?:configsip: \d+, SPIWP:0x[\da-f]+|mode:\w+, clock div:\d+|load:0x[\da-f]+,len:\d+|ho \d+ tail \d+ room \d+)\s*$/;

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

/** A leading `Label:` before values and labels, and the label itself: `MiB Mem`. */
const LEADING_LABEL = /^([^,:=]*):\s*/;
/** Items of `value label` are separated by commas, or a full stop (top's `0.0 used.  22.1 avail`). */
const LABEL_ITEMS = /,|(?<=\p{L})\.\s/u;
const VALUE_THEN_LABEL =
  /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s+([^\s\d,:=.+-][^\s,:=]*(?: [^\s\d,:=.+-][^\s,:=]*)?)$/;
/** top's line of CPU figures, summed over every CPU: its figures keep their names, `us`, `sy`. */
const CPU_SUM_LABEL = "%Cpu(s)";

/**
 * top's `Tasks: 132 total,   4 running`: the leading label names the series,
 * `Tasks.total`, as a row label does in columns, so that `MiB Mem : 24105.2
 * total` is another series (`MiB Mem.total`). `%Cpu(s)` gives `us`, `sy` …
 */
function valueLabelPairs(line: string): Pair[] | undefined {
  const leading = LEADING_LABEL.exec(line);
  const label = leading ? (leading[1] as string).trim() : "";
  if (label !== "" && !isName(label)) return undefined;
  const prefix = label === "" || label === CPU_SUM_LABEL ? "" : `${label}.`;
  const items = (leading ? line.slice(leading[0].length) : line).split(LABEL_ITEMS);
  const pairs: Pair[] = [];
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const match = VALUE_THEN_LABEL.exec(trimmed);
    if (!match) return undefined;
    const text = match[1] as string;
    pairs.push({ name: prefix + (match[2] as string), value: Number(text), text });
  }
  return pairs.length >= 2 ? pairs : undefined;
}

/** Words a name may have (`Heat index`, `Free heap size`): a label's, never a sentence's. */
const MAX_NAME_WORDS = 3;
const COLON_ITEMS = /[,\t;]/;
const WORD = /\S+/g;
const LETTER = /[\p{L}_]/u;

/**
 * A word that may be (part of) a name: not number-led (`5`, `.5`, `0:03.58`)
 * and holding a letter or `_` (`temp`, `{x}`, `%Cpu(s)`; not `(29)`).
 */
function isName(word: string): boolean {
  return !NUMBER_START.test(word) && LETTER.test(word);
}

/** The name a `Label:` closes: the words just before it, one space apart, that may be a name. */
function labelName(words: string[]): string | undefined {
  let first = words.length;
  while (first > 0 && words.length - first < MAX_NAME_WORDS && isName(words[first - 1] as string)) {
    first--;
  }
  return first === words.length ? undefined : unquote(words.slice(first).join(" "));
}

/**
 * `name:value` and `Name: value` pairs, item by item (items end at commas, tabs
 * and semicolons); undefined when a number is left without a name (`.5 h:40`,
 * a line cut mid-way; top's process rows).
 */
function colonPairs(line: string, marked: boolean): Pair[] | undefined {
  const pairs: Pair[] = [];
  for (const item of line.split(COLON_ITEMS)) {
    if (!itemPairs(item, pairs, marked)) return undefined;
  }
  return pairs;
}

/**
 * Walks one item's words: `Label words:` then its value (a unit after it, `21.5°C`
 * or `30 %`, and further values with other units), or `name:value`. A name has spaces only in the first style, its
 * words one space apart (`Heat index: 21.01`); `name:value` is one word, as the
 * Arduino plotter reads it (`Status OK temp:21` is `temp`). Other words are
 * text and ignored; a number outside a pair makes the item no pairs (false).
 */
function itemPairs(item: string, pairs: Pair[], marked: boolean): boolean {
  /** Words one space apart since the last pair: a `Label:`'s name may be made of them. */
  let words: string[] = [];
  /** The name a `Label:` opened, waiting for its value. */
  let label: string | undefined;
  /** The last pair's name and its values so far. */
  let values: Values | undefined;
  let end = -2;
  for (const match of item.matchAll(WORD)) {
    const token = match[0];
    const gap = match.index - end;
    end = match.index + token.length;
    if (label !== undefined) {
      // Whatever follows `Label:` is its value: a number, one that is none, or text.
      values = colonPair(label, token, pairs, marked);
      label = undefined;
      words = [];
      continue;
    }
    if (values?.first || values?.further) {
      if (gap === 1 && isSpacedUnit(token) && unitApart(values, token, pairs)) continue;
      if (values.further) return false;
      values.first = undefined;
    }
    const colon = token.indexOf(":");
    if (colon === token.length - 1) {
      // `Label:`, or a `:` apart (`MiB Mem :`).
      if (colon > 0) {
        if (gap !== 1) words = [];
        words.push(token.slice(0, colon));
      }
      label = labelName(words);
      values = undefined;
      continue;
    }
    if (colon > 0) {
      // `12:48:22` and `0:03.58` (number-led) are clocks, text; so is `(x):1`.
      const name = token.slice(0, colon);
      values = isName(name)
        ? colonPair(unquote(name), token.slice(colon + 1), pairs, marked)
        : undefined;
      words = [];
      continue;
    }
    const value = parseValue(token);
    if (!Number.isNaN(value)) {
      if (!values || !furtherValue(values, value, token, pairs)) return false;
      continue;
    }
    values = undefined;
    if (gap !== 1) words = [];
    words.push(token);
  }
  return values?.further === undefined;
}

/** A pair's name and the units of its values so far, while more of them may follow. */
interface Values {
  /** The name as written (`time`, where its first pair may be `time_ms`). */
  name: string;
  units: string[];
  /** The first pair, while a unit written apart may still follow it (`30 %`, `0.04 ms`). */
  first?: Pair;
  /** A further value waiting for its unit written apart (`70.7 F`). */
  further?: Pair;
}

/** Adds `name`'s pair for the value `text`; returns it as `Values` when it is a number. */
function colonPair(name: string, text: string, pairs: Pair[], marked: boolean): Values | undefined {
  const value = parseValue(text);
  if (Number.isNaN(value)) {
    if (isRefused(text, marked)) pairs.push({ name, value, text, refused: true });
    return undefined;
  }
  const unit = unitOf(text);
  const pair = { name: withUnit(name, unit), value, text };
  pairs.push(pair);
  return { name, units: [unit], first: unit === "" ? pair : undefined };
}

/**
 * A further value after a pair's (DHTtester's `Temperature: 21.50°C 70.70°F`)
 * is named by its unit, `Temperature °F`; false when it has no unit of its
 * own, so no name. One with no unit yet may find it written apart (`70.7 F`).
 */
function furtherValue(values: Values, value: number, text: string, pairs: Pair[]): boolean {
  values.first = undefined;
  const unit = unitOf(text);
  const pair = { name: `${values.name} ${unit}`, value, text };
  if (unit === "") values.further = pair;
  else if (values.units.includes(unit)) return false;
  else {
    values.units.push(unit);
    pairs.push(pair);
  }
  return true;
}

/** Gives the last value its unit written apart (`21.5 C`); false when a further value cannot take it. */
function unitApart(values: Values, unit: string, pairs: Pair[]): boolean {
  const further = values.further;
  if (further) {
    if (values.units.includes(unit)) return false;
    further.name = `${values.name} ${unit}`;
    values.units.push(unit);
    pairs.push(further);
  } else if (values.first) {
    values.first.name = withUnit(values.name, unit);
    values.units[0] = unit;
  }
  values.first = values.further = undefined;
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
