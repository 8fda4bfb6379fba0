/**
 * The one path from lines to points: each line gets an arrival time (one
 * `ArrivalClock`), is read in the stream's format into the sink (the hub, or
 * the Redis backplane), and is counted once as points, a header, blank or
 * skipped (one `LineTally`). Every source (standard input, a command, a
 * replay, a serial port, MQTT, UDP, a scrape) feeds its lines through a
 * `LineFeed`; a push's body goes through a `PushFeed` (stream/push_feed.ts),
 * built on the same two.
 *
 * @module
 */

import type { LineFormat, XChoice } from "../config.ts";
import type { Logger } from "../log.ts";
import { createLineReader, type LineReader } from "./formats/mod.ts";
import { NOT_TEXT } from "./formats/headers.ts";
import type { Detected, LineOutcome } from "./formats/types.ts";
import { readableText } from "./escapes.ts";
import type { Hub } from "./hub.ts";
import { type ChunkLines, splitChunks, splitLines, splitMessage } from "./line_splitter.ts";
import type { Recorder } from "./recorder.ts";
import type { PointSink } from "./sink.ts";

/** What a feed needs: where points and the status go, and how lines are read. */
export interface FeedOptions {
  /** Where the source's status goes (and its points, unless `sink` is given). */
  hub: Hub;
  /** Where points go: the hub, or a backplane that feeds every process's hub. */
  sink?: PointSink;
  format: LineFormat;
  x: XChoice;
  maxLineBytes: number;
  log: Logger;
  /** Records every line read, with its arrival time. */
  recorder?: Recorder;
}

/**
 * One read's lines and each line's arrival time, in seconds since the epoch.
 * `arrivals` may be longer than `lines`, and a live source overwrites it with
 * the next batch's: it is read before the next batch is asked for.
 */
export interface Batch {
  lines: string[];
  arrivals: ArrayLike<number>;
}

const RETURN = 0x0d;

