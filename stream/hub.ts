/**
 * Fan-out: one stream's points, shared by every viewer with bounded memory.
 *
 * The hub keeps every point in its history and the points not yet sent:
 * as text lines for viewers of text frames, as binary runs (frames.ts) for
 * viewers that asked for them, each only while such a viewer is attached.
 * A frame is built once for all viewers and goes out as soon as the event
 * loop is free after a read, or later when passes over many viewers take
 * long (pacer.ts).
 *
 * Every point reaches a viewer that keeps up; one that falls behind gets a
 * reduced stream, and one far behind is dropped (viewer_budget.ts).
 * Nothing here ever waits for a viewer, so a slow one cannot slow the others.
 *
 * @module
 */

import type { LogFields, Logger } from "../log.ts";
import { MAX_SERIES, type PointSink, type XKind } from "./sink.ts";
import { History } from "./history.ts";
import { historyWindowFor, INITIAL_SHAPE, metaMessage, type ViewOptions } from "./meta.ts";
import { initialStatus, type SourceStatus, withSkippedLine } from "./source_status.ts";
import { BINARY_PROTOCOL, PendingRuns } from "./frames.ts";
import { TextLines } from "./text_lines.ts";
import { joinMessages } from "./join_pieces.ts";
import { Pacer } from "./pacer.ts";
import { CLOSE_TRY_AGAIN_LATER } from "./close_codes.ts";
import {
  closeQuietly,
  type Delivery,
  type Frame,
  type Message,
  type Viewer,
  ViewerSeat,
} from "./viewer_budget.ts";

/** How often joins still under way get more of their window when no frame carries it. */
const JOIN_PUMP_MS = 20;

/** Options fixed for the hub's lifetime. */
export interface HubOptions extends ViewOptions {
  /** The stream's name, for log lines. */
  stream?: string;
  maxQueuedBytes: number;
  log: Logger;
  /** Bytes of history kept beyond the window (`--history`). */
  historyBytes: number;
}

interface Series {
  id: number;
  name: string;
  lastX: number;
  lastY: number;
  /** The flush number this series last had a point in. */
  touched: number;
}

/** A message as last built, and where history started then. */
type Built = { start: number | null; text: string } | undefined;

/** Shares one stream of points among many viewers. */
export class Hub implements PointSink {
  readonly #options: HubOptions;
  /** Every point kept, in typed arrays: the window, and history as far as `historyBytes` goes. */
  readonly history: History;
  readonly #byName = new Map<string, Series>();
  readonly #series: Series[] = [];
  readonly #viewers = new Map<Viewer, ViewerSeat>();
  /** The series of the last point: a source's series repeat point after point. */
  #last: Series | undefined;
  #xKind: XKind = INITIAL_SHAPE.x;
  #format = INITIAL_SHAPE.format;
  /** Points not yet sent, as text lines (while a text viewer is attached). */
  readonly #pendingText = new TextLines();
  /** The same points for binary viewers (while one is attached). */
  readonly #pendingRuns = new PendingRuns();
  /** Where the latest values are written for a reduced viewer. */
  readonly #latest = new TextLines();
  #textViewers = 0;
  #binaryViewers = 0;
  #flushNumber = 1;
  #metaChanged = false;
  #statusChanged = false;
  /** The last meta and status messages built, reused by joins while nothing in them changed. */
  #builtMeta: Built;
  #builtStatus: Built;
  #status: SourceStatus = initialStatus();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #joinTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #pacer = new Pacer();
  #dropped = 0;
  #points = 0;
  #stopped = false;
  /** Whether a series has been refused for the cap (logged once). */
  #capped = false;
  #flushQueued = false;
  #evictedSeen = 0;
  #pointsAtCommit = 0;
  #lastPointAt: number | null = null;

