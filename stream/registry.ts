/**
 * Named streams: each has its own hub (window, history, series cap). The
 * command line's source feeds one; only a write creates the others (a push,
 * or with a backplane another process's push). `maxStreams` bounds their
 * number, and a stream with no writer and no viewer for `ttlMs` is freed
 * (the command line's never is). A viewer of a stream that does not exist
 * yet waits for it without taking a slot, and joins when the first write
 * creates it.
 *
 * @module
 */

import type { LineFormat, XChoice } from "../config.ts";
import type { LogFields, Logger } from "../log.ts";
import type { Detected, LineReader } from "./formats/types.ts";
import type { Hub } from "./hub.ts";
import type { ViewOptions } from "./meta.ts";
import { normalisingSink } from "./series_name.ts";
import type { PointSink } from "./sink.ts";
import type * as PushStatus from "./push_status.ts";
import type { SourceStatus } from "./source_status.ts";

/** Viewers waiting for streams that do not exist yet, across all names. */
export const MAX_WAITING_VIEWERS = 1000;
/** Line readers a stream keeps (one per format and x asked for); past it the oldest goes. */
const MAX_READERS = 16;
/** How often idle streams are looked for (`--stream-ttl`'s help says it). */
export const SWEEP_INTERVAL_MS = 10_000;
/** Rates are averaged over this many one-second samples. */
const RATE_SAMPLES = 5;

/** One stream as `GET /s/` lists it. */
export interface StreamSummary {
  name: string;
  series: readonly string[];
  pointsPerSecond: number;
  viewers: number;
  writers: number;
  lastPointAt: number | null;
  /** Its source's state and why (`waiting`, "Cannot scrape …"), as the page's status line says. */
  state: SourceStatus["state"];
  detail: string | null;
}

/** What the registry is built with. */
export interface StreamsOptions {
  /** How stream `name` is shown: its hub's view, told to its viewers before it exists. */
  view: (name: string) => ViewOptions;
  /** Makes stream `name`'s hub; called once `ready()` has resolved. */
  createHub: (name: string) => Hub;
  /** Loads what `createHub` needs, once (the hub's modules load with the first stream). */
  prepare?: () => Promise<void>;
  /** Where a stream's writers put their points (a backplane's writer); the hub by default. */
  sinkFor?: (name: string, hub: Hub) => PointSink;
  /** Why writers cannot hand on points now (a backplane waiting for its data store). */
  writeBlocked?: () => string | undefined;
  /** Told when an idle stream is freed. */
  onFreed?: (name: string) => void;
  maxStreams: number;
  ttlMs: number;
  log: Logger;
}

/** Makes a line reader (formats/mod.ts `createLineReader`, loaded with the first push). */
export type ReaderFactory = (format: LineFormat, x: XChoice) => LineReader;

/** One writer's seat on a stream, for the length of one request. */
export interface StreamWriter {
  readonly sink: PointSink;
  /** Why points cannot be taken now, if they cannot. */
  blocked(): string | undefined;
  /** The stream's reader for `format` and `x`, made by `create` once and kept across requests. */
  readerFor(format: LineFormat, x: XChoice, create: ReaderFactory): LineReader;
  /** Told once, when the reader knows the format (for the page). */
  detected(detected: Detected): void;
  /** Told of each skipped line and why: the page lists and counts it, and the first is logged. */
  skipped(line: string, reason: string): void;
  /** Told of each line cut off for being over `limit` bytes: counted, and the first logged. */
  cutOff(limit: number): void;
  /** Told of `count` more header lines (names, no points): the empty page's hint says so. */
  headers(count: number): void;
  /** The request is over: the stream may count as idle again. */
  close(): void;
}