/** Reads lines into points and counts what did not plot; one per source. */
export class LineFeed {
  readonly #options: FeedOptions;
  readonly #sink: PointSink;
  readonly #reader: LineReader;
  readonly #tally: LineTally;
  #warnedTruncated = false;
  readonly #clock = new ArrivalClock();
  /** Where each line of a chunk ends, for the fast path. */
  #ends = new Int32Array(1024);
  readonly #onTruncated = () => {
    const { hub } = this.#options;
    hub.report({ truncated: hub.status.truncated + 1 });
  };

  constructor(options: FeedOptions) {
    this.#options = options;
    this.#sink = options.sink ?? options.hub;
    this.#reader = this.createReader();
    const { hub, log } = options;
    this.#tally = new LineTally({
      skipped: (line, reason) => hub.noteSkipped(line, reason),
      detected: (detected) => {
        hub.setFormat(detected.format);
        log.info("format-detected", { ...detected });
      },
    });
  }

  /** The sink points go to. */
  get sink(): PointSink {
    return this.#sink;
  }

  /** A reader of the stream's format, for a part of the source with headers of its own (a topic). */
  createReader(): LineReader {
    return createLineReader(this.#options.format, this.#options.x);
  }

  /**
   * Reads one batch: every line is recorded, read into `sink` by `reader`
   * (the feed's own unless given) and counted once; then the sink commits.
   */
  read(
    lines: readonly string[],
    arrivals: ArrayLike<number>,
    reader: LineReader = this.#reader,
    sink: PointSink = this.#sink,
  ): void {
    this.#options.recorder?.record(lines, arrivals);
    const skippedBefore = this.#tally.counts.skipped;
    this.#tally.read(lines, arrivals, reader, sink);
    this.#afterRead(skippedBefore);
  }

  /**
   * Reads one chunk's lines as `read` does. Lines of plain numbers in a
   * shape the reader knows take its fast path on the bytes
   * (`LineReader.readBytes`) and are never made text; the rest, and every
   * line while recording, are read as text.
   */
  #readChunk(chunk: ChunkLines): void {
    const reader = this.#reader;
    if (this.#options.recorder || !reader.readBytes) {
      const lines = chunk.text();
      if (lines.length > 0) this.read(lines, this.#clock.times(lines.length, Date.now() / 1000));
      return;
    }
    const { ends, count: whole } = chunk.newlines(this.#ends);
    this.#ends = ends;
    const count = whole + (chunk.head === undefined ? 0 : 1);
    if (count === 0) return;
    const arrivals = this.#clock.times(count, Date.now() / 1000);
    const sink = this.#sink;
    const tally = this.#tally;
    const skippedBefore = tally.counts.skipped;
    const bytes = chunk.bytes;
    const maxLineBytes = this.#options.maxLineBytes;
    const text: string[] = [];
    let line = 0;
    if (chunk.head !== undefined) tally.readLine(chunk.head, arrivals[line++]!, reader, sink);
    let from = chunk.start;
    for (let index = 0; index < whole; index++) {
      const to = ends[index]!;
      const last = to > from && bytes[to - 1] === RETURN ? to - 1 : to;
      const outcome = last - from <= maxLineBytes
        ? reader.readBytes(bytes, from, last, arrivals[line]!, sink)
        : undefined;
      if (outcome === undefined) {
        // The rest of the chunk as text, decoded at once, as splitLines would: a header, a
        // format with no fast path, a line too long.
        chunk.lineText(from, chunk.end - 1, text);
        for (const rest of text) tally.readLine(rest, arrivals[line++]!, reader, sink);
        break;
      }
      let skipped = "";
      if (outcome === "skipped") {
        chunk.lineText(from, to, text);
        skipped = text.pop() ?? "";
      }
      tally.count(outcome, skipped, reader);
      line++;
      from = to + 1;
    }
    tally.finish(reader, sink);
    this.#afterRead(skippedBefore);
  }

  /** Warns of the first skipped line and the first cut off, and reports skipped and header lines. */
  #afterRead(skippedBefore: number): void {
    const { hub, log } = this.#options;
    const { counts } = this.#tally;
    // For the page's hint: words where numbers were expected are a header, not a buffered pipe.
    if (counts.header !== hub.status.headers) hub.report({ headers: counts.header });
    if (counts.skipped !== skippedBefore) {
      if (skippedBefore === 0) {
        // The reason of the first line lost, and of the first other kind after it in this read.
        const { firstSkipReason: reason, otherSkipReason: also } = this.#tally;
        log.warn("lines-skipped", { reason, also, note: "further ones are counted, not logged" });
      }
      // Added, not set: pushes into the same stream count theirs there too.
      hub.report({ skipped: hub.status.skipped + counts.skipped - skippedBefore });
    }
    if (!this.#warnedTruncated && hub.status.truncated > 0) {
      this.#warnedTruncated = true;
      log.warn("lines-cut-off", {
        limit: this.#options.maxLineBytes,
        note: "further ones are counted, not logged",
      });
    }
  }

  /**
   * Reads one whole message (a datagram, an MQTT payload) of one or more
   * lines, each with its own arrival time, by `reader` into `sink` (the
   * feed's own unless given). Returns how many lines it held.
   */
  readMessage(
    bytes: Uint8Array,
    reader: LineReader = this.#reader,
    sink: PointSink = this.#sink,
  ): number {
    const lines = splitMessage(bytes, this.#options.maxLineBytes, this.#onTruncated);
    if (lines.length === 0) return 0;
    this.read(lines, this.#clock.times(lines.length, Date.now() / 1000), reader, sink);
    return lines.length;
  }

  /** Counts `count` lines skipped unread (over a rate, unparsable metrics) for `reason`. */
  skip(count: number, example: string, reason: string): void {
    if (count <= 0) return;
    const { counts } = this.#tally;
    if (counts.skipped === 0) this.#options.log.warn("lines-skipped", { reason });
    counts.skipped += count;
    const { hub } = this.#options;
    hub.noteSkipped(example, reason);
    hub.report({ skipped: hub.status.skipped + count });
  }

  /**
   * Reads every batch until the batches end; a read error is logged (unless
   * `signal` has aborted: the source was stopped), never thrown.
   */
  pump(batches: AsyncIterable<Batch>, signal?: AbortSignal): Promise<void> {
    return this.#drain(batches, ({ lines, arrivals }) => this.read(lines, arrivals), signal);
  }

  /**
   * Reads the lines of every chunk until the chunks end, each line with its
   * own arrival time; a line cut off is counted in the hub's status, and a
   * read error is logged as `pump` logs it.
   */
  pumpChunks(
    chunks: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
    cutReason?: string,
  ): Promise<void> {
    // With `cutReason`, a last line with no newline was cut short (a device unplugged mid-line).
    const onCut = cutReason === undefined ? undefined : (line: string) => {
      const skippedBefore = this.#tally.counts.skipped;
      this.#tally.skip(line, cutReason);
      this.#afterRead(skippedBefore);
    };
    const lines = splitChunks(chunks, this.#options.maxLineBytes, this.#onTruncated, onCut);
    return this.#drain(lines, (chunk) => this.#readChunk(chunk), signal);
  }

  /** Hands each item to `read` until the items end; the one place a read error is logged. */
  async #drain<T>(
    items: AsyncIterable<T>,
    read: (item: T) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      for await (const item of items) read(item);
    } catch (error) {
      if (!signal?.aborted) this.#options.log.warn("source-read-failed", { error: String(error) });
    }
    const { points, header, skipped } = this.#tally.counts;
    // Lines of words alone (a header, a banner) plot nothing: the log says so, as the page does;
    // but not of a source liveplot stopped (`signal`), whose input did not end.
    if (points === 0 && header > 0 && !signal?.aborted) {
      this.#options.log.warn("format-no-data", {
        headers: header,
        skipped,
        note: "the input ended without a line of numbers",
      });
    }
  }
}

/** How many lines turned out to be each outcome. */
export type LineCounts = Record<LineOutcome, number>;

