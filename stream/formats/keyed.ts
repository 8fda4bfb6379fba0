/**
 * Keyed rows: tables that print one row per thing each sample (a CPU, a
 * process, an interface, a disk, a GPU), told apart by a key column. The key
 * names the row's series, `KEY.column` (`0.%idle`, `eth0.rxkB/s`), instead of
 * being plotted itself, so rows of different things never merge into one
 * series and a key's number (CPU `0`, PID `8620`) is never a series of its own.
 *
 * A key column is a leading column whose header names one (`CPU`, `IFACE`,
 * `DEV`, `PID`, `index`, `CONTAINER ID`, `COMMAND`, …) and whose values are
 * words or small whole numbers; its text is the key as written. An identity
 * column before it that is not a key (pidstat's `UID`) is dropped; a trailing
 * text column (pidstat's `Command`) joins the key: `8620 pidstat`, and so does
 * one beside the PID (`ps -eo pid,comm,…`).
 *
 * @module
 */

import {
  alignHeader,
  type Header,
  isLabel,
  isWord,
  type Token,
  uniqueNames,
  valueOf,
} from "./headers.ts";

/** Keyed row shapes whose names are remembered; a process table's keys come and go. */
const MAX_KEYED_SHAPES = 4096;
/** Leading columns whose labels are counted, to tell a column of keys. */
const MAX_LABEL_COLUMNS = 4;

/** Header words that name a key column in whitespace tables (compared in lower case). */
const KEY_NAMES: ReadonlySet<string> = new Set([
  "cpu",
  "core",
  "iface",
  "interface",
  "dev",
  "device",
  "pid",
  "tid",
  "tgid",
  "name",
  "index",
  "gpu",
  "container",
  "container id",
  "id",
  "command",
  "comm",
  "cmd",
]);

/**
 * Header names of a key column in delimited rows. Narrower than `KEY_NAMES`:
 * a CSV's columns are anywhere, and `cpu` or `gpu` there is as likely a usage.
 */
const DELIMITED_KEY_NAMES: ReadonlySet<string> = new Set([
  "index",
  "pid",
  "tid",
  "id",
  "container id",
]);

/**
 * Header names of a column of text labels in delimited rows, wherever it is
 * and whatever its text (`10.0.0.1`): the key names but `cpu`, `core` and
 * `gpu` (as likely a usage), and a host's, a sensor's or a command's.
 */
const DELIMITED_LABEL_NAMES: ReadonlySet<string> = new Set([
  ...[...KEY_NAMES].filter((name) => name !== "cpu" && name !== "core" && name !== "gpu"),
  "host",
  "hostname",
  "node",
  "instance",
  "sensor",
  "label",
  "command",
  "comm",
]);

/** Identity columns that come before a key and mean nothing as a series. */
const DROPPED_NAMES: ReadonlySet<string> = new Set(["uid", "user", "usr"]);

/** A key's number: a small whole number (a CPU, a PID up to Linux's 4194304, a GPU index). */
const KEY_NUMBER = /^\d{1,7}$/;

/** Returns true when a delimited column named `name` is a key column. */
export function isDelimitedKeyName(name: string): boolean {
  return DELIMITED_KEY_NAMES.has(name.trim().toLowerCase());
}

/** Returns true when a delimited column named `name` holds labels: its text is never a value. */
export function isDelimitedLabelName(name: string): boolean {
  return DELIMITED_LABEL_NAMES.has(name.trim().toLowerCase());
}

/**
 * How many of a row's leading value columns are key or dropped identity
 * columns, from the header `names` aligned with the row and the values'
 * `texts`. Zero when no column names a key or a value is no key (`12.5`).
 */
export function leadingKeyColumns(names: readonly string[], texts: readonly string[]): number {
  let count = 0;
  let keys = 0;
  while (count < names.length && count < texts.length - 1) {
    const name = (names[count] as string).toLowerCase();
    const key = KEY_NAMES.has(name);
    if (!key && !DROPPED_NAMES.has(name)) break;
    const text = texts[count] as string;
    if (!KEY_NUMBER.test(text) && !isWord(text)) return 0;
    if (key) keys++;
    count++;
  }
  return keys > 0 ? count : 0;
}

/**
 * Whether the newest header names a key over `[start, end)` of a row's line:
 * `CONTAINER ID` over `0f9e8d7c6b5a`, `COMMAND` over `systemd`. Then a word
 * there is a key's, even one that starts with a digit.
 */
