/**
 * The `meta` message: what a viewer's page must know of a stream before its
 * points (how x reads, the format, the window, the fixed y range, the title,
 * where history starts, the series). A hub builds it as its stream changes;
 * a viewer of a stream no write has created yet gets one with no series, so
 * its page shows the window the stream will have, not the demo's.
 *
 * @module
 */

import type { WindowSpec } from "../config.ts";
import type { XKind } from "./sink.ts";

/** What every stream of a process shows the same way, fixed for a hub's lifetime. */
export interface ViewOptions {
  window: WindowSpec;
  /** The page's fixed y range, if any. */
  yRange?: [number, number];
  /** What the page is headed by: the source, or the stream's name. */
  title?: string;
}

/** What a stream has learnt from its points so far. */
export interface StreamShape {
  x: XKind;
  format: string;
  historyStart: number | null;
  series: { id: number; name: string }[];
}

/** A stream's shape before its first point. */
export const INITIAL_SHAPE: Readonly<StreamShape> = {
  x: "time",
  format: "auto",
  historyStart: null,
  series: [],
};

/**
 * Points a stream whose x is not time shows and sends to a late joiner when
 * its window is given in time: seconds mean nothing on an index or a measured
 * x. As many as a Redis feed keeps for a time window (streams_setup.ts).
 */
export const UNTIMED_WINDOW_POINTS = 10_000;

/** The window in force for a stream whose x is `x`: a time window applies to time x only. */
export function windowFor(window: WindowSpec, x: XKind): WindowSpec {
  return "seconds" in window && x !== "time" ? { points: UNTIMED_WINDOW_POINTS } : window;
}

/** The history's window (history.ts) for a stream whose x is `x`. */
export function historyWindowFor(
  window: WindowSpec,
  x: XKind,
): { windowPoints: number; windowSeconds?: number } {
  const inForce = windowFor(window, x);
  return "points" in inForce
    ? { windowPoints: inForce.points }
    : { windowPoints: 1, windowSeconds: inForce.seconds };
}

/** The meta message's text. */
export function metaMessage(view: ViewOptions, shape: StreamShape): string {
  const window = windowFor(view.window, shape.x);
  return JSON.stringify({
    type: "meta",
    x: shape.x,
    format: shape.format,
    window: "points" in window ? window.points : null,
    windowSeconds: "seconds" in window ? window.seconds : null,
    yRange: view.yRange ?? null,
    title: view.title ?? null,
    historyStart: shape.historyStart,
    series: shape.series,
  });
}
