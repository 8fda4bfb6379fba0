/**
 * Format detection (`--format auto`): lines of words before the first line
 * of data are held as possible headers; the first line of data decides the
 * format, tried from the most particular shape to the least: JSON,
 * Influx line protocol, delimited cells (tab, `;`, `,`), then whitespace
 * columns or labelled pairs. The held lines are then replayed to the chosen
 * reader, which takes its header from them.
 *
 * @module
 */

import type { PointSink } from "../sink.ts";
import { BOOT_LINE, isBootLine } from "./boot_banner.ts";
import { createColumnsReader } from "./columns.ts";
import { createDelimitedReader, detectDelimiter } from "./delimited.ts";
import {
  holdsHexNumber,
  isFraction,
  isText,
  leadingTimestamp,
  NOT_TEXT,
  tokenize,
  valueOf,
} from "./headers.ts";
import { HEX_NUMBER } from "./numbers.ts";
import { parsePairs } from "./pairs.ts";
import { createInfluxReader, parseInflux } from "./influx.ts";
import { createJsonReader, isJsonLine } from "./json.ts";
import type { Detected, LineOutcome, LineReader, XChoice } from "./types.ts";

/** Lines of words held before any data; later ones are skipped, so a user sees why nothing plots. */
const MAX_HELD_LINES = 8;
/** Why a line past them is skipped: it has no digit, or its numbers are in no shape read here. */
const NO_NUMBERS = "no numbers in the line (no data seen yet)";
const NO_FORMAT = "numbers in no format liveplot reads (no data seen yet)";
const DIGIT = /\d/;

/** Creates a reader that picks its format from the first line of data. */
export function createAutoReader(x: XChoice): LineReader {
  return new AutoReader(x);
}

/** The reader for the format of `line`, or undefined when it holds no data. */
export function readerFor(line: string, x: XChoice): LineReader | undefined {
  if (isJsonLine(line)) return createJsonReader(x);
  if (parseInflux(line.trim())) return createInfluxReader(x);
  const delimiter = detectDelimiter(line);
  if (delimiter !== undefined) return createDelimitedReader(x, delimiter);
  if (isDataLine(line)) return createColumnsReader(x);
  return undefined;
}

class AutoReader implements LineReader {
  #x: XChoice;
  #delegate: LineReader | undefined;
  #held: string[] = [];
  #skipReason = "";
  /** The format's fast path on bytes, once the format is known and has one. */
  readBytes: LineReader["readBytes"];

  constructor(x: XChoice) {
    this.#x = x;
  }

  get skipReason(): string {
    return this.#delegate?.skipReason ?? this.#skipReason;
  }

  get detected(): Detected | undefined {
    return this.#delegate?.detected;
  }

  read(line: string, arrival: number, sink: PointSink): LineOutcome {
    if (this.#delegate) return this.#delegate.read(line, arrival, sink);
    if (line.trim() === "") return "blank";
    // A board's boot ROM, before its sketch's lines: not held, so the header that follows is.
    if (isBootLine(line)) {
      this.#skipReason = BOOT_LINE;
      return "skipped";
    }
    const reader = readerFor(line, this.#x);
    if (!reader) {
      if (!isText(line)) {
        this.#skipReason = NOT_TEXT;
        return "skipped";
      }
      // `0xff` names no column: held, it would name the first one when data comes.
      if (holdsHexNumber(tokenize(line))) {
        this.#skipReason = HEX_NUMBER;
        return "skipped";
      }
      if (this.#held.length >= MAX_HELD_LINES) {
        this.#skipReason = DIGIT.test(line) ? NO_FORMAT : NO_NUMBERS;
        return "skipped";
      }
      this.#held.push(line);
      return "header";
    }
    this.#delegate = reader;
    if (reader.readBytes) this.readBytes = reader.readBytes.bind(reader);
    for (const held of this.#held) reader.read(held, arrival, sink);
    this.#held = [];
    return reader.read(line, arrival, sink);
  }
}

/** Returns true when a line holds data for the columns reader: a number or a labelled pair. */
export function isDataLine(line: string): boolean {
  const tokens = tokenize(line);
  const stamp = leadingTimestamp(tokens, 0);
  const rest = stamp ? tokens.slice(stamp.tokens) : tokens;
  const numeric = (text: string) =>
    !Number.isNaN(valueOf(text)) || isFraction(text, text.indexOf("/"));
  if (rest.some((token) => numeric(token.text))) return true;
  return parsePairs(line) !== undefined;
}
