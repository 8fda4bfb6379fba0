/**
 * One viewer's seat at a hub and the budget that keeps a slow viewer from
 * costing memory. A viewer's queue is weighed in bytes and in messages
 * (send_queue.ts). One that holds more than a quarter of `maxQueuedBytes`
 * unsent, or would hold more than `maxQueuedBytes` with the next frame (a
 * flood read between two passes), gets a reduced stream (the latest value of
 * each series, at most every `REDUCED_INTERVAL_MS`) and is told so; once its
 * queue has drained it gets every point again (the page fills what it
 * missed from history). A viewer over `maxQueuedBytes`, or reduced and
 * taking nothing for `STALL_DROP_MS`, is to be dropped: the hub forgets it,
 * then closes it with 1013 (try again later).
 *
 * A big join is not a slow viewer: the window sent on joining (meta, the
 * window in pieces, status) goes out as the queue drains, at most the budget
 * queued at a time, and the bound applies to what is queued behind it. Live
 * frames wait meanwhile; a viewer that missed some catches up as a reduced
 * one (the latest values, then every point, the page filling the gap from
 * history). A joiner that takes nothing for `STALL_DROP_MS` is dropped: one
 * that stops reading holds about its budget, not the window.
 *
 * @module
 */

import type { LogFields } from "../log.ts";
import { queueCost, QUEUED_MESSAGE_BYTES } from "./send_queue.ts";

/** What the hub needs of a viewer: the server-side WebSocket fits it. */
export interface Viewer {
  readonly bufferedAmount: number;
  /** `liveplot-f64` when the viewer takes binary data frames (see frames.ts). */
  readonly protocol: string;
  /**
   * Sends `data`, and is done with it on returning (a WebSocket copies it):
   * the hub writes its next binary frame over the same bytes.
   */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A viewer behind for this long without taking a byte is stalled, and dropped. */
export const STALL_DROP_MS = 5000;
/** A viewer that falls behind gets the latest values at most this often. */
export const REDUCED_INTERVAL_MS = 250;

/** A message as sent: text, or a binary data frame. */
export type Message = string | Uint8Array;

/** One flush's messages, built once for every viewer. */
export interface Frame {
  number: number;
  /** For viewers of text frames. */
  full: Message[];
  /** For viewers of binary frames: the same, with the data as a binary frame. */
  binary: Message[];
  meta: string | undefined;
  status: string | undefined;
}

/** What became of a frame offered to a seat. */
export type Delivery =
  | { kind: "sent" }
  /** The socket closed under us: its close handler detaches it. */
  | { kind: "gone" }
  /** Over the budget: forget the viewer, then close it with `CLOSE_TRY_AGAIN_LATER`. */
  | { kind: "drop"; reason: "slow" | "stalled"; queued: number };

/**
 * The latest value of each series that has had a point since flush `since`,
 * as text lines (`id x y`); what a reduced viewer gets.
 */
export type LatestValues = (since: number) => string;

/** One attached viewer and what its queue holds. */
export class ViewerSeat {
  /** The join's messages (meta, announcement, window pieces, status), and the next to send. */
  #join: readonly Message[] = [];
  #joinNext = 0;
  /** The last flush the join window holds. */
  #joinFlush = 0;
  /** Meta and status of live frames that came while joining, sent once it is out. */
  #heldMeta: Message | undefined;
  #heldStatus: Message | undefined;
  #missedLive = false;
  /** Cost of the join that may still be queued: not held against the viewer. */
  #grace = 0;
  /** Messages sent since the socket's queue last read empty. */
  #unsent = 0;
  #reduced = false;
  /** What was queued after the last delivery, and when the queue last shrank. */
  #queuedAfter = 0;
  #progressAt = performance.now();
  /** While reduced: when it was last sent latest values, and the last flush they covered. */
  #reducedAt = -Infinity;
  #reducedFlush = 0;

  constructor(
    readonly viewer: Viewer,
    /** Takes binary data frames. */
    readonly binary: boolean,
    /** Who it is, for the line logged if it is dropped. */
    readonly who: LogFields,
    /** What its queue may hold (`--max-queue`), in `queueCost` terms. */
    readonly budget: number,
  ) {}

  /** Whether some of the join is still to be sent. */
  get joining(): boolean {
    return this.#joinNext < this.#join.length;
  }

  /** Whether the viewer gets a reduced stream now, for falling behind. */
  get reduced(): boolean {
    return this.#reduced;
  }

  /**
   * Starts the join (meta, announcement, window pieces, status; `lastFlush` the last flush
   * the window holds): as much as the budget has room for now, the rest by
   * `pump` or `deliver` as the queue drains. Returns false when the socket
   * closed under us.
   */
  join(messages: readonly Message[], lastFlush: number, now: number): boolean {
    this.#join = messages;
    this.#joinFlush = lastFlush;
    this.#progressAt = now;
    // Nothing live was held yet: no latest values to send.
    return this.#sendJoin(now, () => "", lastFlush).kind !== "gone";
  }

  /**
   * Sends more of the join if the queue has room (for a stream with no frame
   * to carry it); `through` is the flush the latest values cover.
   */
  pump(now: number, latest: LatestValues, through: number): Delivery {
    return this.joining ? this.#sendJoin(now, latest, through) : SENT;
  }

