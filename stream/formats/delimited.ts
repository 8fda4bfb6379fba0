/**
 * Delimited rows: comma, tab or semicolon, with an optional header row
 * (names may be quoted: `"temp (°C)",humidity`). Column k is the series
 * named by header cell k, `column k` past the header's names, or `k` without
 * a header. A cell that is empty,
 * `nan`, `NaN` or `-` is a gap in that series alone; a number may carry a
 * unit (`30 %`, nvidia-smi's csv). Label columns prefix a row's series
 * instead of being series: a leading word in the first row of data, text in a
 * column the header names as labels (`NVIDIA A100.temperature.gpu` under
 * `name`), a key column (`index`, `pid`, `id`: `0 NVIDIA A100.temperature.gpu`);
 * a word anywhere else is refused and counted. A timestamp in the first
 * column (numbers there only under a time's name or no header: `rx_bytes` is a
 * series), or in a column named t, time, ts or timestamp, is x; a date beside
 * a time of day is one timestamp (date_time.ts). With `;` a decimal comma is
 * read too (`1,5;2,25`).
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import {
  classify,
  detectDelimiter,
  GAP,
  headerCells,
  isRowLabel,
  NUMBER,
  numberOf,
  splitCells,
  TEXT,
  unquote,
} from "./cells.ts";
import { dateAtTime, dateTimeColumns } from "./date_time.ts";
import { holdsHexCell, isText, NOT_TEXT, uniqueNames } from "./headers.ts";
import { isDelimitedKeyName, isDelimitedLabelName } from "./keyed.ts";
import { HEX_NUMBER, scanned, scanNumber } from "./numbers.ts";
import { epochSeconds, parseTimestamp } from "./timestamps.ts";
import { chooseX, isTimeName } from "./x_choice.ts";
import {
  type Detected,
  type LineOutcome,
  type LineReader,
  X_NAMES,
  type XChoice,
} from "./types.ts";

/** Cells read from one row; a longer row is skipped. */
const MAX_CELLS = 4096;
/** Header candidates remembered before the first row of data. */
const MAX_CANDIDATES = 4;
/** Row labels whose names are remembered. */
const MAX_LABELS = 1024;

export { DELIMITERS, detectDelimiter } from "./cells.ts";

/** Creates a reader of delimited rows; without a delimiter it takes the first that fits. */
export function createDelimitedReader(x: XChoice, delimiter?: string): LineReader {
  return new DelimitedReader(x, delimiter);
}

class DelimitedReader implements LineReader {
  skipReason = "";
  detected: Detected | undefined;
  #x: XChoice;
  #delimiter: string | undefined;
  #candidates: string[] = [];
  #header: string[] | undefined;
  #headerLine = "";
  /** The header's cells as written, to know it again written otherwise (`"a", "b"`). */
  #headerKey = "";
  #names: string[] = [];
  /** #names with "" for the columns that are no series (x's, a time of day beside it). */
  #seriesNames: string[] = [];
  #labelColumns: number[] = [];
  /** Label columns taken from a leading word alone: a number there makes them values. */
  #wordColumns: number[] = [];
  /** Rows read with word columns, and of them those with words there (ids: `1e5` stays a key). */
  #wordRows = 0;
  #textRows = 0;
  #labelNames = new Map<string, string[]>();
  /** The column x comes from, -1 for arrival or index. */
  #timeColumn = -1;
  /** A column that is not a series: the timestamp column (a date's, with a time), or x's. */
  #skipColumn = -1;
  /** The time of day beside the date in #skipColumn (date_time.ts), or -1: no series either. */
  #clockColumn = -1;
  #timeIsEpoch = true;
  #index = 0;
  #values = new Float64Array(64);
  #kinds = new Uint8Array(64);
  #texts: string[] = [];

  constructor(x: XChoice, delimiter: string | undefined) {
    this.#x = x;
    this.#delimiter = delimiter;
  }

