/**
 * `name:value` and `Name: value` pairs, as the Arduino serial plotter's users
 * print them (`Temperature: 23.64, Humidity: 43.89`, `temp:21.5 hum:40`,
 * DHTtester's `Temperature: 21.50°C 70.70°F`): item by item, a name's words
 * before a colon, its value, and further values named by their units.
 *
 * @module
 */

import { isSpacedUnit, parseValue, scanned } from "./numbers.ts";
import {
  AMBIGUOUS_COMMA,
  isName,
  MAX_NAME_WORDS,
  NUMBER_START,
  type Pair,
  unquote,
  withUnit,
} from "./pair_names.ts";

const COLON_ITEMS = /[,\t;]/;
/** Most items: `Name: value` or `name:value`, one word each, read at once. */
const ONE_PAIR = /^\s*([^\s:]+):\s*(\S+)\s*$/;

/**
 * Where the walk of an item is: one, reused, so that reading a line allocates
 * little more than its pairs.
 */
const walk = {
  /** Words one space apart since the last pair: a `Label:`'s name may be made of them. */
  words: [] as string[],
  /** The last pair's name as written (`time`, where the pair may be `time_ms`); "" for none. */
  name: "",
  /** The units of that name's values so far: a further value needs another one. */
  units: [] as string[],
  /** The name's first pair, while a unit written apart may still follow it (`30 %`). */
  first: undefined as Pair | undefined,
  /** A further value waiting for its unit written apart (`70.7 F`). */
  further: undefined as Pair | undefined,
};

/**
 * `name:value` and `Name: value` pairs, item by item (items end at commas, tabs
 * and semicolons); undefined when a number is left without a name (`.5 h:40`,
 * a line cut mid-way; top's process rows), or when no pair is a number.
 * `marked`: the line's unclear commas were marked (AMBIGUOUS_COMMA).
 */
export function colonPairs(line: string, marked: boolean): Pair[] | undefined {
  const pairs: Pair[] = [];
  const items = line.includes(",") || line.includes("\t") || line.includes(";")
    ? line.split(COLON_ITEMS)
    : [line];
  for (const item of items) {
    if (!itemPairs(item, pairs, marked)) return undefined;
  }
  return pairs.some(isNumeric) ? pairs : undefined;
}

/**
 * Walks one item's words: `Label words:` then its value (a unit after it,
 * `21.5°C` or `30 %`, and further values with units of their own), or
 * `name:value`. A name has spaces only in the first style, its words one space
 * apart (`Heat index: 21.01`); `name:value` is one word, as the Arduino
 * plotter reads it (`Status OK temp:21` is `temp`). Other words are text and
 * ignored; a number outside a pair makes the item no pairs (false).
 */
function itemPairs(item: string, pairs: Pair[], marked: boolean): boolean {
  const one = ONE_PAIR.exec(item);
  if (one && isName(one[1] as string)) {
    addPair(unquote(one[1] as string), one[2] as string, pairs, marked);
    return true;
  }
  const words = walk.words;
  words.length = 0;
  close();
  /** The name a `Label:` opened, waiting for its value. */
  let label: string | undefined;
  let end = -2;
  let at = 0;
  const length = item.length;
  for (;;) {
    while (at < length && isSpace(item.charCodeAt(at))) at++;
    if (at === length) break;
    const start = at;
    while (at < length && !isSpace(item.charCodeAt(at))) at++;
    const token = item.slice(start, at);
    const gap = start - end;
    end = at;
    if (label !== undefined) {
      // Whatever follows `Label:` is its value: a number, one that is none, or text.
      colonPair(label, token, pairs, marked);
      label = undefined;
      words.length = 0;
      continue;
    }
    if (walk.first || walk.further) {
      if (gap === 1 && isSpacedUnit(token) && unitApart(token, pairs)) continue;
      if (walk.further) return false;
      walk.first = undefined;
    }
    const colon = token.indexOf(":");
    if (colon === token.length - 1) {
      // `Label:`, or a `:` apart (`MiB Mem :`).
      if (colon > 0) {
        if (gap !== 1) words.length = 0;
        words.push(token.slice(0, colon));
      }
      label = labelName(words);
      close();
      continue;
    }
    if (colon > 0) {
      // `12:48:22` and `0:03.58` (number-led) are clocks, text; so is `(x):1`.
      const name = token.slice(0, colon);
      if (isName(name)) colonPair(unquote(name), token.slice(colon + 1), pairs, marked);
      else close();
      words.length = 0;
      continue;
    }
    const value = parseValue(token);
    if (!Number.isNaN(value)) {
      if (walk.name === "" || !furtherValue(value, token, unitAfter(token), pairs)) return false;
      continue;
    }
    close();
    if (gap !== 1) words.length = 0;
    words.push(token);
  }
  return walk.further === undefined;
}

