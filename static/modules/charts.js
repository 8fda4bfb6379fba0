/**
 * The stack of charts under the toolbar: one combined chart, or one per
 * group when split (grouping.js). Rebuilt when what they show changes,
 * otherwise given the newest data and the view's x range each frame. Every
 * chart takes the same x range and the same left gutter, so they line up.
 *
 * @module
 */

import { createChart, createGutters, sharedGutter } from "./chart.js";
import { dashedInChart, isDark } from "./colors.js";
import { columnStats, fitCharts, place, shouldSplit, splitCharts } from "./grouping.js";
import { attachGestures } from "./gestures.js";
import { displayName, visibleName } from "./names.js";

/** Past this many table rows the charts draw one-pixel lines. */
const DENSE_ROWS = 4000;
/** Placement of new series is looked at this often (and at once for a new series). */
const REGROUP_MS = 2000;
/** After this long with data, series are placed however few points they have (a slow source). */
const PLACE_WITHIN_MS = 5000;
/** A split chart's title, above its plot. */
const TITLE_PX = 21;
/** The last chart of a split carries the x labels: one line of them, two for time x (the date). */
const X_LABELS_PX = 30;
const TIME_LABELS_PX = 46;
/** The x axis of the charts above the last: ticks, no labels (chart.js). */
const BARE_X_AXIS_PX = 8;
/** A split chart with its title above is at least this tall... */
const MIN_SPLIT_PX = 60;
/**
 * ...else its title goes over the plot (compact) and it may be this short; a window
 * too short for that many charts merges neighbouring ones (grouping.js fitCharts).
 */
const MIN_COMPACT_PX = 44;

/** @typedef {import("./store.js").Store} Store */
/** @typedef {import("./view.js").Range} Range */

/**
 * @typedef {object} StackHooks
 * @property {(from: number, to: number) => void} onRange a drag or gesture chose an x range
 * @property {(factor: number, anchor: number) => void} onZoom the wheel zoomed around `anchor`
 * @property {(row: number | null) => void} onCursor the hovered table row
 * @property {() => void} onLive a double-click asked to follow again
 * @property {() => Range | null} shown the range shown now
 */

/** The charts, their uPlot instances and what they were built for. */
export class Stack {
  /**
   * @param {HTMLElement} parent
   * @param {boolean} demo
   * @param {StackHooks} hooks
   */
  constructor(parent, demo, hooks) {
    this.parent = parent;
    this.demo = demo;
    this.hooks = hooks;
    /** @type {{ u: any, names: string[] }[]} */
    this.charts = [];
    this.key = "";
    this.splitShown = false;
    this.gutters = createGutters();
    this.groupedAt = -Infinity;
    this.groupedCount = -1;
    this.groupedEmpty = true;
    /** @type {number | undefined} when the first points arrived */
    this.dataSince = undefined;
    /** @type {number | undefined} the chart area's height, measured again after a resize */
    this.room = undefined;
    this.compact = false;
    this.titleLeft = -1;
    this.xKind = "time";
  }

  /**
   * Places new series (state.placement) now and then; never moves a placed one.
   * @param {any} state the page state (app.js)
   * @param {Store} store
   */
  regroup(state, store) {
    const now = performance.now();
    // New series, or the first points (meta names the series before any arrive): at once.
    const fresh = store.series.size !== this.groupedCount ||
      (this.groupedEmpty && store.points > 0);
    if (!fresh && now - this.groupedAt < REGROUP_MS) return;
    this.groupedAt = now;
    this.groupedCount = store.series.size;
    this.groupedEmpty = store.points === 0;
    if (store.points > 0) this.dataSince ??= now;
    const entries = store.list().map((series, k) => {
      const { magnitude, count } = columnStats(store.columns[k] ?? [], 0, store.xs.length);
      return { name: series.name, magnitude, count };
    });
    const ready = now - (this.dataSince ?? now) >= PLACE_WITHIN_MS ||
      state.source?.state === "ended";
    state.placement = place(state.placement, entries, ready);
  }

