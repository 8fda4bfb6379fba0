/**
 * `name:value` and `Name: value` pairs, as the Arduino serial plotter's users
 * print them (`Temperature: 23.64, Humidity: 43.89`, `temp:21.5 hum:40`,
 * DHTtester's `Temperature: 21.50°C 70.70°F`): item by item, a name's words
 * before a colon, its value, and further values named by their units.
 *
 * @module
 */

import { isSpacedUnit, parseValue, scanned, scanNumber } from "./numbers.ts";
import {
  AMBIGUOUS_COMMA,
  isName,
  NUMBER_START,
  type Pair,
  unquote,
  withUnit,
} from "./pair_names.ts";

/** Words a name may have (`Heat index`, `Free heap size`): a label's, never a sentence's. */
const MAX_NAME_WORDS = 3;
const COLON_ITEMS = /[,\t;]/;
const WORD = /\S+/g;

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
 * a line cut mid-way; top's process rows), or when no pair is a number.
 * `marked`: the line's unclear commas were marked (AMBIGUOUS_COMMA).
 */
export function colonPairs(line: string, marked: boolean): Pair[] | undefined {
  const pairs: Pair[] = [];
  for (const item of line.split(COLON_ITEMS)) {
    if (!itemPairs(item, pairs, marked)) return undefined;
  }
  return pairs.some(isNumeric) ? pairs : undefined;
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
