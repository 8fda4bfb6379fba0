/**
 * The view: which x range the charts show. Pure transitions on a plain
 * object: following the newest points (the window), a fixed range after a
 * zoom or pan, and pause. A zoom or pan never leaves the session's extent
 * (from the start of history, or the first point held, to the newest).
 *
 * @module
 */

import { formatDuration, plural } from "./format.js";

/** @typedef {import("./url_state.js").WindowSpec} WindowSpec */
/** @typedef {{ from: number, to: number }} Range */

/**
 * @typedef {object} View
 * @property {WindowSpec | null} pageWindow the user's window (Window field), null for the server's
 * @property {WindowSpec} serverWindow the window the server announced
 * @property {boolean} following the view moves with the newest points
 * @property {boolean} paused the charts are frozen
 * @property {boolean} resumeFollowing following was on when Pause was pressed
 * @property {Range} fixed the range shown while not following
 */

/**
 * The view of a page that just opened.
 * @param {WindowSpec | null} pageWindow
 * @returns {View}
 */
export function initialView(pageWindow) {
  return {
    pageWindow,
    serverWindow: { points: 200 },
    following: true,
    paused: false,
    resumeFollowing: false,
    fixed: { from: 0, to: 1 },
  };
}

/**
 * Points shown of a stream whose x is not time when the window is given in
 * time, as the server sends (stream/meta.ts `UNTIMED_WINDOW_POINTS`).
 */
export const UNTIMED_WINDOW_POINTS = 10_000;

/**
 * The window in force: the user's, else the server's. A time window applies to
 * time x only: with an index or a measured x the server's points window stands.
 * @param {View} view
 * @param {string} [xKind] `time`, `index` or `number`
 * @returns {WindowSpec}
 */
export function windowSpec(view, xKind = "time") {
  const spec = view.pageWindow ?? view.serverWindow;
  if (!("seconds" in spec) || xKind === "time") return spec;
  return "points" in view.serverWindow ? view.serverWindow : { points: UNTIMED_WINDOW_POINTS };
}

/**
 * What the page shows of the window: `last 1m`, `last 200 points`.
 * @param {WindowSpec} spec
 * @returns {string}
 */
export function spanText(spec) {
  return "seconds" in spec
    ? `last ${formatDuration(spec.seconds)}`
    : `last ${plural(spec.points, "point")}`;
}

/**
 * @typedef {object} HeldSeries
 * @property {number[]} xs
 * @property {number} length
 * @property {number | undefined} lastX
 */

/**
 * The moving edge's range: the last window of `list` (series with points).
 * @param {HeldSeries[]} list
 * @param {WindowSpec} spec
 * @param {{ reachBack: boolean, historyStart: number | null, xKind: string }} context
 *   reachBack: history can supply what a points window needs beyond the points held
 * @returns {Range | null}
 */
export function liveRange(list, spec, context) {
  if (list.length === 0) return null;
  let to = -Infinity;
  for (const series of list) to = Math.max(to, /** @type {number} */ (series.lastX));
  let from;
  if ("seconds" in spec) {
    from = to - spec.seconds;
    // A time window is shown whole, empty before the first point (the last minute is a
    // minute); an index or a number before the first is nothing: the view starts there.
    if (context.xKind !== "time") from = Math.max(from, Math.min(firstX(list, context), to));
  } else {
    from = Infinity;
    for (const series of list) {
      from = Math.min(
        from,
        /** @type {number} */ (series.xs[Math.max(0, series.length - spec.points)]),
      );
      if (series.length < spec.points && context.reachBack && series.length > 1) {
        // Not enough points held: reach back by the series' own spacing.
        const step = (to - /** @type {number} */ (series.xs[0])) / (series.length - 1);
        from = Math.min(from, to - step * (spec.points - 1));
      }
    }
    if (context.historyStart !== null) from = Math.max(from, Math.min(context.historyStart, to));
  }
  if (!(to > from)) {
    // One point, or all at one x: a view around it.
    const pad = context.xKind === "time" ? 1 : Math.abs(to) * 0.01 || 1;
    return { from: to - pad, to: to + pad };
  }
  return { from, to };
}

/**
 * Where the session's x begins: history's start, else the first point held.
 * @param {HeldSeries[]} list series with points
 * @param {{ historyStart: number | null }} context
 * @returns {number}
 */
