/**
 * Named streams: each has its own hub (window, history, series cap). The
 * command line's source feeds one; HTTP writers create the others on first
 * use. `maxStreams` bounds their number, and a stream with no writer and no
 * viewer for `ttlMs` is freed (the command line's never is).
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Hub } from "./hub.ts";

/** Names a stream may have: letters, digits, `-`, `_` and `.`, at most 64. */
export const STREAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** How often idle streams are looked for. */
const SWEEP_INTERVAL_MS = 10_000;
/** Rates are averaged over this many one-second samples. */
const RATE_SAMPLES = 5;

/** One named stream. */
export interface Stream {
  readonly name: string;
  readonly hub: Hub;
  /** Writers (HTTP bodies being read, the command line's source) attached now. */
  writers: number;
  /** Kept for the life of the process. */
  readonly pinned: boolean;
  lastUsed: number;
  /** The hub's point count at each of the last few seconds, newest last. */
  readonly counts: number[];
}

/** One stream as `GET /s/` lists it. */
export interface StreamSummary {
  name: string;
  series: readonly string[];
  pointsPerSecond: number;
  viewers: number;
  writers: number;
  lastPointAt: number | null;
}

/** What the registry is built with. */
export interface StreamsOptions {
  createHub: (name: string) => Hub;
  /** Told when an idle stream is freed. */
  onFreed?: (name: string) => void;
  maxStreams: number;
  ttlMs: number;
  log: Logger;
}

/** Returns true when `name` is a valid stream name. */
export function isStreamName(name: string): boolean {
  return STREAM_NAME.test(name) && name !== "." && name !== "..";
}

/** The streams of one process. */
export class Streams {
  readonly #options: StreamsOptions;
  readonly #streams = new Map<string, Stream>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #sampler: ReturnType<typeof setInterval>;

  constructor(options: StreamsOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#sampler = setInterval(() => this.#sample(), 1000);
    Deno.unrefTimer(Number(this.#sweeper));
    Deno.unrefTimer(Number(this.#sampler));
  }

  /** Streams held now. */
  get size(): number {
    return this.#streams.size;
  }

  /** The stream `name`, if it exists. */
  get(name: string): Stream | undefined {
    const stream = this.#streams.get(name);
    if (stream) stream.lastUsed = Date.now();
    return stream;
  }

  /** The stream `name`, created if there is room; undefined at `maxStreams`. */
  open(name: string, pinned = false): Stream | undefined {
    const existing = this.get(name);
    if (existing) return existing;
    if (this.#streams.size >= this.#options.maxStreams) this.sweep();
    if (this.#streams.size >= this.#options.maxStreams) return undefined;
    const stream: Stream = {
      name,
      hub: this.#options.createHub(name),
      writers: 0,
      pinned,
      lastUsed: Date.now(),
      counts: [],
    };
    this.#streams.set(name, stream);
    this.#options.log.debug("stream-created", { stream: name });
    return stream;
  }

  /** Every stream, in the order they were made. */
  list(): Stream[] {
    return [...this.#streams.values()];
  }

  /** Frees streams with no writer and no viewer for `ttlMs`. */
  sweep(now = Date.now()): void {
    for (const stream of this.#streams.values()) {
      if (stream.pinned || stream.writers > 0 || stream.hub.viewerCount > 0) {
        if (stream.writers > 0 || stream.hub.viewerCount > 0) stream.lastUsed = now;
        continue;
      }
      if (now - stream.lastUsed < this.#options.ttlMs) continue;
      stream.hub.stop();
      this.#streams.delete(stream.name);
      this.#options.onFreed?.(stream.name);
      this.#options.log.info("stream-freed", { stream: stream.name, reason: "idle" });
    }
  }

  /** Every stream with its series, rate and users, for `GET /s/`. */
  summaries(): StreamSummary[] {
    return this.list().map((stream) => {
      const { counts, hub } = stream;
      const rate = counts.length > 1
        ? ((counts.at(-1) as number) - (counts[0] as number)) / (counts.length - 1)
        : 0;
      return {
        name: stream.name,
        series: hub.names,
        pointsPerSecond: rate,
        viewers: hub.viewerCount,
        writers: stream.writers,
        lastPointAt: hub.lastPointAt,
      };
    });
  }

  #sample(): void {
    for (const { counts, hub } of this.#streams.values()) {
      counts.push(hub.pointCount);
      if (counts.length > RATE_SAMPLES + 1) counts.shift();
    }
  }

  /** Stops every hub, the sweeper and the sampler. */
  stop(): void {
    clearInterval(this.#sweeper);
    clearInterval(this.#sampler);
    for (const stream of this.#streams.values()) stream.hub.stop();
  }
}