  read(line: string, arrival: number, sink: PointSink): LineOutcome {
    if (line.trim() === "") return "blank";
    if (this.#delimiter === undefined) {
      this.#delimiter = detectDelimiter(line);
      if (this.#delimiter === undefined) {
        return holdsHexCell(line, /[,;\t]/) ? this.#skip(HEX_NUMBER) : this.#remember(line);
      }
    }
    const count = this.#split(line, this.#delimiter);
    if (count < 0) return this.#skip("too many cells");
    let numbers = 0;
    for (let cell = 0; cell < count; cell++) if (this.#kinds[cell] === NUMBER) numbers++;
    if (numbers === 0) {
      // A hex cell (`0xff,b`) names no column: skipped, as every format skips hex.
      if (holdsHexCell(line, this.#delimiter)) return this.#skip(HEX_NUMBER);
      if (!this.detected) return this.#remember(line);
      if (line === this.#headerLine || this.#isHeaderAgain(line, count)) return "header";
      return this.#skip("no numbers in the row");
    }
    if (!this.detected) this.#start(count, arrival, sink);
    let x: number;
    if (this.#x.kind === "field" && this.#timeColumn < 0) {
      return this.#skip(`no column "${this.#x.name}"`);
    }
    if (this.#timeColumn >= 0) {
      const at = this.#timestamp(this.#timeColumn, arrival);
      if (at === undefined) {
        return this.#skip(`no timestamp in column "${this.#names[this.#timeColumn]}"`);
      }
      x = at;
    } else x = this.#x.kind === "index" ? this.#index++ : arrival;
    if (this.#wordColumns.length > 0) this.#unlabelNumbers();
    const names = this.#labelColumns.length === 0 ? this.#seriesNames : this.#labelled(count, line);
    const values = this.#values;
    const kinds = this.#kinds;
    for (let cell = 0; cell < count; cell++) {
      const kind = kinds[cell];
      if (kind === GAP) continue;
      const name = names[cell] ?? this.#nameOf(cell);
      // Words in a column of numbers are no number: refused and counted, as `inf` is.
      if (name !== "") sink.add(name, x, kind === NUMBER ? values[cell] as number : NaN);
    }
    return "points";
  }

  /**
   * A line of words after data that is a header again (a board's reset prints
   * it among the rows): the header, written as it was or otherwise, or with
   * none before, words in every cell of a row. It renames nothing.
   */
  #isHeaderAgain(line: string, count: number): boolean {
    if (!isText(line)) return false;
    if (this.#header) {
      return headerCells(line, this.#delimiter as string).join("\u0000") === this.#headerKey;
    }
    if (count < 2 || count !== this.#names.length) return false;
    for (let cell = 0; cell < count; cell++) if (this.#kinds[cell] !== TEXT) return false;
    return true;
  }

  #skip(reason: string): LineOutcome {
    this.skipReason = reason;
    return "skipped";
  }

  #remember(line: string): LineOutcome {
    if (!isText(line)) return this.#skip(NOT_TEXT);
    this.#candidates.push(line);
    if (this.#candidates.length > MAX_CANDIDATES) this.#candidates.shift();
    return "header";
  }

  /** Splits a row into #values, #kinds and (text cells) #texts; returns the cell count. */
  #split(line: string, delimiter: string): number {
    if (line.includes('"')) return this.#splitQuoted(line, delimiter);
    const code = delimiter.charCodeAt(0);
    const length = line.length;
    let count = 0;
    let start = 0;
    for (;;) {
      let end = line.indexOf(delimiter, start);
      if (end === -1) end = length;
      if (count === this.#values.length && !this.#grow()) return -1;
      let from = start;
      let to = end;
      while (from < to && isBlank(line.charCodeAt(from), code)) from++;
      while (to > from && isBlank(line.charCodeAt(to - 1), code)) to--;
      const value = scanNumber(line, from, to);
      if (scanned.end === to && to > from) {
        this.#values[count] = value;
        this.#kinds[count] = NUMBER;
      } else this.#classifyInto(count, line.slice(from, to), delimiter);
      count++;
      if (end === length) return count;
      start = end + 1;
    }
  }

  #splitQuoted(line: string, delimiter: string): number {
    const cells = splitCells(line, delimiter);
    if (cells.length > MAX_CELLS) return -1;
    while (this.#values.length < cells.length) this.#grow();
    cells.forEach((cell, index) => this.#classifyInto(index, cell, delimiter));
    return cells.length;
  }

  #classifyInto(index: number, cell: string, delimiter: string): void {
    const kind = classify(cell, delimiter);
    this.#kinds[index] = kind;
    if (kind === NUMBER) this.#values[index] = numberOf(cell, delimiter);
    if (kind !== GAP) this.#texts[index] = cell;
  }

  #grow(): boolean {
    const size = this.#values.length;
    if (size >= MAX_CELLS) return false;
    const values = new Float64Array(size * 2);
    values.set(this.#values);
    const kinds = new Uint8Array(size * 2);
    kinds.set(this.#kinds);
    this.#values = values;
    this.#kinds = kinds;
    return true;
  }

  /** Decides, at the first row of data, the header, the label columns and where x comes from. */
  #start(count: number, arrival: number, sink: PointSink): void {
    const delimiter = this.#delimiter as string;
    for (let index = this.#candidates.length - 1; index >= 0; index--) {
      const cells = headerCells(this.#candidates[index] as string, delimiter);
      // A header may name columns the rows leave out, or one fewer than a row has (`1,2,`).
      if (cells.length >= 2 && cells.length >= count - 1) {
        this.#header = uniqueNames(cells);
        this.#headerKey = cells.join("\u0000");
        this.#headerLine = this.#candidates[index] as string;
        break;
      }
    }
    this.#candidates = [];
    this.#names = Array.from({ length: count }, (_, cell) => this.#nameOf(cell));
    const x = this.#x;
    let found: string | undefined;
    if (x.kind !== "field") {
      const candidates = [
        0,
        ...this.#names.flatMap((name, cell) => X_NAMES.has(name) ? [cell] : []),
      ];
      for (const cell of candidates) {
        if (cell >= count || (cell === 0 && count < 2)) continue;
        // Numbers under a header are times only where it says so: `rx_bytes` is a count.
        const named = this.#header?.[cell] ? this.#names[cell] as string : "";
        if (this.#kinds[cell] === NUMBER && named !== "" && !isTimeName(named)) continue;
        const paired = this.#pairDateTime(cell);
        if (!paired && this.#timestamp(cell, arrival) === undefined) continue;
        // A timestamp column is never a series; it is x unless --x says otherwise.
        if (!paired) this.#skipColumn = cell;
        if (x.kind !== "auto") break;
        this.#timeColumn = this.#skipColumn;
        found = this.#header?.[cell] ? this.#xName() : "timestamp";
        break;
      }
    } else {
      this.#timeColumn = this.#names.indexOf(x.name);
      this.#skipColumn = this.#timeColumn;
      if (this.#timeColumn >= 0 && this.#pairDateTime(this.#timeColumn)) {
        this.#timeColumn = this.#skipColumn;
      }
    }
    const chosen = chooseX(x, {
      timestamp: () => found,
      plainNumber: () =>
        this.#timeColumn >= 0 && this.#timestamp(this.#timeColumn, arrival) === undefined,
    });
    if (chosen.kind === "number") this.#timeIsEpoch = false;
    this.#findLabels(count);
    this.#seriesNames = this.#names.map((name, cell) => this.#isSeries(cell) ? name : "");
    const series = count - this.#labelColumns.length - (this.#skipColumn >= 0 ? 1 : 0) -
      (this.#clockColumn >= 0 ? 1 : 0);
    sink.setXKind(chosen.kind);
    this.detected = { format: "csv", series, x: chosen.name };
  }

  /**
   * Label columns, which prefix a row's series instead of being series: a key
   * column the header names (nvidia-smi's `index`: `0 NVIDIA A100.…`), text
   * in a column the header names as labels (`name`, `host`), and a leading
   * word (`kitchen,21.5`; only label columns or x before it). Any other word is
   * a value's column's: refused and counted, as in the rows after it.
   */
  #findLabels(count: number): void {
    let leading = true;
    for (let cell = 0; cell < count; cell++) {
      if (cell === this.#skipColumn || cell === this.#clockColumn) continue;
      const kind = this.#kinds[cell];
      const named = this.#header?.[cell] ? this.#nameOf(cell) : "";
      if (kind === NUMBER && named !== "" && isDelimitedKeyName(named)) {
        this.#labelColumns.push(cell);
      } else if (kind === TEXT && named !== "" && isDelimitedLabelName(named)) {
        this.#labelColumns.push(cell);
      } else if (kind === TEXT && leading && isRowLabel(this.#texts[cell] as string)) {
        this.#labelColumns.push(cell);
        this.#wordColumns.push(cell);
      } else leading = false;
    }
  }

  /**
   * A column labelled by a word alone that now holds a number was no label: it
   * is a series; unless words filled most rows so far, as ids do (`1e5`).
   */
  #unlabelNumbers(): void {
    this.#wordRows++;
    const numbers = this.#wordColumns.filter((cell) => this.#kinds[cell] === NUMBER);
    if (numbers.length === 0) this.#textRows++;
    if (numbers.length === 0 || this.#textRows * 2 > this.#wordRows) return;
    this.#wordColumns = this.#wordColumns.filter((cell) => !numbers.includes(cell));
    this.#labelColumns = this.#labelColumns.filter((cell) => !numbers.includes(cell));
    this.#labelNames.clear();
  }

  /** Whether `cell` is a date beside a time of day or the reverse: if so, both are x's. */
  #pairDateTime(cell: number): boolean {
    const pair = dateTimeColumns(
      cell,
      (at) => this.#kinds[at] === TEXT ? this.#texts[at] : undefined,
    );
    if (pair) [this.#skipColumn, this.#clockColumn] = pair;
    return pair !== undefined;
  }

  /** Whether column `cell` may be a series: not x's, nor the time of day beside x's date. */
  #isSeries(cell: number): boolean {
    return cell !== this.#skipColumn && cell !== this.#clockColumn;
  }

  /** x's name: its column's, or a date's and a time's, `date+time`. */
  #xName(): string {
    const name = this.#names[this.#skipColumn] as string;
    return this.#clockColumn < 0 ? name : `${name}+${this.#names[this.#clockColumn]}`;
  }

  /** The timestamp in `cell` in seconds, or (x from a plain number column) its number. */
  #timestamp(cell: number, arrival: number): number | undefined {
    if (cell === this.#skipColumn && this.#clockColumn >= 0) {
      const clock = this.#clockColumn;
      if (this.#kinds[cell] !== TEXT || this.#kinds[clock] !== TEXT) return undefined;
      return dateAtTime(this.#texts[cell] as string, this.#texts[clock] as string);
    }
    const kind = this.#kinds[cell];
    if (kind === NUMBER) {
      const value = this.#values[cell] as number;
      return this.#timeIsEpoch ? epochSeconds(value) : value;
    }
    if (kind === TEXT) return parseTimestamp(this.#texts[cell] as string, arrival);
    return undefined;
  }

  /** Header cell `cell`'s name; `k` with no header, `column k` past its names (not a value). */
  #nameOf(cell: number): string {
    const name = this.#header?.[cell];
    if (name) return unquote(name);
    return this.#header ? `column ${cell}` : String(cell);
  }

  /** A number's cell as written, for a key: `1e5`, `007` (a quoted row keeps every cell's text). */
  #numberText(cell: number, line: string): string {
    if (line.includes('"')) return (this.#texts[cell] as string).trim();
    const delimiter = this.#delimiter as string;
    let start = 0;
    for (let before = 0; before < cell; before++) start = line.indexOf(delimiter, start) + 1;
    const end = line.indexOf(delimiter, start);
    return line.slice(start, end === -1 ? line.length : end).trim();
  }

  #labelled(count: number, line: string): string[] {
    const label = this.#labelColumns.map((cell) => {
      const kind = this.#kinds[cell];
      if (kind === NUMBER) return this.#numberText(cell, line);
      return kind === TEXT ? unquote((this.#texts[cell] as string).trim()) : "";
    }).join(" ");
    let names = this.#labelNames.get(label);
    if (!names) {
      const prefix = label === "" ? "" : `${label}.`;
      const labels = new Set(this.#labelColumns);
      names = Array.from(
        { length: Math.max(count, this.#names.length) },
        (_, cell) => labels.has(cell) || !this.#isSeries(cell) ? "" : prefix + this.#nameOf(cell),
      );
      if (this.#labelNames.size < MAX_LABELS) this.#labelNames.set(label, names);
    }
    return names;
  }
}

/** A space, or a tab where the delimiter is not one: trimmed off a cell (here: the hot loop's). */
function isBlank(code: number, delimiter: number): boolean {
  return code === 32 || (code === 9 && delimiter !== 9);
}
