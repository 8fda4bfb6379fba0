/**
 * Fan-out: one stream's points, shared by every viewer with bounded memory.
 *
 * The hub keeps every point in its history and the points not yet sent:
 * as text lines for viewers of text frames, as binary runs (frames.ts) for
 * viewers that asked for them, each only while such a viewer is attached.
 * A frame is built once for all viewers and goes out as soon as the event
 * loop is free after a read; when a pass over the viewers takes long
 * (thousands of sockets), the next frame waits as long after that pass as it
 * took, so batches grow with load instead of with a fixed clock, and no more
 * than half the time goes to sending.
 *
 * Every point reaches a viewer that keeps up. A viewer's queue is weighed
 * in bytes and in messages (send_queue.ts). One that holds more than a
 * quarter of `maxQueuedBytes` unsent gets a reduced stream (the latest value
 * of each series per frame) and is told so; once its queue has drained it
 * gets every point again. A viewer over `maxQueuedBytes`, or behind and
 * taking nothing for `STALL_DROP_MS`, is closed with 1013 (try again later)
 * once, and never written to again: its socket may take long to go, as a
 * close waits behind what the peer has not read.
 *
 * A big join is not a slow viewer: the window sent on joining drains first,
 * and the bound applies to what is queued behind it.
 * Nothing here ever waits for a viewer, so a slow one cannot slow the others.
 *
 * @module
 */

import type { WindowSpec } from "../config.ts";
import type { Logger } from "../log.ts";
import type { PointSink, XKind } from "./sink.ts";
import { History } from "./history.ts";
import { BINARY_PROTOCOL, encodeRuns, PendingRuns } from "./frames.ts";
import { queueCost } from "./send_queue.ts";

/** What the hub needs of a viewer: the server-side WebSocket fits it. */
export interface Viewer {
  readonly bufferedAmount: number;
  /** `liveplot-f64` when the viewer takes binary data frames (see frames.ts). */
  readonly protocol: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A skipped line and why, as the page shows it. */
export interface SkippedLine {
  line: string;
  reason: string;
}

/** The state of the source, as viewers are told it. */
export interface SourceStatus {
  /**
   * `live`: reading; `connecting`/`waiting`: a network or serial source is not
   * receiving yet or any more (`detail` says why); `ended`: the source is done.
   */
  state: "live" | "connecting" | "waiting" | "ended";
  /** Why the source is connecting or waiting ("waiting for /dev/ttyACM0"); null otherwise. */
  detail: string | null;
  exitCode: number | null;
  /** The last few lines a command wrote to stderr, newest last (shown when it fails). */
  stderr: string[];
  /** Lines that fit no format. */
  skipped: number;
  /** Lines longer than `--max-line`. */
  truncated: number;
  /** Points refused: past the series cap, or not a finite number. */
  refused: number;
  /** The last few skipped lines, newest last. */
  recentSkipped: SkippedLine[];
  /** With `--redis`: whether the data store is reachable; null without it. */
  store: "connected" | "waiting" | null;
  /** With `--redis`: times the data store lost points (restarted without its data). */
  gaps: number;
}

/** Options fixed for the hub's lifetime. */
export interface HubOptions {
  window: WindowSpec;
  maxQueuedBytes: number;
  log: Logger;
  /** The page's fixed y range, if any. */
  yRange?: [number, number];
  /** Bytes of history kept beyond the window (`--history`). */
  historyBytes: number;
  /** What the page is headed by: the source, or the stream's name. */
  title?: string;
}

/** Close code for a viewer that fell too far behind (RFC 6455 "try again later"). */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** A backstop on series count, so input with ever-new names stays bounded. */
export const MAX_SERIES = 64;
/** Skipped lines kept for the page to show. */
export const RECENT_SKIPPED = 5;
/** A skipped line is shown up to this many characters. */
const SKIPPED_LINE_CHARS = 200;
/** A viewer behind for this long without taking a byte is stalled, and dropped. */
export const STALL_DROP_MS = 5000;
/** A viewer that falls behind gets the latest values at most this often. */
export const REDUCED_INTERVAL_MS = 250;
/** The longest a frame waits for the previous pass over the viewers. */
const MAX_FRAME_GAP_MS = 100;

interface Series {
  id: number;
  name: string;
  lastX: number;
  lastY: number;
  /** The flush number this series last had a point in. */
  touched: number;
}

interface ViewerState {
  /** Takes binary data frames. */
  binary: boolean;
  /** Cost of the join window that may still be queued: not held against the viewer. */
  grace: number;
  /** Messages sent since the socket's queue last read empty. */
  unsent: number;
  reduced: boolean;
  /** Bytes queued after the last delivery, and when the queue last shrank. */
  queuedAfter: number;
  progressAt: number;
  /** While reduced: when it was last sent latest values, and the last flush they covered. */
  reducedAt: number;
  reducedFlush: number;
}

/** A message as sent: text, or a binary data frame. */
type Message = string | Uint8Array;

/** One flush's messages, built once for every viewer. */
interface Frame {
  number: number;
  /** For viewers of text frames. */
  full: Message[];
  /** For viewers of binary frames: the same, with the data as a binary frame. */
  binary: Message[];
  meta: string | undefined;
  status: string | undefined;
}

/** Shares one stream of points among many viewers. */
export class Hub implements PointSink {
  readonly #options: HubOptions;
  /** Every point kept, in typed arrays: the window, and history as far as `historyBytes` goes. */
  readonly history: History;
  readonly #byName = new Map<string, Series>();
  readonly #series: Series[] = [];
  readonly #viewers = new Map<Viewer, ViewerState>();
  #xKind: XKind = "time";
  #format = "auto";
  /** Points not yet sent, as text lines (while a text viewer is attached). */
  #pending = "";
  /** The same points for binary viewers (while one is attached). */
  readonly #pendingRuns = new PendingRuns();
  #textViewers = 0;
  #binaryViewers = 0;
  #flushNumber = 1;
  #metaChanged = false;
  #statusChanged = false;
  #status: SourceStatus = {
    state: "live",
    detail: null,
    exitCode: null,
    stderr: [],
    skipped: 0,
    truncated: 0,
    refused: 0,
    recentSkipped: [],
    store: null,
    gaps: 0,
  };
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last pass over the viewers ended, and how long it took. */
  #lastPassEnd = -Infinity;
  #lastPassMs = 0;
  #dropped = 0;
  #points = 0;
  #stopped = false;
  #flushQueued = false;
  #evictedSeen = 0;
  #pointsAtCommit = 0;
  #lastPointAt: number | null = null;