/** One named stream. */
export class Stream {
  /** Writers (HTTP bodies being read, the command line's source) attached now. */
  writers = 0;
  /** When the last writer left (`Date.now()`); undefined while none has (push_status.ts). */
  writerLeftAt: number | undefined;
  lastUsed = Date.now();
  /** The hub's point count at each of the last few seconds, newest last. */
  readonly counts: number[] = [];
  readonly #readers = new Map<string, LineReader>();
  /** What its writers' bad lines have been logged as: once a stream, as a source's are. */
  readonly #warned = new Set<"lines-skipped" | "lines-cut-off">();

  constructor(
    readonly name: string,
    readonly hub: Hub,
    /** Kept for the life of the process. */
    readonly pinned: boolean,
    /** Listed by `GET /s/` before it has a point (a viewer-only process's `/` has none). */
    readonly listedEmpty = true,
  ) {}

  /**
   * The reader for `format` and `x`, kept across requests: a header posted
   * once names the columns of every later post with the same query.
   */
  readerFor(format: LineFormat, x: XChoice, create: ReaderFactory): LineReader {
    const key = `${format}\n${x.kind === "field" ? `field:${x.name}` : x.kind}`;
    let reader = this.#readers.get(key);
    if (!reader) {
      reader = create(format, x);
      if (this.#readers.size >= MAX_READERS) {
        this.#readers.delete(this.#readers.keys().next().value as string);
      }
      this.#readers.set(key, reader);
    }
    return reader;
  }

  /** A writer's line that fit no format: listed and counted on the page, the first logged. */
  skipped(line: string, reason: string, log: Logger): void {
    this.hub.noteSkipped(line, reason);
    this.hub.report({ skipped: this.hub.status.skipped + 1 });
    this.#warnOnce(log, "lines-skipped", { reason });
  }

  /** A writer's line over `limit` bytes: counted on the page, the first logged. */
  cutOff(limit: number, log: Logger): void {
    this.hub.report({ truncated: this.hub.status.truncated + 1 });
    this.#warnOnce(log, "lines-cut-off", { limit });
  }

  #warnOnce(log: Logger, event: "lines-skipped" | "lines-cut-off", fields: LogFields): void {
    if (this.#warned.has(event)) return;
    this.#warned.add(event);
    log.warn(event, { stream: this.name, ...fields, note: "further ones are counted, not logged" });
  }
}

/** The streams of one process. */
export class Streams {
  readonly #options: StreamsOptions;
  readonly #streams = new Map<string, Stream>();
  readonly #waiting = new Map<string, Set<(stream: Stream) => void>>();
  #waitingCount = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #sampler: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #ready: Promise<void> | undefined;
  /** Loaded with the first stream, as the hub is: a pushed stream's live or waiting. */
  #pushStatus: typeof PushStatus | undefined;

  constructor(options: StreamsOptions) {
    this.#options = options;
  }

  /** Resolves once streams can be opened: whoever opens one awaits it first. */
  ready(): Promise<void> {
    return this.#ready ??= Promise.all([
      this.#options.prepare?.(),
      import("./push_status.ts").then((module) => void (this.#pushStatus = module)),
    ]).then(() => {});
  }

  /** Streams held now. */
  get size(): number {
    return this.#streams.size;
  }

  /** Viewers waiting for a stream to be created. */
  get waitingCount(): number {
    return this.#waitingCount;
  }

  /** How stream `name` is shown, whether or not it exists yet. */
  view(name: string): ViewOptions {
    return this.#options.view(name);
  }

  /** The stream `name`, if it exists. */
  get(name: string): Stream | undefined {
    const stream = this.#streams.get(name);
    if (stream) stream.lastUsed = Date.now();
    return stream;
  }