/** Who hears what a tally's lines were. */
export interface TallyListener {
  /** Each skipped line, and why. */
  skipped(line: string, reason: string): void;
  /** The format, once, when a reader first knows it. */
  detected(detected: Detected): void;
}

/**
 * The read → count → detect → commit step every feed shares: reads lines
 * with a reader into a sink, counts each line once by what it was, tells of
 * each skipped line, commits, and tells of the format the first time a
 * reader knows it.
 */
export class LineTally {
  /** Lines read so far, by outcome. */
  readonly counts: LineCounts = { points: 0, header: 0, blank: 0, skipped: 0 };
  /** Why the first skipped line was skipped, and the first reason other than that one after it. */
  firstSkipReason = "";
  otherSkipReason: string | undefined;
  readonly #listener: TallyListener;
  #told = false;

  constructor(listener: TallyListener) {
    this.#listener = listener;
  }

  /** Reads the first `count` of `lines` (all by default), then commits the sink. */
  read(
    lines: readonly string[],
    arrivals: ArrayLike<number>,
    reader: LineReader,
    sink: PointSink,
    count: number = lines.length,
  ): void {
    for (let i = 0; i < count; i++) this.readLine(lines[i]!, arrivals[i]!, reader, sink);
    this.finish(reader, sink);
  }

  /** Reads one line and counts it; `finish` commits. */
  readLine(line: string, arrival: number, reader: LineReader, sink: PointSink): void {
    // Binary input gives no points and no names in any format: counted, and shown, as skipped.
    // Colours and other terminal escapes are removed first, whatever the source.
    const text = readableText(line);
    if (text === undefined) return this.skip(line, NOT_TEXT);
    this.count(reader.read(text, arrival, sink), text, reader);
  }

  /** Counts a line read as `outcome` (by `readLine`, or from its bytes); `line` tells a skip. */
  count(outcome: LineOutcome, line: string, reader: LineReader): void {
    if (outcome === "skipped") return this.skip(line, reader.skipReason);
    this.counts[outcome]++;
  }

  /** Counts `line` as skipped for `reason`, and tells the listener. */
  skip(line: string, reason: string): void {
    if (this.counts.skipped++ === 0) this.firstSkipReason = reason;
    else if (reason !== this.firstSkipReason) this.otherSkipReason ??= reason;
    this.#listener.skipped(line, reason);
  }

  /** Commits the sink, and tells of the format the first time the reader knows it. */
  finish(reader: LineReader, sink: PointSink): void {
    sink.commit();
    if (!this.#told && reader.detected) {
      this.#told = true;
      this.#listener.detected(reader.detected);
    }
  }
}

/**
 * Chunks' lines, each with its own arrival time from one `ArrivalClock`;
 * `onTruncated` hears of each line cut off for being over `maxLineBytes`.
 */
export async function* timedLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  onTruncated: () => void,
  clock: ArrivalClock = new ArrivalClock(),
): AsyncGenerator<Batch> {
  for await (const lines of splitLines(chunks, maxLineBytes, onTruncated)) {
    if (lines.length > 0) yield { lines, arrivals: clock.times(lines.length, Date.now() / 1000) };
  }
}

/** The least step between two lines' arrival times, in microseconds. */
const MIN_ARRIVAL_STEP_MICROS = 1;
/** The most a read's lines are spread apart, in microseconds: 1 ms. */
const MAX_ARRIVAL_STEP_MICROS = 1000;

/**
 * Gives every line its own arrival time, strictly increasing: the lines of
 * one read end at the read's time, spaced evenly over the time since the
 * previous read but never more than 1 ms apart, and always at least 1 µs
 * after the line before (so a burst of 100,000 lines runs ahead of the clock
 * by at most 0.1 s until the source pauses).
 */
export class ArrivalClock {
  /** In microseconds since the epoch, as is `#last`. */
  #previousRead = -Infinity;
  #last = -Infinity;
  /** One array for every read, grown to the most lines a read has brought. */
  #times = new Float64Array(1024);

  /**
   * The arrival times of a read of `count` lines at `now` (seconds since
   * the epoch), in an array the next read overwrites (it may be longer).
   */
  times(count: number, now: number): Float64Array {
    if (count > this.#times.length) {
      this.#times = new Float64Array(Math.max(count, this.#times.length * 2));
    }
    // Counted in whole microseconds, so that a CSV export (to the µs) keeps every x distinct.
    const nowMicros = Math.round(now * 1e6);
    // The first read has no interval before it: its lines get the least step.
    const since = this.#previousRead === -Infinity ? 0 : nowMicros - this.#previousRead;
    let step = count > 1 ? Math.min(since / count, MAX_ARRIVAL_STEP_MICROS) : 0;
    if (!(step >= 0)) step = 0;
    this.#previousRead = nowMicros;
    const times = this.#times;
    let last = this.#last;
    for (let i = 0; i < count; i++) {
      last = Math.max(
        Math.round(nowMicros - (count - 1 - i) * step),
        last + MIN_ARRIVAL_STEP_MICROS,
      );
      times[i] = last / 1e6;
    }
    this.#last = last;
    return times;
  }
}
