/**
 * Fan-out: one source's points, shared by every viewer with bounded memory.
 *
 * The hub keeps the last `window` points of each series and a batch of
 * points not yet sent. At most once per `FLUSH_INTERVAL_MS` (one animation
 * frame) the batch becomes one frame, built once and sent to all viewers, so
 * the cost per message does not grow with the input rate. When more than
 * twice `window` points of a series arrive within one frame, only the last
 * `window` of them are kept for it: the older ones would scroll out of every
 * viewer's window before being drawn. A viewer that joins late
 * gets the window and then live frames: the batch is flushed to the others
 * first, so the window it receives holds exactly the points sent so far.
 *
 * Backpressure: a viewer whose socket already holds `maxQueuedBytes` unsent
 * is dropped with 1013 (try again later); it reconnects and takes the window
 * afresh. Nothing here ever waits for a viewer, so a slow one cannot slow the
 * others, and no queue grows past the bound.
 *
 * @module
 */

import type { XAxis } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Point } from "./parse_line.ts";

/** What the hub needs of a viewer: the server-side WebSocket fits it. */
export interface Viewer {
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The state of the source, as viewers are told it. */
export interface SourceStatus {
  state: "live" | "ended";
  exitCode: number | null;
  skipped: number;
  truncated: number;
}

/** Options fixed for the hub's lifetime. */
export interface HubOptions {
  window: number;
  maxQueuedBytes: number;
  /** What x is, for the page's axis: `number` for `series x y` input. */
  xAxis: XAxis | "number";
  log: Logger;
}

/** Close code for a viewer that fell too far behind (RFC 6455 "try again later"). */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** One animation frame's worth of time: the most often a viewer gets a frame. */
export const FLUSH_INTERVAL_MS = 16;
/** A backstop on series count, so input with ever-new names stays bounded. */
export const MAX_SERIES = 64;

interface Series {
  name: string;
  ring: string[];
  next: number;
}

/** Shares one stream of points among many viewers. */
export class Hub {
  readonly #options: HubOptions;
  readonly #series = new Map<string, Series>();
  readonly #viewers = new Set<Viewer>();
  #pending: string[] = [];
  #metaChanged = false;
  #statusChanged = false;
  #status: SourceStatus = {
    state: "live",
    exitCode: null,
    skipped: 0,
    truncated: 0,
  };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = -Infinity;
  #dropped = 0;

  constructor(options: HubOptions) {
    this.#options = options;
  }

  /** Number of viewers attached now. */
  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** Number of viewers dropped for being too slow, since start. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** The source's status as last reported. */
  get status(): Readonly<SourceStatus> {
    return this.#status;
  }