function firstX(list, context) {
  let first = Infinity;
  for (const series of list) first = Math.min(first, /** @type {number} */ (series.xs[0]));
  const start = context.historyStart;
  return start !== null && Number.isFinite(start) ? Math.min(first, start) : first;
}

/**
 * The session's extent: from the start of history (or the first point held) to the newest.
 * @param {HeldSeries[]} list series with points
 * @param {number | null} historyStart
 * @returns {Range | null}
 */
export function extentOf(list, historyStart) {
  if (list.length === 0) return null;
  let to = -Infinity;
  for (const series of list) to = Math.max(to, /** @type {number} */ (series.lastX));
  return { from: firstX(list, { historyStart }), to };
}

/**
 * `range` moved and cut to lie within `extent`: as wide as the extent at most.
 * @param {Range} range
 * @param {Range | null} extent
 * @returns {Range}
 */
export function clampRange(range, extent) {
  if (!extent || !(extent.to > extent.from)) return range;
  const width = range.to - range.from;
  if (width >= extent.to - extent.from) return { ...extent };
  if (range.from < extent.from) return { from: extent.from, to: extent.from + width };
  if (range.to > extent.to) return { from: extent.to - width, to: extent.to };
  return range;
}

/**
 * Shows the fixed range `from`–`to` (within `extent`); the page stops following.
 * @param {View} view
 * @param {number} from
 * @param {number} to
 * @param {Range | null} extent
 * @returns {View} `view` itself when the range is not a range
 */
export function showRange(view, from, to, extent) {
  if (!(to > from) || !Number.isFinite(from) || !Number.isFinite(to)) return view;
  return {
    ...view,
    following: false,
    resumeFollowing: false,
    fixed: clampRange({ from, to }, extent),
  };
}

/**
 * Zooms around `anchor` (the middle by default): `factor` > 1 zooms out. Zooming in
 * stops at `narrowest`'s width.
 * @param {View} view
 * @param {Range | null} shown the range shown now
 * @param {number} factor
 * @param {number | undefined} anchor
 * @param {Range | null} extent
 * @param {string} [xKind] `time` for time x
 * @returns {View}
 */
export function zoom(view, shown, factor, anchor, extent, xKind) {
  if (!shown) return view;
  const at = anchor ?? (shown.from + shown.to) / 2;
  const width = shown.to - shown.from;
  const least = narrowest(xKind, at);
  if (factor < 1 && width * factor < least) factor = Math.min(1, least / width);
  const to = at + (shown.to - at) * factor;
  return showRange(view, at - (at - shown.from) * factor, to, widened(extent, shown));
}

/**
 * The narrowest view a zoom goes to: 10 ms of time x (the time axis ticks at 1 ms at the
 * finest); for other x, where doubles still tell x apart and uPlot still sets a scale
 * (it ignores one narrower than 1e-16).
 * @param {string | undefined} xKind
 * @param {number} at
 * @returns {number}
 */
export function narrowest(xKind, at) {
  return xKind === "time" ? 0.01 : Math.max(Math.abs(at) * 1e-12, 1e-15);
}

/**
 * Pans by `fraction` of the shown width; negative pans left.
 * @param {View} view
 * @param {Range | null} shown
 * @param {number} fraction
 * @param {Range | null} extent
 * @returns {View}
 */
export function pan(view, shown, fraction, extent) {
  if (!shown) return view;
  const shift = (shown.to - shown.from) * fraction;
  return showRange(view, shown.from + shift, shown.to + shift, widened(extent, shown));
}

/**
 * The extent grown to hold what is shown (a time window longer than the data so far).
 * @param {Range | null} extent
 * @param {Range} shown
 * @returns {Range | null}
 */
function widened(extent, shown) {
  return extent && { from: Math.min(extent.from, shown.from), to: Math.max(extent.to, shown.to) };
}

/**
 * Back to following the newest points (and out of pause).
 * @param {View} view
 * @returns {View}
 */
export function goLive(view) {
  return { ...view, following: true, paused: false, resumeFollowing: false };
}

/**
 * Pause freezes the range shown; resuming follows again if it did before.
 * @param {View} view
 * @param {Range | null} shown
 * @returns {View}
 */
export function togglePause(view, shown) {
  if (view.paused) {
    return {
      ...view,
      paused: false,
      following: view.resumeFollowing || view.following,
      resumeFollowing: false,
    };
  }
  return {
    ...view,
    paused: true,
    resumeFollowing: view.following,
    following: view.following && !shown,
    fixed: view.following && shown ? shown : view.fixed,
  };
}