  /**
   * The stream `name`, created if there is room; undefined at `maxStreams`.
   * Only writers call this: a stream exists because something wrote to it.
   */
  open(name: string, pinned = false, listedEmpty = true): Stream | undefined {
    const existing = this.get(name);
    if (existing) return existing;
    if (this.#streams.size >= this.#options.maxStreams) this.sweep();
    if (this.#streams.size >= this.#options.maxStreams) return undefined;
    const stream = new Stream(name, this.#options.createHub(name), pinned, listedEmpty);
    this.#streams.set(name, stream);
    this.#startTimers();
    this.#options.log.debug("stream-created", { stream: name });
    const waiting = this.#waiting.get(name);
    if (waiting) {
      this.#waiting.delete(name);
      this.#waitingCount -= waiting.size;
      const joins = [...waiting];
      // Emptied first: a viewer that leaves later no longer counts as waiting.
      waiting.clear();
      for (const join of joins) join(stream);
    }
    return stream;
  }

  /** A writer's seat on stream `name`, creating it; undefined at `maxStreams`. */
  openWriter(name: string): StreamWriter | undefined {
    const stream = this.open(name);
    if (!stream) return undefined;
    stream.writers++;
    if (!stream.pinned) this.#pushStatus?.pushStarted(stream.hub);
    return {
      sink: this.sinkFor(stream),
      blocked: () => this.#options.writeBlocked?.(),
      readerFor: (format, x, create) => stream.readerFor(format, x, create),
      detected: (detected) => stream.hub.setFormat(detected.format),
      skipped: (line, reason) => stream.skipped(line, reason, this.#options.log),
      cutOff: (limit) => stream.cutOff(limit, this.#options.log),
      headers: (count) => stream.hub.report({ headers: stream.hub.status.headers + count }),
      close: () => {
        stream.writers--;
        stream.lastUsed = stream.writerLeftAt = Date.now();
      },
    };
  }

  /** Where `stream`'s writers put their points (the backplane's writer, or its hub), names normalised. */
  sinkFor(stream: Stream): PointSink {
    return normalisingSink(this.#options.sinkFor?.(stream.name, stream.hub) ?? stream.hub);
  }

  /**
   * Calls `join` once stream `name` exists (at once if it does). Returns a
   * function that stops waiting, or undefined when `MAX_WAITING_VIEWERS` wait
   * already: waiting costs no stream slot, so it is bounded by itself.
   */
  whenCreated(name: string, join: (stream: Stream) => void): (() => void) | undefined {
    const stream = this.get(name);
    if (stream) {
      join(stream);
      return () => {};
    }
    if (this.#waitingCount >= MAX_WAITING_VIEWERS) return undefined;
    const waiting = this.#waiting.get(name) ?? new Set();
    this.#waiting.set(name, waiting);
    waiting.add(join);
    this.#waitingCount++;
    return () => {
      if (!waiting.delete(join)) return;
      this.#waitingCount--;
      if (waiting.size === 0 && this.#waiting.get(name) === waiting) this.#waiting.delete(name);
    };
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
    const listed = this.list().filter((stream) => stream.listedEmpty || stream.hub.pointCount > 0);
    return listed.map((stream) => {
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
        state: hub.status.state,
        detail: hub.status.detail,
      };
    });
  }

  /** Every second: each stream's point count, and whether a pushed one has gone quiet. */
  #sample(): void {
    const now = Date.now();
    for (const stream of this.#streams.values()) {
      const { counts, hub } = stream;
      counts.push(hub.pointCount);
      if (counts.length > RATE_SAMPLES + 1) counts.shift();
      if (!stream.pinned) {
        this.#pushStatus?.checkQuiet(hub, stream.writers, stream.writerLeftAt, now);
      }
    }
  }

  /**
   * The sweeper and the sampler, from the first stream on: the demo has none,
   * and `Deno.unrefTimer` loads Deno's Node timers, a few ms of every start.
   */
  #startTimers(): void {
    if (this.#sweeper !== undefined || this.#stopped) return;
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#sampler = setInterval(() => this.#sample(), 1000);
    Deno.unrefTimer(Number(this.#sweeper));
    Deno.unrefTimer(Number(this.#sampler));
  }

  /** Stops every hub, the sweeper and the sampler. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#sampler);
    for (const stream of this.#streams.values()) stream.hub.stop();
  }
}