export function underKeyName(headers: readonly Header[], start: number, end: number): boolean {
  const header = headers[0];
  if (!header) return false;
  for (let word = 0; word < header.words.length; word++) {
    if ((header.starts[word] as number) >= end || (header.ends[word] as number) <= start) continue;
    if (KEY_NAMES.has((header.words[word] as string).toLowerCase())) return true;
  }
  return false;
}

/** Which leading columns of whitespace rows hold labels, from the header and the rows read. */
export class LabelColumns {
  /** Rows read; a row of plain numbers (the fast path) adds one itself. */
  rows = 0;
  /** Of the rows read, how many had a label in each leading column. */
  readonly #labelled = new Float64Array(MAX_LABEL_COLUMNS);

  /** Counts a row read with `labels` leading labels. */
  count(labels: number): void {
    this.rows++;
    for (let column = 0; column < labels && column < MAX_LABEL_COLUMNS; column++) {
      this.#labelled[column]!++;
    }
  }

  /**
   * Whether a row's leading `token`, in `column`, labels it: a label word
   * (`Mem:`, `sda`), or one in a column of keys, which the header names
   * (`CONTAINER ID` over `0f9e8d7c6b5a`) or rows before labelled with ids;
   * even one that reads as a number (`123456abcdef`) where the header names a
   * key and most rows had words. A key's small whole number (CPU `0`) is a key
   * column's, left to `keyedNames`.
   */
  at(headers: readonly Header[], column: number, token: Token): boolean {
    const text = token.text;
    if (isLabel(text)) return true;
    if (column >= MAX_LABEL_COLUMNS) return false;
    const labelled = this.#labelled[column] as number;
    const named = () => underKeyName(headers, token.start, token.end);
    if (isWord(text)) return (labelled > 0 && /[a-z]/i.test(text)) || named();
    return labelled * 2 > this.rows && !Number.isNaN(valueOf(text)) && !KEY_NUMBER.test(text) &&
      named();
  }
}

/**
 * The key of a row: its leading labels (joined with `.`, as `Mem:` rows
 * are), then the key columns' values that are not dropped identities and the
 * trailing text, joined with spaces: `8620 pidstat`.
 */
export function keyOf(
  label: string,
  names: readonly string[],
  texts: readonly string[],
  keyColumns: number,
  trailing: readonly string[],
): string {
  const parts = label === "" ? [] : [label];
  for (let column = 0; column < keyColumns; column++) {
    if (!DROPPED_NAMES.has((names[column] as string).toLowerCase())) {
      parts.push(texts[column] as string);
    }
  }
  parts.push(...trailing);
  return parts.join(" ");
}

/** A row of whitespace columns, as `keyedNames` reads it. */
export interface Row {
  /** Headers seen, newest first. */
  headers: readonly Header[];
  /** The leading labels, joined with `.` (`Mem`, `all`), or "". */
  label: string;
  /** How many leading label tokens there were. */
  labels: number;
  /** How many values follow the labels. */
  count: number;
  /** Each value's text. */
  texts: readonly string[];
  /** Words after the values. */
  trailing: readonly string[];
  /** Where each value, then each trailing word, starts and ends on the line. */
  starts: number[];
  ends: number[];
}

/**
 * For a keyed row, how many leading values are its key and the names of the
 * other values, `KEY.column`; undefined for a row that has no key. Names are
 * kept in `cache` by key and shape.
 */
export function keyedNames(
  cache: Map<string, string[]>,
  row: Row,
): { columns: number; names: string[] } | undefined {
  const columns = row.count + row.trailing.length;
  let header: string[] | undefined;
  for (const candidate of row.headers) {
    header = alignHeader(candidate, row.labels, columns, row.starts, row.ends);
    if (header) break;
  }
  const keyColumns = header ? leadingKeyColumns(header, row.texts) : 0;
  // Trailing words are a key column only where a header names them (pidstat's `Command`).
  if (keyColumns === 0 && (row.trailing.length === 0 || !header)) return undefined;
  const names = header ?? Array.from({ length: columns }, (_, column) => String(column));
  const key = keyOf(row.label, names, row.texts, keyColumns, row.trailing);
  const shape = `${key}\u0000${row.labels}\u0000${columns}`;
  let named = cache.get(shape);
  if (!named) {
    named = uniqueNames(names.slice(keyColumns, row.count)).map((name) => `${key}.${name}`);
    if (cache.size < MAX_KEYED_SHAPES) cache.set(shape, named);
  }
  return { columns: keyColumns, names: named };
}