  constructor(options: HubOptions) {
    this.#options = options;
    const { window } = options;
    this.history = new History({
      maxBytes: options.historyBytes,
      windowPoints: "points" in window ? window.points : 1,
      windowSeconds: "seconds" in window ? window.seconds : undefined,
    });
  }

  /** Number of viewers attached now. */
  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** Number of viewers dropped for being too slow, since start. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** Viewers getting a reduced stream now, for falling behind. */
  get reducedCount(): number {
    let count = 0;
    for (const state of this.#viewers.values()) if (state.reduced) count++;
    return count;
  }

  /** Points taken since start. */
  get pointCount(): number {
    return this.#points;
  }

  /** When the last point was taken, in seconds since the epoch; null before the first. */
  get lastPointAt(): number | null {
    return this.#lastPointAt;
  }

  /** The series' names, by id. */
  get names(): string[] {
    return this.#series.map((series) => series.name);
  }

  /** What x means. */
  get xKind(): XKind {
    return this.#xKind;
  }

  /** The source's status as last reported. */
  get status(): Readonly<SourceStatus> {
    return this.#status;
  }

  add(name: string, x: number, y: number): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.#refuse();
    const series = this.#byName.get(name) ?? this.#create(name);
    if (series === undefined) return this.#refuse();
    this.history.append(series.id, x, y);
    series.lastX = x;
    series.lastY = y;
    series.touched = this.#flushNumber;
    if (this.#textViewers > 0) this.#pending += series.id + " " + x + " " + y + "\n";
    if (this.#binaryViewers > 0) this.#pendingRuns.add(series.id, x, y);
    this.#points++;
    return true;
  }

  commit(): void {
    if (this.#points !== this.#pointsAtCommit) {
      this.#pointsAtCommit = this.#points;
      this.#lastPointAt = Date.now() / 1000;
    }
    this.#schedule();
  }

  setXKind(kind: XKind): void {
    if (kind === this.#xKind) return;
    this.#xKind = kind;
    this.#metaChanged = true;
  }

  /** Names the format the reader detected, for the page. */
  setFormat(format: string): void {
    if (format === this.#format) return;
    this.#format = format;
    this.#metaChanged = true;
    this.#schedule();
  }

  /** Updates the source's status; viewers hear of it with the next frame. */
  report(change: Partial<Omit<SourceStatus, "recentSkipped" | "refused">>): void {
    this.#status = { ...this.#status, ...change };
    this.#statusChanged = true;
    this.#schedule();
  }

  /** Keeps a skipped line (cut short) for the page to show; the count comes with `report`. */
  noteSkipped(line: string, reason: string): void {
    const recent = this.#status.recentSkipped.slice(1 - RECENT_SKIPPED);
    recent.push({ line: line.slice(0, SKIPPED_LINE_CHARS), reason });
    this.#status = { ...this.#status, recentSkipped: recent };
    this.#statusChanged = true;
  }

  /** Starts sending to `viewer`: meta, the window and the status, then live frames. */
  attach(viewer: Viewer): void {
    this.#forget(viewer);
    this.#flush();
    const binary = viewer.protocol === BINARY_PROTOCOL;
    const windows = this.#series.map(({ id }) => ({ id, ...this.history.window(id) }));
    const messages: Message[] = [this.#metaMessage()];
    if (binary) {
      const frame = encodeRuns(windows);
      if (frame.length > 0) messages.push(frame);
    } else {
      let window = "";
      for (const { id, xs, ys } of windows) {
        for (let i = 0; i < xs.length; i++) window += id + " " + xs[i] + " " + ys[i] + "\n";
      }
      if (window !== "") messages.push(window);
    }
    messages.push(this.#statusMessage());
    if (binary) this.#binaryViewers++;
    else this.#textViewers++;
    const state: ViewerState = {
      binary,
      grace: 0,
      unsent: 0,
      reduced: false,
      queuedAfter: 0,
      progressAt: performance.now(),
      reducedAt: -Infinity,
      reducedFlush: 0,
    };
    this.#viewers.set(viewer, state);
    try {
      for (const message of messages) viewer.send(message);
    } catch {
      this.#forget(viewer);
      return;
    }
    // All that is queued now, the window and whatever came before it, drains before the
    // bound applies.
    state.unsent = messages.length;
    state.grace = state.queuedAfter = queueCost(viewer.bufferedAmount, state.unsent);
  }

  /** Stops sending to `viewer`. */
  detach(viewer: Viewer): void {
    this.#forget(viewer);
  }

  /** Sends what is pending and stops for good: later points are kept, never sent. */
  stop(): void {
    this.#flush();
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refuse(): false {
    this.#status.refused++;
    this.#statusChanged = true;
    return false;
  }

  #create(name: string): Series | undefined {
    if (this.#series.length >= MAX_SERIES) return undefined;
    const series: Series = {
      id: this.#series.length,
      name,
      lastX: NaN,
      lastY: NaN,
      touched: 0,
    };
    this.#series.push(series);
    this.#byName.set(name, series);
    this.#metaChanged = true;
    return series;
  }

  /**
   * Flushes on the next turn of the event loop, or, when the last pass over
   * the viewers took long, once as long again has passed since it ended.
   */
  #schedule(): void {
    if (this.#timer !== undefined || this.#flushQueued || this.#stopped) return;
    if (this.#viewers.size === 0) {
      this.#pending = "";
      this.#pendingRuns.clear();
      this.#flushNumber++;
      return;
    }
    const gap = Math.min(this.#lastPassMs, MAX_FRAME_GAP_MS);
    const wait = this.#lastPassEnd + gap - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => this.#flush(), wait);
      return;
    }
    // Idle: the frame goes once this turn's reads are done, not a timer tick later.
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const started = performance.now();
    if (this.history.evicted !== this.#evictedSeen) {
      // Where history begins has moved: the page says so.
      this.#evictedSeen = this.history.evicted;
      this.#statusChanged = true;
    }
    const metaMessage = this.#metaChanged ? this.#metaMessage() : undefined;
    const statusMessage = this.#statusChanged ? this.#statusMessage() : undefined;
    const text = this.#pending !== "" ? this.#pending : undefined;
    const runs = this.#pendingRuns.take();
    const full = [metaMessage, text, statusMessage].filter((message) => message !== undefined);
    const binary = [metaMessage, runs, statusMessage].filter((message) => message !== undefined);
    const frame: Frame = {
      number: this.#flushNumber,
      full,
      binary,
      meta: metaMessage,
      status: statusMessage,
    };
    this.#pending = "";
    this.#flushNumber++;
    this.#metaChanged = false;
    this.#statusChanged = false;
    if (full.length === 0 && binary.length === 0) return;
    for (const [viewer, state] of this.#viewers) this.#deliver(viewer, state, frame, started);
    this.#lastPassEnd = performance.now();
    this.#lastPassMs = this.#lastPassEnd - started;
  }

  /**
   * What a viewer that falls behind gets: meta and status as they change, and at most every
   * `REDUCED_INTERVAL_MS` the latest value of each series that has changed since.
   */
  #reducedFrame(state: ViewerState, frame: Frame, now: number): Message[] {
    const messages: Message[] = [];
    if (frame.meta) messages.push(frame.meta);
    if (now - state.reducedAt >= REDUCED_INTERVAL_MS) {
      let latest = "";
      for (const series of this.#series) {
        if (series.touched > state.reducedFlush) {
          latest += series.id + " " + series.lastX + " " + series.lastY + "\n";
        }
      }
      state.reducedAt = now;
      state.reducedFlush = frame.number;
      if (latest !== "") messages.push(latest);
    }
    if (frame.status) messages.push(frame.status);
    return messages;
  }

  #deliver(viewer: Viewer, state: ViewerState, frame: Frame, now: number): void {
    const buffered = viewer.bufferedAmount;
    if (buffered === 0) state.unsent = 0;
    const queued = queueCost(buffered, state.unsent);
    if (queued < state.queuedAfter || queued === 0) state.progressAt = now;
    // The join window drains first: what is queued beyond it is the viewer's own lag.
    state.grace = Math.min(state.grace, queued);
    const lag = queued - state.grace;
    const stalled = state.reduced && lag > 0 && now - state.progressAt > STALL_DROP_MS;
    if (lag > this.#options.maxQueuedBytes || stalled) {
      // Forgotten first: closed once, and never written to again.
      this.#forget(viewer);
      this.#dropped++;
      this.#options.log.warn("viewer-dropped", {
        reason: stalled ? "stalled" : "slow",
        queued,
        limit: this.#options.maxQueuedBytes,
      });
      closeQuietly(viewer, CLOSE_TRY_AGAIN_LATER, "Viewer too slow: reconnect");
      return;
    }
    try {
      if (!state.reduced && lag > this.#options.maxQueuedBytes / 4) {
        state.reduced = true;
        // Points of this frame's series are what it gets first.
        state.reducedFlush = frame.number - 1;
        state.reducedAt = -Infinity;
        viewer.send(JSON.stringify({ type: "viewer", reduced: true }));
        state.unsent++;
      } else if (state.reduced && queued === 0) {
        state.reduced = false;
        viewer.send(JSON.stringify({ type: "viewer", reduced: false }));
        state.unsent++;
      }
      const messages = state.reduced
        ? this.#reducedFrame(state, frame, now)
        : state.binary
        ? frame.binary
        : frame.full;
      // The same string or bytes for every viewer: framed by Deno as it writes each.
      for (const message of messages) viewer.send(message);
      state.unsent += messages.length;
      state.queuedAfter = queueCost(viewer.bufferedAmount, state.unsent);
    } catch {
      // The socket closed under us; its close handler detaches it.
      this.#forget(viewer);
    }
  }

  #forget(viewer: Viewer): void {
    const state = this.#viewers.get(viewer);
    if (!state) return;
    this.#viewers.delete(viewer);
    if (state.binary) this.#binaryViewers--;
    else this.#textViewers--;
  }

  #metaMessage(): string {
    const window = this.#options.window;
    return JSON.stringify({
      type: "meta",
      x: this.#xKind,
      format: this.#format,
      window: "points" in window ? window.points : null,
      windowSeconds: "seconds" in window ? window.seconds : null,
      yRange: this.#options.yRange ?? null,
      title: this.#options.title ?? null,
      historyStart: this.history.startX,
      series: this.#series.map(({ id, name }) => ({ id, name })),
    });
  }

  #statusMessage(): string {
    return JSON.stringify({ type: "status", ...this.#status, historyStart: this.history.startX });
  }
}

function closeQuietly(viewer: Viewer, code: number, reason: string): void {
  try {
    viewer.close(code, reason);
  } catch {
    // Already closing.
  }
}
