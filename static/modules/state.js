/**
 * The page state: one plain object, made here and owned by app.js; the
 * other modules change it through their pure transitions (view.js,
 * join.js, grouping.js) or note what the server said (client.js,
 * scrollback.js). Also the derived values several modules need: the range
 * shown, the session's extent, the table in view, and how much to hold.
 *
 * @module
 */

import { extentOf, initialView, liveRange, windowSpec } from "./view.js";
import { forgotten, initialJoin } from "./join.js";
import { emptyPlacement } from "./grouping.js";
import { parseWindow, parseYRange } from "./url_state.js";

/** A series never holds more than this many points on the page. */
const HARD_CAP = 2_000_000;

/** @typedef {import("./store.js").Store} Store */
/** @typedef {import("./view.js").Range} Range */

/**
 * The state of a page that just opened.
 * @param {boolean} demo the seed's demo (no source)
 * @param {{ window: string | null, y: string | null, split: boolean | null, hidden: string[], y2: string[] }} initial from the URL
 */
export function createState(demo, initial) {
  return {
    demo,
    /** @type {Map<string, string>} series id → name, from meta */
    names: new Map(),
    xKind: demo ? "number" : "time",
    view: initialView(parseWindow(initial.window ?? "")),
    /** @type {[number | null, number | null] | null} */
    serverYRange: null,
    /** @type {[number | null, number | null] | null} */
    userYRange: parseYRange(initial.y ?? ""),
    /** @type {boolean | null} the user's choice; null lets the page decide */
    split: initial.split,
    placement: emptyPlacement(),
    hidden: new Set(initial.hidden),
    y2: new Set(initial.y2),
    /** @type {import("./status.js").SourceStatus | null} the last status message */
    source: null,
    /** @type {number | null} */
    historyStart: null,
    /** Points taken from the stream (the window on first join, live points, gap fills). */
    received: 0,
    /** @type {[number, number][]} (time, count) of live batches, for the rate */
    liveBatches: [],
    join: initialJoin(),
    /** @type {Map<string, number> | null} last x per series when the server reduced the stream */
    reducedFrom: null,
    /** Store holds every point from this x on (for every series). */
    full: -Infinity,
    /** @type {{ from: number, to: number, perPixel: number, reduced: boolean } | null} */
    loaded: null,
    rangeAvailable: !demo,
    /** @type {number | null} hovered table row */
    cursorRow: null,
    /** How many other streams this server has (for the empty page), 0 when unknown. */
    otherStreams: 0,
    /** @type {number[]} ms spent drawing each frame (for the page benchmark) */
    frameTimes: [],
  };
}

/** @typedef {ReturnType<typeof createState>} PageState */

/**
 * Series that have points, the shown ones if any are.
 * @param {PageState} state
 * @param {Store} store
 */
function heldSeries(state, store) {
  const held = store.list().filter((s) => s.length > 0);
  const shown = held.filter((s) => !state.hidden.has(s.name));
  return shown.length > 0 ? shown : held;
}

/**
 * The x range the charts show: the newest window while following.
 * @param {PageState} state
 * @param {Store} store
 * @returns {Range | null}
 */
export function shownRange(state, store) {
  if (!state.view.following) return state.view.fixed;
  return liveRange(heldSeries(state, store), windowSpec(state.view, state.xKind), {
    reachBack: state.rangeAvailable,
    historyStart: state.historyStart,
    xKind: state.xKind,
  });
}

/**
 * The session's extent, which zoom and pan stay within.
 * @param {PageState} state
 * @param {Store} store
 * @returns {Range | null}
 */
export function sessionExtent(state, store) {
  const held = store.list().filter((s) => s.length > 0);
  return extentOf(held, state.rangeAvailable ? state.historyStart : null);
}

/**
 * Bounds each series: the window (or what a fixed view needs), and a hard cap.
 * @param {PageState} state
 * @param {Store} store
 */
export function trimStore(state, store) {
  const spec = windowSpec(state.view, state.xKind);
  const serverWindow = state.view.serverWindow;
  const serverPoints = "points" in serverWindow ? serverWindow.points : 200;
  const { following, paused, fixed } = state.view;
  for (const series of store.series.values()) {
    const before = series.length;
    if (!following || paused) {
      // Keep what the fixed view shows; drop only what lies before it.
      store.trimBefore(series, fixed.from, serverPoints);
    } else if ("seconds" in spec) {
      store.trimBefore(series, /** @type {number} */ (series.lastX) - spec.seconds, serverPoints);
    } else {
      store.trim(series, Math.max(spec.points, serverPoints));
    }
    store.trim(series, HARD_CAP);
    if (series.length < before) {
      state.full = Math.max(state.full, /** @type {number} */ (series.xs[0]));
      if (state.loaded && state.loaded.from < state.full) state.loaded = null;
    }
  }
}

/**
 * Drops every point held (Start Plot, another x kind).
 * @param {PageState} state
 * @param {Store} store
 */
export function resetData(state, store) {
  store.clear();
  state.received = 0;
  state.full = -Infinity;
  state.loaded = null;
  state.join = forgotten(state.join);
}

/**
 * The table rows and shown series in view (for the CSV export).
 * @param {PageState} state
 * @param {Store} store
 */
export function viewTable(state, store) {
  if (!state.view.paused) store.update();
  const range = shownRange(state, store);
  const shown = store.list().map((s, k) => ({ s, k })).filter(({ s }) => !state.hidden.has(s.name));
  return {
    xs: store.xs,
    columns: shown.map(({ k }) => store.columns[k] ?? []),
    names: shown.map(({ s }) => s.name),
    kind: state.xKind,
    from: range ? store.rowAt(range.from) : 0,
    to: range ? store.rowAt(range.to, true) : store.xs.length,
  };
}
