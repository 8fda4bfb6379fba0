/**
 * One push's body read into its stream (`POST /s/NAME`): its lines get
 * arrival times from an `ArrivalClock` and go through a `LineTally`
 * (stream/line_feed.ts), as a source's lines do, into the writer's sink with
 * the stream's kept reader. What differs from a source's `LineFeed` is only
 * what is counted where: the counts are this body's own (they answer its
 * request), a line cut off for length counts as skipped in them, and the
 * caller decides batch by batch how many lines may be read (a rate) and
 * whether any may (a backplane that cannot take them).
 *
 * Every line of a body is counted once: `taken` (it gave points), `headers`
 * (it named columns or fields), `blank`, or `skipped`; what a refusal cut
 * short is in none of them, and the refusal's status says so.
 *
 * @module
 */

import type { LineReader } from "./formats/types.ts";
import { type Batch, LineTally, timedLines } from "./line_feed.ts";
import type { StreamWriter } from "./registry.ts";
import type { PointSink } from "./sink.ts";

/** What a push's answer says of its lines, each counted once. */
export interface PushCounts {
  /** Lines that gave points. */
  taken: number;
  /** Header lines: they name columns or fields, and give no points. */
  headers: number;
  /** Empty or all-space lines. */
  blank: number;
  /** Lines that could not be read, or were cut off for length. */
  skipped: number;
}

/** Reads one request body's lines into a stream and counts them for its answer. */
export class PushFeed {
  readonly #reader: LineReader;
  readonly #sink: PointSink;
  readonly #tally: LineTally;
  readonly #maxLineBytes: number;
  readonly #cutOff: () => void;
  readonly #headers: (count: number) => void;
  #truncated = 0;
  #lineBreaks = false;

  constructor(
    writer: Pick<StreamWriter, "sink" | "skipped" | "cutOff" | "detected" | "headers">,
    reader: LineReader,
    maxLineBytes: number,
  ) {
    this.#reader = reader;
    this.#sink = writer.sink;
    this.#maxLineBytes = maxLineBytes;
    // The stream hears of skipped, cut-off and header lines and the format (for the page), as
    // from a source.
    this.#tally = new LineTally(writer);
    this.#headers = (count) => writer.headers(count);
    this.#cutOff = () => {
      this.#truncated++;
      writer.cutOff(maxLineBytes);
    };
  }

  /** The body's lines, a read at a time, with their arrival times. */
  batches(body: AsyncIterable<Uint8Array>): AsyncGenerator<Batch> {
    return timedLines(this.#watched(body), this.#maxLineBytes, this.#cutOff);
  }

  /** Whether the body so far has a line break (`curl -d @FILE` sends a file without any). */
  get hasLineBreak(): boolean {
    return this.#lineBreaks;
  }

  async *#watched(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      if (!this.#lineBreaks) this.#lineBreaks = chunk.includes(0x0a) || chunk.includes(0x0d);
      yield chunk;
    }
  }

  /** Reads the first `count` lines of `batch` (all by default) into the stream. */
  read(batch: Batch, count: number = batch.lines.length): void {
    const headersBefore = this.#tally.counts.header;
    this.#tally.read(batch.lines, batch.arrivals, this.#reader, this.#sink, count);
    // The stream hears of header lines too: a stream of nothing else says so on its page.
    const headers = this.#tally.counts.header - headersBefore;
    if (headers > 0) this.#headers(headers);
  }

  /** The body's lines so far, by what they were. */
  get counts(): PushCounts {
    const { points, header, blank, skipped } = this.#tally.counts;
    return { taken: points, headers: header, blank, skipped: skipped + this.#truncated };
  }
}
