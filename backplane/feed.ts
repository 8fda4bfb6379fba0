/**
 * Joins a stream late with no gap and no duplicate: what a process does
 * when it starts serving a stream that already has points in the engine (a
 * viewer's first visit there, or a new process). The window is read with
 * `recent()`; live batches that arrive meanwhile are held, and once the
 * window is in, those after its last entry are applied and the rest
 * dropped. From then on a batch is applied when it comes after the last one
 * applied: the window and the live batches come over different connections,
 * so a live batch the window already held can still arrive after it.
 *
 * @module
 */

import type { PointSink } from "../stream/sink.ts";
import { applyBatch, type Backplane, type Batch, isAfter } from "./backplane.ts";

/** Feeds one stream's sink (its hub): the window first, then live batches. */
export class StreamFeed {
  readonly #sink: PointSink;
  #held: Batch[] | undefined = [];
  /** The last batch applied. */
  #last: Batch | undefined;
  /** Settles when the window is in and live batches flow; never rejects. */
  readonly ready: Promise<void>;

  /** Starts reading the last `points` points of each series of `stream` into `sink`. */
  constructor(backplane: Backplane, stream: string, sink: PointSink, points: number) {
    this.#sink = sink;
    this.ready = backplane.recent(stream, points)
      .catch(() => [] as Batch[]) // Redis away: start empty, live batches still come.
      .then((window) => {
        for (const batch of window) applyBatch(batch, sink);
        this.#last = window.at(-1);
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const batch of held) this.#apply(batch);
      });
  }

  /** One live batch of this stream, from the backplane's subscriber. */
  push(batch: Batch): void {
    if (this.#held) this.#held.push(batch);
    else this.#apply(batch);
  }

  #apply(batch: Batch): void {
    if (!isAfter(batch, this.#last)) return;
    applyBatch(batch, this.#sink);
    this.#last = batch;
  }
}