/** The name a `Label:` closes: the words just before it, one space apart, that may be a name. */
function labelName(words: string[]): string | undefined {
  if (words.length === 1) {
    const word = words[0] as string;
    return isName(word) ? unquote(word) : undefined;
  }
  let first = words.length;
  while (first > 0 && words.length - first < MAX_NAME_WORDS && isName(words[first - 1] as string)) {
    first--;
  }
  return first === words.length ? undefined : unquote(words.slice(first).join(" "));
}

/** No name's values may follow. */
function close(): void {
  walk.name = "";
  walk.first = walk.further = undefined;
}

/** Adds `name`'s pair for the value `text`; a number's further values may follow it. */
function colonPair(name: string, text: string, pairs: Pair[], marked: boolean): void {
  const pair = addPair(name, text, pairs, marked);
  if (!pair) return close();
  const unit = unitAfter(text);
  walk.name = name;
  walk.units.length = 0;
  walk.units.push(unit);
  walk.first = unit === "" ? pair : undefined;
  walk.further = undefined;
}

/** Adds `name`'s pair for the value `text`, refused when it starts as a number but is none; the pair when it is one. */
function addPair(name: string, text: string, pairs: Pair[], marked: boolean): Pair | undefined {
  const value = parseValue(text);
  if (Number.isNaN(value)) {
    if (isRefused(text, marked)) pairs.push({ name, value, text, refused: true });
    return undefined;
  }
  const pair = { name: withUnit(name, unitAfter(text)), value, text };
  pairs.push(pair);
  return pair;
}

/**
 * A further value after a pair's (DHTtester's `Temperature: 21.50°C 70.70°F`)
 * is named by its unit, `Temperature °F`; false when it has no unit of its
 * own, so no name. One with no unit yet may find it written apart (`70.7 F`).
 */
function furtherValue(value: number, text: string, unit: string, pairs: Pair[]): boolean {
  walk.first = undefined;
  const pair = { name: `${walk.name} ${unit}`, value, text };
  if (unit === "") walk.further = pair;
  else if (walk.units.includes(unit)) return false;
  else {
    walk.units.push(unit);
    pairs.push(pair);
  }
  return true;
}

/** Gives the last value its unit written apart (`21.5 C`); false when a further value cannot take it. */
function unitApart(unit: string, pairs: Pair[]): boolean {
  const further = walk.further;
  if (further) {
    if (walk.units.includes(unit)) return false;
    further.name = `${walk.name} ${unit}`;
    walk.units.push(unit);
    pairs.push(further);
  } else if (walk.first) {
    walk.first.name = withUnit(walk.name, unit);
    walk.units[0] = unit;
  }
  walk.first = walk.further = undefined;
  return true;
}

/**
 * A colon pair's value that is no number but starts as one (`0xee`, `1.2.3`),
 * refused as in `=` pairs; `12:30:00` is a clock, text. `1,5` between
 * comma-separated pairs is refused too.
 */
function isRefused(text: string, marked: boolean): boolean {
  if (marked && text.includes(AMBIGUOUS_COMMA)) return true;
  return NUMBER_START.test(text) && !text.includes(":");
}

/** A pair that is a number, or would be but for an unclear comma: the line is pairs. */
function isNumeric(pair: Pair): boolean {
  return !pair.refused || pair.text.includes(AMBIGUOUS_COMMA);
}

/** The unit after the number `parseValue(text)` just read: `°C` of `21.5°C`, else "". */
function unitAfter(text: string): string {
  return scanned.end < text.length ? text.slice(scanned.end) : "";
}

/** Whitespace between an item's words: what `\S` is not, in the characters a line may hold. */
function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 0xa0 || code === 0x3000 ||
    (code >= 0x2000 && code <= 0x200a);
}
