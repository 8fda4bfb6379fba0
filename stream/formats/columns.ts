/**
 * Whitespace-separated text: numeric columns (vmstat, iostat, mpstat, free,
 * /proc/loadavg) and labelled pairs (ping, top, `name: value`), decided from
 * the first line of data unless forced.
 *
 * Columns: a line of numbers is one sample. Lines of words are headers; a
 * row takes its names from the latest header that fits it (same count, one
 * more for a label column such as iostat's `Device`, or column positions, as
 * in iostat's `avg-cpu:` and free's shorter `Swap:` row), and keeps them: a
 * later header never renames a row shape already seen. Words before the
 * numbers label the row (`Mem:` → `Mem.total`, `sda` → `sda.r/s`), as does a
 * key column (`CPU`, `PID`: see keyed.ts). A first column holding a timestamp
 * (`18:41:30`, `08:04:18 PM`, ISO, epoch) is x. A sentence (ending in `.`,
 * `!` or `?`, like ping's banner) is never a header, nor is binary junk, nor
 * a line with a hex number (`0xff`): skipped, as every format skips hex.
 *
 * @module
 */

import type { PointSink, XKind } from "../sink.ts";
import { BOOT_LINE, isBootLine } from "./boot_banner.ts";
import {
  holdsHexNumber,
  isFraction,
  isText,
  isWord,
  joinsNumbers,
  leadingTimestamp,
  NOT_TEXT,
  type Token,
  tokenize,
  valueOf,
} from "./headers.ts";
import { HeaderBook } from "./header_book.ts";
import { keyedNames, LabelColumns, underKeyName } from "./keyed.ts";
import { NumberRow } from "./number_row.ts";
import { isJsonLine } from "./json_text.ts";
import { HEX_NUMBER, isGap } from "./numbers.ts";
import { type Pair, parsePairs } from "./pairs.ts";
import { epochSeconds, parseTimestamp } from "./timestamps.ts";
import { chooseX } from "./x_choice.ts";
import {
  type Detected,
  type LineOutcome,
  type LineReader,
  X_NAMES,
  type XChoice,
} from "./types.ts";

/** Why a line is skipped in a stream of pairs. */
const NO_PAIRS = "no name=value or name: value pairs";
/** Tokens read from one line; a longer line is skipped. */
const MAX_TOKENS = 4096;

type Mode = "columns" | "pairs";

/** Creates a reader of whitespace columns, labelled pairs, or (no `mode`) whichever comes first. */
export function createColumnsReader(x: XChoice, mode?: Mode): LineReader {
  return new ColumnsReader(x, mode);
}

class ColumnsReader implements LineReader {
  skipReason = "";
  detected: Detected | undefined;
  #x: XChoice;
  #mode: Mode | undefined;
  /** `--format pairs`: every line that is not pairs is skipped. */
  #pairsOnly: boolean;
  readonly #book = new HeaderBook();
  /** Names of keyed rows, by key and shape. */
  #keyedShape = new Map<string, string[]>();
  /** The last line of plain numbers read, for the fast path. */
  readonly #row = new NumberRow(MAX_TOKENS);
  #index = 0;
  /** A timestamp starts each row (decided at the first row of data). */
  #timeColumn: boolean | undefined;
  /** Pair name holding x, for pairs. */
  #xPair: string | undefined;
  /** `--x NAME` holds a timestamp, else plain numbers. */
  #xFieldIsTime = false;
  /** What `detected` will say, and x's kind, once the first row is read. */
  #pendingDetected: { format: string; x: string; kind: XKind } | undefined;
  // The last row shape of plain numbers, for the fast path.
  #fastCount = -1;
  #fastNames: string[] = [];
  /** Which leading columns hold labels, as rows show them. */
  readonly #labels = new LabelColumns();

  constructor(x: XChoice, mode: Mode | undefined) {
    this.#x = x;
    this.#mode = mode;
    this.#pairsOnly = mode === "pairs";
  }