  /** Sends `frame` (or its reduced form), unless the viewer is over its budget. */
  deliver(frame: Frame, now: number, latest: LatestValues): Delivery {
    if (this.joining) {
      // Held back: the page takes it as live once its window is whole.
      this.#missedLive ||= frame.full.length > (frame.meta ? 1 : 0) + (frame.status ? 1 : 0);
      this.#heldMeta = frame.meta ?? this.#heldMeta;
      this.#heldStatus = frame.status ?? this.#heldStatus;
      return this.#sendJoin(now, latest, frame.number);
    }
    const { viewer, budget: maxQueuedBytes } = this;
    const buffered = viewer.bufferedAmount;
    if (buffered === 0) this.#unsent = 0;
    const queued = queueCost(buffered, this.#unsent);
    if (queued < this.#queuedAfter || queued === 0) this.#progressAt = now;
    // The join window drains first: what is queued beyond it is the viewer's own lag.
    this.#grace = Math.min(this.#grace, queued);
    const lag = queued - this.#grace;
    const stalled = this.#reduced && lag > 0 && now - this.#progressAt > STALL_DROP_MS;
    if (lag > maxQueuedBytes || stalled) {
      return { kind: "drop", reason: stalled ? "stalled" : "slow", queued };
    }
    const whole = this.binary ? frame.binary : frame.full;
    try {
      // A frame bigger than the whole budget (a flood read between two passes) is not queued
      // whole: that would drop a viewer that reads well as slow at the next frame.
      if (!this.#reduced && (lag > maxQueuedBytes / 4 || lag + bytesOf(whole) > maxQueuedBytes)) {
        this.#reduced = true;
        // Points of this frame's series are what it gets first.
        this.#reducedFlush = frame.number - 1;
        this.#reducedAt = -Infinity;
        viewer.send(JSON.stringify({ type: "viewer", reduced: true }));
        this.#unsent++;
      } else if (this.#reduced && queued === 0) {
        this.#reduced = false;
        viewer.send(JSON.stringify({ type: "viewer", reduced: false }));
        this.#unsent++;
      }
      const messages = this.#reduced ? this.#reducedFrame(frame, now, latest) : whole;
      // The same string or bytes for every viewer: framed by Deno as it writes each.
      for (const message of messages) viewer.send(message);
      this.#unsent += messages.length;
      this.#queuedAfter = queueCost(viewer.bufferedAmount, this.#unsent);
      return SENT;
    } catch {
      return GONE;
    }
  }

  /**
   * Sends join messages while the queue has room (one when it is empty,
   * whatever its size); once the join is out, the live meta and status held
   * meanwhile, and a catch-up as a reduced viewer if live points were held.
   */
  #sendJoin(now: number, latest: LatestValues, through: number): Delivery {
    const { viewer } = this;
    const buffered = viewer.bufferedAmount;
    if (buffered === 0) this.#unsent = 0;
    let queued = queueCost(buffered, this.#unsent);
    if (queued < this.#queuedAfter || queued === 0) this.#progressAt = now;
    try {
      while (this.joining) {
        const message = this.#join[this.#joinNext]!;
        const cost = bytesOf([message]) + QUEUED_MESSAGE_BYTES;
        if (queued > 0 && queued + cost > this.budget) break;
        viewer.send(message);
        this.#joinNext++;
        this.#unsent++;
        queued += cost;
      }
      if (this.joining) {
        this.#queuedAfter = queueCost(viewer.bufferedAmount, this.#unsent);
        const stalled = now - this.#progressAt > STALL_DROP_MS;
        return stalled ? { kind: "drop", reason: "stalled", queued: this.#queuedAfter } : SENT;
      }
      this.#join = [];
      this.#joinNext = 0;
      const held = [this.#heldMeta, this.#heldStatus].filter((message) => message !== undefined);
      for (const message of held) viewer.send(message);
      this.#unsent += held.length;
      if (this.#missedLive) {
        // Caught up as a viewer that fell behind: the latest values since the window, then all.
        this.#reduced = true;
        viewer.send(JSON.stringify({ type: "viewer", reduced: true }));
        this.#unsent++;
        const values = latest(this.#joinFlush);
        this.#reducedFlush = through;
        this.#reducedAt = now;
        if (values !== "") {
          viewer.send(values);
          this.#unsent++;
        }
      }
      this.#grace = this.#queuedAfter = queueCost(viewer.bufferedAmount, this.#unsent);
      return SENT;
    } catch {
      return GONE;
    }
  }

  /**
   * What a viewer that falls behind gets: meta and status as they change, and at most every
   * `REDUCED_INTERVAL_MS` the latest value of each series that has changed since.
   */
  #reducedFrame(frame: Frame, now: number, latest: LatestValues): Message[] {
    const messages: Message[] = [];
    if (frame.meta) messages.push(frame.meta);
    if (now - this.#reducedAt >= REDUCED_INTERVAL_MS) {
      const values = latest(this.#reducedFlush);
      this.#reducedAt = now;
      this.#reducedFlush = frame.number;
      if (values !== "") messages.push(values);
    }
    if (frame.status) messages.push(frame.status);
    return messages;
  }
}

/** What `messages` put in a queue: their bytes (a string's UTF-16 units, near enough). */
function bytesOf(messages: readonly Message[]): number {
  let bytes = 0;
  for (const message of messages) {
    bytes += typeof message === "string" ? message.length : message.byteLength;
  }
  return bytes;
}

const SENT: Delivery = { kind: "sent" };
const GONE: Delivery = { kind: "gone" };

/** Closes `viewer`, which may be closing already. */
export function closeQuietly(viewer: Viewer, code: number, reason: string): void {
  try {
    viewer.close(code, reason);
  } catch {
    // Already closing.
  }
}