  /**
   * Whether the charts are split: the user's choice, else the placement's.
   * @param {any} state
   * @returns {boolean}
   */
  split(state) {
    return !this.demo && (state.split ?? shouldSplit(state.placement));
  }

  /**
   * Which series each chart shows.
   * @param {any} state
   * @param {Store} store
   * @returns {string[][]}
   */
  layout(state, store) {
    const names = store.list().map((s) => s.name);
    if (!this.split(state)) return [names];
    return fitCharts(splitCharts(state.placement, names, state.hidden), this.#capacity());
  }

  /**
   * Draws the newest data in `range`, rebuilding the charts first when needed.
   * @param {any} state
   * @param {Store} store
   * @param {Range | null} range
   * @param {boolean} newData the store changed since the last draw
   */
  draw(state, store, range, newData) {
    this.xKind = state.xKind;
    if (!this.demo) this.regroup(state, store);
    const rebuilt = this.#ensure(state, store);
    const gutter = sharedGutter(this.gutters);
    for (const { u, names } of this.charts) {
      u.batch(() => {
        const dataSet = newData || rebuilt;
        if (dataSet) u.setData(this.#table(store, names), false);
        const { min, max } = u.scales.x;
        // uPlot finds which points are in view only when the x scale is set: after new data
        // (held points trimmed from the front shift every index) as well as a new range.
        const x = range ?? (dataSet && min != null && max != null ? { from: min, to: max } : null);
        if (x && (dataSet || min !== x.from || max !== x.to)) {
          u.setScale("x", { min: x.from, max: x.to });
        }
        // A neighbour needs a wider gutter than this chart last took: lay it out again.
        if (this.charts.length > 1 && u.axes[1]?._size < gutter) u.redraw(false, true);
      });
    }
    // Compact titles lie over the plots from their left edge (style.css), known once uPlot
    // has laid this frame out (it commits in a microtask).
    if (this.compact) queueMicrotask(() => this.#placeTitles());
  }

  /** Puts the compact titles at the plots' left edge (one for the stack). */
  #placeTitles() {
    const left = (this.charts[0]?.u.bbox.left ?? 0) / (globalThis.devicePixelRatio || 1);
    if (left === this.titleLeft) return;
    this.titleLeft = left;
    this.parent.style.setProperty("--plot-left", `${left}px`);
  }

  /**
   * Fits the charts to the page after a resize. Titles going over the plots or back are
   * a rebuild; so is a number of charts that no longer fits (layout's `fitCharts`).
   */
  resize() {
    this.room = undefined;
    const sizes = this.#sizes(this.charts.length, this.splitShown);
    if (sizes.compact !== this.compact) return this.invalidate();
    this.charts.forEach(({ u }, index) => {
      const last = index === this.charts.length - 1;
      u.setSize({ width: sizes.width, height: sizes.height + (last ? sizes.lastExtra : 0) });
    });
  }

  /** Forgets what the charts were built for: the next draw rebuilds them. */
  invalidate() {
    this.key = "";
  }

  /** @returns {number} the plot area's width in CSS pixels */
  plotWidth() {
    const u = this.charts[0]?.u;
    return u ? u.bbox.width / (globalThis.devicePixelRatio || 1) : this.parent.clientWidth || 600;
  }

  /**
   * Builds the charts when what they show changed.
   * @param {any} state
   * @param {Store} store
   * @returns {boolean} whether they were rebuilt
   */
  #ensure(state, store) {
    const groups = this.layout(state, store);
    const split = this.split(state);
    const dense = store.xs.length > DENSE_ROWS;
    const yRange = state.userYRange ?? state.serverYRange;
    const key = JSON.stringify([
      groups,
      [...state.hidden],
      [...state.y2],
      state.xKind,
      isDark(),
      yRange,
      split,
      dense,
    ]);
    if (key === this.key && this.charts.length > 0) return false;
    this.key = key;
    this.splitShown = split;
    const sizes = this.#sizes(groups.length, split);
    this.compact = sizes.compact;
    this.parent.classList.toggle("compact", sizes.compact);
    for (const chart of this.charts) chart.u.destroy();
    this.charts = [];
    this.gutters = createGutters();
    this.parent.replaceChildren();
    const order = new Map(store.list().map((s) => [s.name, s.order]));
    groups.forEach((names, index) => {
      const orders = names.map((name) => order.get(name) ?? 0);
      // One colour a series wherever it is drawn (its arrival order's, as in the legend); in a
      // split chart, one whose colour is close to another's there is dashed.
      const dashed = split ? dashedInChart(orders) : [];
      const spec = {
        title: split ? names.map(displayName).join(", ") : "",
        series: names.map((name, at) => ({
          name,
          order: orders[at] ?? 0,
          color: orders[at] ?? 0,
          dash: dashed[at] ?? false,
          show: split || !state.hidden.has(name),
          y2: !split && state.y2.has(name),
        })),
      };
      const u = createChart(this.parent, spec, {
        xKind: state.xKind,
        demo: this.demo,
        width: sizes.width,
        height: sizes.height + (index === groups.length - 1 ? sizes.lastExtra : 0),
        yRange,
        onSelect: (u) => this.#selected(u),
        onCursor: (u) => this.hooks.onCursor(u.cursor.idx ?? null),
        onDoubleClick: this.hooks.onLive,
        xLabels: index === groups.length - 1,
        fill: store.series.size === 1,
        dense,
        gutters: this.gutters,
        outages: (name) => store.series.get(name)?.outages.spans ?? null,
      }, this.#table(store, names));
      // A split chart's title shows names cut to NAME_LIMIT: the whole ones on hover.
      u.root.querySelector(".u-title")?.setAttribute("title", names.map(visibleName).join(", "));
      this.charts.push({ u, names });
      if (!this.demo) attachGestures(u, this.hooks);
      if (index === 0 && split) u.root.classList.add("first");
    });
    return true;
  }

  /** @param {any} u a drag selected an x range */
  #selected(u) {
    const { left, width } = u.select;
    if (width < 3 || u.over.dataset.panning === "true") return;
    const from = u.posToVal(left, "x");
    const to = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.hooks.onRange(from, to);
  }

  /**
   * @param {Store} store
   * @param {string[]} names
   */
  #table(store, names) {
    const index = new Map(store.list().map((s, k) => [s.name, k]));
    return [store.xs, ...names.map((name) => store.columns[index.get(name) ?? -1] ?? [])];
  }