  read(line: string, arrival: number, sink: PointSink): LineOutcome {
    if (this.#mode !== "pairs") {
      const count = this.#row.scan(line);
      if (count === 0) return "blank";
      if (count > 0 && count === this.#fastCount) {
        return this.#emitFast(count, arrival, sink);
      }
    }
    return this.#readSlow(line, arrival, sink);
  }

  /** `read`'s fast path on bytes: a line of plain numbers in the last row shape seen. */
  readBytes(
    bytes: Uint8Array,
    start: number,
    end: number,
    arrival: number,
    sink: PointSink,
  ): LineOutcome | undefined {
    if (this.#fastCount <= 0 || this.#mode === "pairs") return undefined;
    const count = this.#row.scanBytes(bytes, start, end);
    return count === this.#fastCount ? this.#emitFast(count, arrival, sink) : undefined;
  }

  #emitFast(count: number, arrival: number, sink: PointSink): LineOutcome {
    const values = this.#row.values;
    const names = this.#fastNames;
    this.#labels.rows++;
    let first = 0;
    let x: number;
    if (this.#timeColumn) {
      const at = epochSeconds(values[0] as number);
      if (at === undefined) return this.#skip("no timestamp in the first column");
      first = 1;
      x = this.#x.kind === "auto" ? at : this.#plainX(arrival);
    } else x = this.#plainX(arrival);
    if (this.#x.kind === "field") return this.#emitWithField(names, values, first, count, sink);
    for (let column = first; column < count; column++) {
      const y = values[column] as number;
      if (y === y) sink.add(names[column - first] as string, x, y);
    }
    return "points";
  }

  #plainX(arrival: number): number {
    return this.#x.kind === "index" ? this.#index++ : arrival;
  }

