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
 *   a value that starts as a number but is none refused as with `=`
 *   (colon_pairs.ts);
 * - `name value name value`, strictly alternating (`cpu 12 mem 40`);
 * - statsd's `name:value|type`, a gauge, counter or timer (below).
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

import { isBootLine } from "./boot_banner.ts";
import { colonPairs } from "./colon_pairs.ts";
import { isSpacedUnit, isUnit, parseInfinity, parseValue, scanned, scanNumber } from "./numbers.ts";
import {
  AMBIGUOUS_COMMA,
  isName,
  MAX_NAME_WORDS,
  NUMBER_START,
  type Pair,
  unquote,
  withUnit,
} from "./pair_names.ts";
import { X_NAMES } from "./types.ts";

export type { Pair };

/** Which shape a line's pairs had. */
export type PairStyle = "=" | ":" | "value-label" | "name value" | "statsd";

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
      else if (pairs.length === 0) pairs = wordsEqualsPair(line, marked);
    }
    if (pairs.length > 0) return { style: "=", pairs };
  }
  if (isBootLine(text)) return undefined;
  const valueLabel = valueLabelPairs(line);
  if (valueLabel) return { style: "value-label", pairs: valueLabel };
  if (line.includes(":")) {
    if (line.includes("|")) {
      const statsd = statsdPair(text);
      if (statsd) return { style: "statsd", pairs: [statsd] };
    }
    const pairs = colonPairs(line, marked);
    if (pairs) return { style: ":", pairs };
  }
  const alternating = nameValuePairs(line);
  return alternating ? { style: "name value", pairs: alternating } : undefined;
}

/**
 * statsd's `name:value|type[|@rate][|#tags]`, of the types whose values are
 * amounts: gauge `g`, counter `c`, timer `ms`, histogram `h`, distribution
 * `d` (a set's, `s`, are members).
 */
const STATSD = /^([^\s:|#]+):([^\s:|]+)\|(g|c|ms|h|d)(?:\|@(\d*\.?\d+))?(?:\|#([^\s|]*))?\s*$/;

/**
 * One statsd line's pair: a counter's value divided by its sample rate (`1|c|@0.1`
 * stands for 10), a timer's name with its unit when x could take it (`time_ms`),
 * DogStatsD's tags after the name as influx's are (`cpu{env=prod,host=a}`). A
 * signed gauge (`+3|g`) is a change of it, which liveplot cannot add up: refused.
 */
function statsdPair(line: string): Pair | undefined {
  const match = STATSD.exec(line);
  const metric = match?.[1];
  if (!match || metric === undefined || !isName(metric)) return undefined;
  const text = match[2] as string;
  const type = match[3];
  const rate = match[4];
  const tags = match[5];
  let name = type === "ms" ? withUnit(metric, "ms") : metric;
  if (tags) name += `{${statsdTags(tags)}}`;
  let value = scanNumber(text, 0, text.length);
  const signed = text.charCodeAt(0) === 43 || text.charCodeAt(0) === 45;
  if (scanned.end !== text.length || (type === "g" && signed)) {
    return { name, value: NaN, text, refused: true };
  }
  if (type === "c" && rate !== undefined) value /= Number(rate);
  return { name, value, text };
}

/** `host:a,env:prod` as `env=prod,host=a`: sorted by key, so each tag set is one series. */
function statsdTags(tags: string): string {
  const key = (tag: string) => tag.split(":", 1)[0] as string;
  return tags.split(",").filter((tag) => tag !== "").sort((a, b) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
  ).map((tag) => tag.replace(":", "=")).join(",");
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
/** A comma before a name and `=` or `:`: the line's pairs are separated by commas. */
const COMMA_BEFORE_NAME = /,\s*(?:"[^"]*"|[^\s,;:="]+)\s*[:=]/;
const DIGIT_COMMA_DIGIT = /\d,\d/;
const DIGIT_COMMAS = /(?<=\d),(?=\d)/g;
/** A comma before three digits: thousands (`1,500`) or a decimal (1.5)? Unclear, as below. */
const GROUPED_COMMAS = /(?<=\d),(?=\d{3}(?!\d))/g;
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

/**
 * `Label words = value [unit]`, the line's one pair, with a name of up to
 * MAX_NAME_WORDS words one space apart, as `Label words: value` has (Adafruit's
 * BME280 example prints `Approx. Altitude = 0.12 m` among `Pressure = 1013.10
 * hPa`): the pair `Approx. Altitude`. The value is read as `name=value` reads it.
 */
function wordsEqualsPair(line: string, marked: boolean): Pair[] {
  const match = WORDS_EQUALS.exec(line);
  if (!match) return [];
  const name = match[1] as string;
  const unit = match[3];
  if (!name.split(" ").every(isName) || (unit !== undefined && !isSpacedUnit(unit))) return [];
  // One word stands in for the name while the value is read; no unit makes it another name.
  const pairs = equalsPairs(`_=${match[2]}${unit === undefined ? "" : ` ${unit}`}`, marked);
  for (const pair of pairs) pair.name = name;
  return pairs;
}

/** Two words or more, one space apart, none with an `=`: `Approx. Altitude`. */
const NAME_WORDS = String.raw`[^\s=]+(?: [^\s=]+){1,${MAX_NAME_WORDS - 1}}`;
/** Words, a spaced `=`, a value and a unit: `Approx. Altitude = 0.12 m`. */
const WORDS_EQUALS = new RegExp(String.raw`^\s*(${NAME_WORDS})\s*=\s*(\S+)(?:\s+(\S+))?\s*$`);

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
  const rest = leading ? line.slice(leading[0].length) : line;
  const items = rest.includes(". ") ? rest.split(LABEL_ITEMS) : rest.split(",");
  const pairs: Pair[] = [];
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const match = VALUE_THEN_LABEL.exec(trimmed);
    if (!match) return undefined;
    const text = match[1] as string;
    pairs.push({ name: match[2] as string, value: Number(text), text });
  }
  if (pairs.length < 2) return undefined;
  const label = leading ? (leading[1] as string).trim() : "";
  if (label === "" || label === CPU_SUM_LABEL) return pairs;
  if (!isName(label)) return undefined;
  for (const pair of pairs) pair.name = `${label}.${pair.name}`;
  return pairs;
}
