/**
 * When a hub's next frame may go. A frame goes as soon as the event loop is
 * free after a read; when a pass over the viewers takes long (thousands of
 * sockets), the next frame waits as long after that pass as it took and at
 * least 30 µs a viewer, so batches grow with load instead of with a fixed
 * clock, and about a third of the time at most goes to sending.
 *
 * @module
 */

/** The longest a frame waits for a slow last pass (a busy machine stretches a pass). */
const MAX_PASS_WAIT_MS = 100;
/**
 * The longest a frame waits for what sending to many viewers costs: reached from 10,000
 * viewers on, where a point is a quarter second old when it goes out (bench: 10,000 × 100).
 */
const MAX_SEND_WAIT_MS = 300;
/**
 * What one viewer's message costs the process, all told: Deno's `send` only
 * queues it, and the write happens after the pass, so the pass's own time
 * undercounts it. About 10 µs measured here (bench: CPU per second over
 * messages per second at 1,000 viewers); three times that, so that about a
 * third of the time at most goes to sending: fewer, bigger messages are what
 * make a point cheap to fan out, since every message is a write of its own.
 */
const SEND_COST_MS = 0.03;

/** Paces one hub's passes over its viewers. */
export class Pacer {
  /** When the last pass over the viewers ended, and how long it took. */
  #lastPassEnd = -Infinity;
  #lastPassMs = 0;

  /** Milliseconds until the next frame may go to `viewers` viewers; 0 or less: now. */
  wait(viewers: number): number {
    const gap = Math.max(
      Math.min(this.#lastPassMs, MAX_PASS_WAIT_MS),
      Math.min(viewers * SEND_COST_MS, MAX_SEND_WAIT_MS),
    );
    return this.#lastPassEnd + gap - performance.now();
  }

  /** Notes a pass over the viewers, begun at `started` (`performance.now()`), that just ended. */
  passed(started: number): void {
    this.#lastPassEnd = performance.now();
    this.#lastPassMs = this.#lastPassEnd - started;
  }
}
