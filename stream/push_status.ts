/**
 * A pushed stream's state between pushes: `live` while a push is being
 * read, `waiting` ("the writer finished: waiting for the next push") once
 * the last push ended and none came for `WRITER_QUIET_MS`, and `live` again
 * with the next push. A command line's stream (pinned) is its source's to
 * tell, never this.
 *
 * Cheap by design: a push's start and end only note a time (no timer, no
 * status message), and the registry's one-second sampler looks at the
 * quiet ones. So many short pushes a second (`curl -d` one line each) keep
 * the stream `live` without a status message between them, and a stream
 * says `waiting` from 3 to 4 s after its last push ended.
 *
 * @module
 */

import type { SourceStatus } from "./source_status.ts";

/** A stream is waiting once no push has been read for this long. */
export const WRITER_QUIET_MS = 3000;
/** What a stream whose pushes ended says (`detail`; the page's status line shows it). */
export const WRITER_FINISHED = "the writer finished: waiting for the next push";

/** What this needs of a stream's hub. */
export interface StatusHolder {
  readonly status: Readonly<SourceStatus>;
  report(change: Partial<Pick<SourceStatus, "state" | "detail">>): void;
}

/** A push began: a stream waiting since its last one is live again. */
export function pushStarted(hub: StatusHolder): void {
  if (hub.status.state === "waiting" && hub.status.detail === WRITER_FINISHED) {
    hub.report({ state: "live", detail: null });
  }
}

/**
 * Looked at every second: with no push open (`writers`) since `endedAt`
 * (the last one's end, `Date.now()`; undefined when none ended), for
 * `WRITER_QUIET_MS`, a live stream says it is waiting.
 */
export function checkQuiet(
  hub: StatusHolder,
  writers: number,
  endedAt: number | undefined,
  now: number,
): void {
  if (writers > 0 || endedAt === undefined || now - endedAt < WRITER_QUIET_MS) return;
  if (hub.status.state === "live") hub.report({ state: "waiting", detail: WRITER_FINISHED });
}