  constructor(options: HubOptions) {
    this.#options = options;
    const window = historyWindowFor(options.window, this.#xKind);
    this.history = new History({ maxBytes: options.historyBytes, ...window });
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
    return [...this.#viewers.values()].filter((seat) => seat.reduced).length;
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
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.refuse(name, false);
    let series = this.#last;
    if (series === undefined || series.name !== name) {
      series = this.#byName.get(name) ?? this.#create(name);
      if (series === undefined) return this.refuse(name, true);
      this.#last = series;
    }
    this.history.append(series.id, x, y);
    series.lastX = x;
    series.lastY = y;
    series.touched = this.#flushNumber;
    if (this.#textViewers > 0) this.#pendingText.add(series.id, x, y);
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
    this.history.setWindow(historyWindowFor(this.#options.window, kind));
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
    this.#status = withSkippedLine(this.#status, line, reason);
    this.#statusChanged = true;
  }

  /**
   * Starts sending to `viewer`: meta, the window and the status, then live frames. `who`
   * names it if it is dropped (the router's `remote=`).
   */
  attach(viewer: Viewer, who: LogFields = {}): void {
    this.#forget(viewer);
    this.#flush();
    const binary = viewer.protocol === BINARY_PROTOCOL;
    const windows = this.#series.map(({ id }) => ({ id, ...this.history.window(id) }));
    // Unchanged since the flush above but for where history starts, which no flag follows.
    const start = this.history.startX;
    const meta = this.#builtMeta?.start === start ? this.#builtMeta.text : this.#metaMessage();
    const messages: Message[] = [meta, ...joinMessages(windows, binary)];
    messages.push(
      this.#builtStatus?.start === start ? this.#builtStatus.text : this.#statusMessage(),
    );
    if (binary) this.#binaryViewers++;
    else this.#textViewers++;
    const seat = new ViewerSeat(viewer, binary, who, this.#options.maxQueuedBytes);
    this.#viewers.set(viewer, seat);
    if (!seat.join(messages, this.#flushNumber - 1, performance.now())) this.#forget(viewer);
    else if (seat.joining) this.#pumpJoins();
  }

  /** While a join is under way, sends more of it every `JOIN_PUMP_MS` as its queue drains. */
  #pumpJoins(): void {
    if (this.#joinTimer !== undefined || this.#stopped) return;
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = undefined;
      const now = performance.now();
      let joining = false;
      for (const seat of [...this.#viewers.values()]) {
        if (!seat.joining) continue;
        this.#settle(seat, seat.pump(now, this.#latestSince, this.#flushNumber));
        joining ||= seat.joining;
      }
      if (joining) this.#pumpJoins();
    }, JOIN_PUMP_MS);
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
    clearTimeout(this.#joinTimer);
    this.#timer = this.#joinTimer = undefined;
  }

  /**
   * Counts a point refused, here or by a backplane's writer: not finite, or (`overCap`) its
   * series past the cap, logged the first time with the way out.
   */
  refuse(series: string, overCap: boolean): false {
    if (overCap && !this.#capped) {
      this.#capped = true;
      const note = "further series are refused (counted, not logged): " +
        "fewer columns or topics; --match narrows a scrape";
      const { log, stream } = this.#options;
      log.warn("series-refused", { stream, series, limit: MAX_SERIES, note });
    }
    this.#status.refused++;
    this.#statusChanged = true;
    // A writer's refusals reach no commit here: the page hears of them all the same.
    this.#schedule();
    return false;
  }

  #create(name: string): Series | undefined {
    if (this.#series.length >= MAX_SERIES) return undefined;
    const series: Series = { id: this.#series.length, name, lastX: NaN, lastY: NaN, touched: 0 };
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
      this.#pendingText.clear();
      this.#pendingRuns.clear();
      this.#flushNumber++;
      return;
    }
    const wait = this.#pacer.wait(this.#viewers.size);
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
    const text = this.#pendingText.take() || undefined;
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
    this.#flushNumber++;
    this.#metaChanged = false;
    this.#statusChanged = false;
    if (full.length === 0 && binary.length === 0) return;
    for (const seat of this.#viewers.values()) this.#deliver(seat, frame, started);
    this.#pacer.passed(started);
  }

  /** The latest value of each series with a point since flush `since`, for reduced viewers. */
  readonly #latestSince = (since: number): string => {
    const latest = this.#latest;
    for (const series of this.#series) {
      if (series.touched > since) latest.add(series.id, series.lastX, series.lastY);
    }
    return latest.take();
  };

  #deliver(seat: ViewerSeat, frame: Frame, now: number): void {
    this.#settle(seat, seat.deliver(frame, now, this.#latestSince));
  }

  /** Forgets and closes a viewer whose delivery failed or that is over its budget. */
  #settle(seat: ViewerSeat, delivery: Delivery): void {
    const { maxQueuedBytes, log } = this.#options;
    if (delivery.kind === "sent") return;
    // Forgotten first: closed once, and never written to again.
    this.#forget(seat.viewer);
    if (delivery.kind === "gone") return;
    this.#dropped++;
    log.warn("viewer-dropped", {
      stream: this.#options.stream,
      ...seat.who,
      reason: delivery.reason,
      queued: delivery.queued,
      limit: maxQueuedBytes,
    });
    closeQuietly(seat.viewer, CLOSE_TRY_AGAIN_LATER, "Viewer too slow: reconnect");
  }

  #forget(viewer: Viewer): void {
    const seat = this.#viewers.get(viewer);
    if (!seat) return;
    this.#viewers.delete(viewer);
    if (seat.binary) this.#binaryViewers--;
    else this.#textViewers--;
  }

  #metaMessage(): string {
    const start = this.history.startX;
    const series = this.#series.map(({ id, name }) => ({ id, name }));
    const text = metaMessage(this.#options, {
      x: this.#xKind,
      format: this.#format,
      historyStart: start,
      series,
    });
    this.#builtMeta = { start, text };
    return text;
  }

  #statusMessage(): string {
    const start = this.history.startX;
    const text = JSON.stringify({ type: "status", ...this.#status, historyStart: start });
    this.#builtStatus = { start, text };
    return text;
  }
}