  /** Adds points; returns how many were refused because of `MAX_SERIES`. */
  publish(points: readonly Point[]): number {
    let refused = 0;
    for (const point of points) {
      const series = this.#seriesFor(point.series);
      if (!series) {
        refused++;
        continue;
      }
      const line = `${point.series} ${point.x} ${point.y}`;
      if (series.ring.length < this.#options.window) series.ring.push(line);
      else series.ring[series.next] = line;
      series.next = (series.next + 1) % this.#options.window;
      if (this.#viewers.size > 0) this.#pending.push(line);
    }
    if (this.#pending.length > 2 * this.#options.window * this.#series.size) {
      this.#pending = this.#trimPending();
    }
    this.#schedule();
    return refused;
  }

  /** Names series (by id), as a header line does. */
  rename(names: ReadonlyMap<string, string>): void {
    for (const [id, name] of names) {
      const series = this.#seriesFor(id);
      if (series && series.name !== name) {
        series.name = name;
        this.#metaChanged = true;
      }
    }
    this.#schedule();
  }

  /** Updates the source's status; viewers hear of it with the next frame. */
  report(change: Partial<SourceStatus>): void {
    this.#status = { ...this.#status, ...change };
    this.#statusChanged = true;
    this.#schedule();
  }

  /** Starts sending to `viewer`: the window first, then live frames. */
  attach(viewer: Viewer): void {
    this.#flush();
    const window = [...this.#series.values()].flatMap(orderedRing);
    const messages = [this.#metaMessage()];
    if (window.length > 0) messages.push(window.join("\n") + "\n");
    messages.push(this.#statusMessage());
    this.#viewers.add(viewer);
    this.#deliver(viewer, messages);
  }

  /** Stops sending to `viewer`. */
  detach(viewer: Viewer): void {
    this.#viewers.delete(viewer);
  }

  /** Sends what is pending, then stops the timer; viewers stay attached. */
  stop(): void {
    this.#flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #seriesFor(id: string): Series | undefined {
    const existing = this.#series.get(id);
    if (existing || this.#series.size >= MAX_SERIES) return existing;
    const created = { name: id, ring: [], next: 0 };
    this.#series.set(id, created);
    this.#metaChanged = true;
    return created;
  }

  /** Keeps the last `window` pending lines of each series, in order. */
  #trimPending(): string[] {
    const seen = new Map<string, number>();
    const kept: string[] = [];
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const line = this.#pending[i] as string;
      const id = line.slice(0, line.indexOf(" "));
      const count = seen.get(id) ?? 0;
      if (count >= this.#options.window) continue;
      seen.set(id, count + 1);
      kept.push(line);
    }
    return kept.reverse();
  }

  /**
   * Flushes on the next turn of the event loop if the last flush was a frame
   * ago (so a quiet source's point goes out at once), else when a frame has
   * passed since it: never more than one frame per `FLUSH_INTERVAL_MS`.
   */
  #schedule(): void {
    if (this.#timer !== undefined || this.#viewers.size === 0) return;
    const wait = Math.max(0, this.#lastFlush + FLUSH_INTERVAL_MS - performance.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastFlush = performance.now();
    const messages: string[] = [];
    if (this.#metaChanged) messages.push(this.#metaMessage());
    if (this.#pending.length > 0) {
      messages.push(this.#pending.join("\n") + "\n");
    }
    if (this.#statusChanged) messages.push(this.#statusMessage());
    this.#pending = [];
    this.#metaChanged = false;
    this.#statusChanged = false;
    if (messages.length === 0) return;
    for (const viewer of this.#viewers) this.#deliver(viewer, messages);
  }

  #deliver(viewer: Viewer, messages: readonly string[]): void {
    let bytes = 0;
    for (const message of messages) bytes += message.length;
    // A viewer that has caught up always gets the frame, however large.
    const queued = viewer.bufferedAmount;
    if (queued > 0 && queued + bytes > this.#options.maxQueuedBytes) {
      this.#viewers.delete(viewer);
      this.#dropped++;
      this.#options.log.warn("viewer-dropped", {
        reason: "slow",
        queued,
        limit: this.#options.maxQueuedBytes,
      });
      closeQuietly(viewer, CLOSE_TRY_AGAIN_LATER, "Viewer too slow: reconnect");
      return;
    }
    try {
      for (const message of messages) viewer.send(message);
    } catch {
      // The socket closed under us; its close handler detaches it.
      this.#viewers.delete(viewer);
    }
  }

  #metaMessage(): string {
    const series = [...this.#series].map(([id, { name }]) => ({ id, name }));
    return JSON.stringify({
      type: "meta",
      x: this.#options.xAxis,
      window: this.#options.window,
      series,
    });
  }

  #statusMessage(): string {
    return JSON.stringify({ type: "status", ...this.#status });
  }
}

function orderedRing({ ring, next }: Series): string[] {
  // Until the ring is full `next` equals its length, and this is the ring.
  return [...ring.slice(next), ...ring.slice(0, next)];
}

function closeQuietly(viewer: Viewer, code: number, reason: string): void {
  try {
    viewer.close(code, reason);
  } catch {
    // Already closing.
  }
}