  /** @returns {number} what the last chart's x labels take beyond the others' bare x axis */
  #xLabels() {
    return (this.xKind === "time" ? TIME_LABELS_PX : X_LABELS_PX) - BARE_X_AXIS_PX;
  }

  /** @returns {number} the chart area's height in CSS pixels */
  #room() {
    this.room ??= Math.max(160, this.parent.clientHeight);
    return this.room;
  }

  /** @returns {number} how many split charts fit the chart area, compact */
  #capacity() {
    return Math.max(1, Math.floor((this.#room() - this.#xLabels()) / (MIN_COMPACT_PX + 1)));
  }

  /**
   * Each chart's size: they share the chart area, the last also holds the x labels.
   * @param {number} count charts in the stack
   * @param {boolean} split each chart has a title
   * @returns {{ width: number, height: number, lastExtra: number, compact: boolean }}
   */
  #sizes(count, split) {
    if (this.demo) {
      return {
        width: Math.max(320, Math.min(900, this.parent.clientWidth || 600)),
        height: 300,
        lastExtra: 0,
        compact: false,
      };
    }
    const width = Math.max(240, this.parent.clientWidth);
    const total = this.#room();
    const labels = this.#xLabels();
    if (count <= 1) {
      return {
        width,
        height: Math.max(160, total - (split ? TITLE_PX : 0)),
        lastExtra: 0,
        compact: false,
      };
    }
    const each = Math.floor((total - labels) / count) - 1;
    if (each - (split ? TITLE_PX : 0) >= MIN_SPLIT_PX) {
      return {
        width,
        height: each - (split ? TITLE_PX : 0),
        lastExtra: labels,
        compact: false,
      };
    }
    // Too short for titles above: they go over the plots.
    return { width, height: Math.max(MIN_COMPACT_PX, each), lastExtra: labels, compact: true };
  }
}