  #skip(reason: string): LineOutcome {
    this.skipReason = reason;
    return "skipped";
  }

  #readSlow(line: string, arrival: number, sink: PointSink): LineOutcome {
    // Read as pairs, `{"cpu": 1` would be a series named `{"cpu"`.
    if (isJsonLine(line)) return this.#skip(`JSON in a stream of ${this.#mode ?? "columns"}`);
    if (this.#mode === "pairs") {
      // Pairs first: a line of pairs needs no tokens.
      const found = parsePairs(line);
      if (found) return this.#emitPairs(found.pairs, arrival, sink);
    }
    const tokens = tokenize(line);
    if (tokens.length === 0) return "blank";
    if (tokens.length > MAX_TOKENS) return this.#skip("too many columns");
    const stamp = leadingTimestamp(tokens, arrival);
    const rest = stamp ? tokens.slice(stamp.tokens) : tokens;
    const numbers = rest.filter((token) => !Number.isNaN(valueOf(token.text))).length;
    if (this.#mode === undefined) {
      const found = parsePairs(line);
      if (found) return this.#emitPairs(found.pairs, arrival, sink);
    }
    // Given --format pairs, a line of words is no header: it is skipped, and counted.
    if (this.#pairsOnly) return this.#skip(NO_PAIRS);
    // A board's reset (`tail 4`, `chksum 0xcc`) names no series and no column.
    if (isBootLine(line)) return this.#skip(BOOT_LINE);
    if (numbers === 0 && !rest.some((token) => isGap(token.text))) {
      if (!isText(line)) return this.#skip(NOT_TEXT);
      if (holdsHexNumber(rest)) return this.#skip(HEX_NUMBER);
      // A line with numbers in it (`22.5,41`) is never a header.
      if (joinsNumbers(rest)) {
        return this.#skip(this.#mode === "pairs" ? NO_PAIRS : "commas among the numbers");
      }
      if (rest.length > 0 || stamp) this.#book.remember(rest);
      return "header";
    }
    if (this.#mode === "pairs") return this.#skip(NO_PAIRS);
    return this.#readRow(rest, stamp, arrival, sink);
  }

  #readRow(
    tokens: Token[],
    timestamp: { seconds: number; tokens: number } | undefined,
    arrival: number,
    sink: PointSink,
  ): LineOutcome {
    const stamp = timestamp?.seconds;
    let labels = 0;
    const headers = this.#book.headers;
    while (labels < tokens.length && this.#labels.at(headers, labels, tokens[labels] as Token)) {
      labels++;
    }
    // Words after the numbers (pidstat's `Command`) join the row's key.
    let end = tokens.length;
    while (end > labels + 1 && isWord((tokens[end - 1] as Token).text)) end--;
    let values: number[] = [];
    const texts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    // A word under a header naming a key (ps's COMMAND beside the PID) may be a key's.
    let keyWord = -1;
    for (let index = labels; index < end; index++) {
      const token = tokens[index] as Token;
      const slash = token.text.indexOf("/");
      const value = valueOf(token.text);
      if (!Number.isNaN(value) || isGap(token.text)) {
        values.push(value);
      } else if (slash > 0 && isFraction(token.text, slash)) {
        // `2/345` in /proc/loadavg: two numbers, two columns.
        values.push(Number(token.text.slice(0, slash)), Number(token.text.slice(slash + 1)));
        texts.push(token.text.slice(0, slash));
        starts.push(token.start);
        ends.push(token.start + slash);
        token.start += slash + 1;
      } else if (underKeyName(headers, token.start, token.end)) {
        keyWord = values.length;
        values.push(NaN);
      } else return this.#skip("words among the numbers");
      texts.push(token.text);
      starts.push(token.start);
      ends.push(token.end);
    }
    const trailing = tokens.slice(end);
    starts.push(...trailing.map((token) => token.start));
    ends.push(...trailing.map((token) => token.end));
    const label = tokens.slice(0, labels).map((token) => token.text.replace(/:$/, "")).join(".");
    const keyed = keyedNames(this.#keyedShape, {
      headers: this.#book.headers,
      label,
      labels,
      count: values.length,
      texts,
      trailing: trailing.map((token) => token.text),
      starts,
      ends,
    });
    if (keyed) values = values.slice(keyed.columns);
    else if (trailing.length > 0) return this.#skip("words among the numbers");
    if (keyWord >= (keyed?.columns ?? 0)) return this.#skip("words among the numbers");
    // A keyed row's first value is never an epoch: a label or key comes before it.
    if (this.#timeColumn === undefined) {
      this.#start(values, stamp, keyed ? 1 : labels, starts, ends);
    }
    let x: number;
    let first = 0;
    if (this.#timeColumn) {
      const at = stamp ??
        (labels === 0 && !keyed && values.length > 1
          ? epochSeconds(values[0] as number)
          : undefined);
      if (at === undefined) return this.#skip("no timestamp in the first column");
      if (stamp === undefined) first = 1;
      x = this.#x.kind === "auto" ? at : this.#plainX(arrival);
    } else x = this.#plainX(arrival);
    const count = values.length - first;
    const names = keyed?.names ??
      // A header names the time column too (`time v`): it stands over x as over a label.
      this.#book.namesFor(
        label,
        labels + (this.#timeColumn ? 1 : 0),
        count,
        starts.slice(first),
        ends.slice(first),
        (timestamp?.tokens ?? 1) - 1,
      );
    this.#labels.count(labels);
    if (labels === 0 && stamp === undefined && !keyed) {
      this.#fastCount = values.length;
      this.#fastNames = names;
    }
    if (this.#x.kind === "field") {
      return this.#emitWithField(names, Float64Array.from(values), first, values.length, sink);
    }
    this.#announce(sink, count);
    for (let column = 0; column < count; column++) {
      const y = values[column + first] as number;
      if (y === y) sink.add(names[column] as string, x, y);
    }
    return "points";
  }

  /** Decides, at the first row of data, whether the first column is x and what x is. */
  #start(
    values: number[],
    stamp: number | undefined,
    labels: number,
    starts: number[],
    ends: number[],
  ): void {
    const epoch = labels === 0 && values.length > 1 &&
      epochSeconds(values[0] as number) !== undefined &&
      this.#book.namesFirstAsTime(values.length, starts, ends);
    this.#timeColumn = stamp !== undefined || epoch;
    this.#mode = "columns";
    const chosen = chooseX(this.#x, {
      timestamp: () => this.#timeColumn ? "timestamp" : undefined,
      // Whether the named column holds times is known at the first row that has it.
      plainNumber: () => true,
    });
    this.#pendingDetected = { format: "columns", x: chosen.name, kind: chosen.kind };
  }

  #announce(sink: PointSink, series: number, kind?: XKind): void {
    const pending = this.#pendingDetected;
    if (!pending || this.detected) return;
    sink.setXKind(kind ?? pending.kind);
    this.detected = { format: pending.format, series, x: pending.x };
  }

  #emitWithField(
    names: string[],
    values: Float64Array,
    first: number,
    count: number,
    sink: PointSink,
  ): LineOutcome {
    const wanted = (this.#x as { name: string }).name;
    let at = -1;
    for (let column = first; column < count; column++) {
      if (names[column - first] === wanted) at = column;
    }
    if (at === -1) return this.#skip(`no column "${wanted}"`);
    let x = values[at] as number;
    if (!this.detected) {
      this.#xFieldIsTime = epochSeconds(x) !== undefined;
      this.#announce(sink, count - first - 1, this.#xFieldIsTime ? "time" : "number");
    }
    if (this.#xFieldIsTime) x = epochSeconds(x) ?? NaN;
    if (x !== x) return this.#skip(`no number in column "${wanted}"`);
    for (let column = first; column < count; column++) {
      const y = values[column] as number;
      if (column !== at && y === y) sink.add(names[column - first] as string, x, y);
    }
    return "points";
  }

  #emitPairs(pairs: Pair[], arrival: number, sink: PointSink): LineOutcome {
    const x = this.#x;
    if (this.#pendingDetected === undefined) {
      this.#mode = "pairs";
      const chosen = chooseX(x, {
        timestamp: () =>
          pairs.find((pair) => X_NAMES.has(pair.name) && pairTimestamp(pair, arrival) !== undefined)
            ?.name,
        plainNumber: (name) => {
          const named = pairs.find((pair) => pair.name === name);
          return named === undefined || pairTimestamp(named, arrival) === undefined;
        },
      });
      this.#xPair = chosen.field;
      this.#xFieldIsTime = x.kind === "field" && chosen.kind === "time";
      this.#pendingDetected = { format: "pairs", x: chosen.name, kind: chosen.kind };
    }
    let at: number;
    const xPair = this.#xPair;
    if (xPair !== undefined) {
      const named = pairs.find((pair) => pair.name === xPair);
      if (!named) return this.#skip(`no "${xPair}"`);
      const value = x.kind === "field" && !this.#xFieldIsTime
        ? named.value
        : pairTimestamp(named, arrival);
      if (value === undefined || Number.isNaN(value)) return this.#skip(`no time in "${xPair}"`);
      at = value;
    } else at = this.#plainX(arrival);
    this.#announce(sink, pairs.length - (xPair === undefined ? 0 : 1));
    for (const pair of pairs) {
      // A refused pair's NaN goes to the sink, which refuses and counts it.
      if (pair.name !== xPair && (pair.refused || !Number.isNaN(pair.value))) {
        sink.add(pair.name, at, pair.value);
      }
    }
    return "points";
  }
}

function pairTimestamp(pair: Pair, arrival: number): number | undefined {
  return Number.isNaN(pair.value) ? parseTimestamp(pair.text, arrival) : epochSeconds(pair.value);
}
