/**
 * A viewer's join window in pieces: at most `JOIN_PIECE_POINTS` points a
 * message, so that the window goes out as the viewer's queue drains
 * (viewer_budget.ts) and no message nears a client's limit (Deno's is
 * 64 MiB: a 60 s window at 120,000 points/s was one message of 77 MB, which a
 * Deno client refused, and which each viewer that stopped reading held whole).
 * Points keep their order within each series; a small window is one message,
 * as before. The pieces are announced first (`{"type":"join","pieces":K,
 * "points":N}`): a paced join can take longer than the page's join timeout,
 * and a page that knows how many pieces come waits for them, and ends its
 * join on the last one.
 *
 * @module
 */

import { encodeRuns } from "./frames.ts";
import { linesOfRuns } from "./text_lines.ts";
import type { Message } from "./viewer_budget.ts";

/** Points a join message holds at most: 256 KiB as binary frames, about 0.4 MB as text. */
export const JOIN_PIECE_POINTS = 16_384;

type Run = { id: number; xs: Float64Array; ys: Float64Array };

/** The join's messages after meta: the announcement, then `windows` in pieces (`joinPieces`). */
export function joinMessages(windows: readonly Run[], binary: boolean): Message[] {
  const pieces = joinPieces(windows, binary);
  const points = windows.reduce((sum, { xs }) => sum + xs.length, 0);
  return [JSON.stringify({ type: "join", pieces: pieces.length, points }), ...pieces];
}

/** `windows` (one run a series) as messages of at most `JOIN_PIECE_POINTS` points each. */
export function joinPieces(
  windows: readonly Run[],
  binary: boolean,
  limit = JOIN_PIECE_POINTS,
): Message[] {
  const encode = binary ? encodeRuns : linesOfRuns;
  const pieces: Message[] = [];
  let piece: Run[] = [];
  let room = limit;
  for (const { id, xs, ys } of windows) {
    for (let start = 0; start < xs.length;) {
      const end = Math.min(xs.length, start + room);
      piece.push({ id, xs: xs.subarray(start, end), ys: ys.subarray(start, end) });
      room -= end - start;
      start = end;
      if (room === 0) {
        pieces.push(encode(piece));
        piece = [];
        room = limit;
      }
    }
  }
  // Every piece holds a point: an empty series adds no run, and a full piece starts the next.
  if (piece.length > 0) pieces.push(encode(piece));
  return pieces;
}
