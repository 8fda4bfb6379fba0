/**
 * Scrollback: points the page does not hold come from the stream's range
 * query (history.js): the part of a zoomed or panned view before what the
 * store holds in full, and gaps missed while away or while the server sent
 * only the latest values.
 *
 * @module
 */

import { fetchRange, NoHistory } from "./history.js";

/** Requests for the view wait this long for the user to stop moving it. */
const SETTLE_MS = 150;

/** @typedef {import("./store.js").Store} Store */
/** @typedef {import("./view.js").Range} Range */

/**
 * @typedef {object} ScrollbackHooks
 * @property {() => Range | null} shown the range shown now
 * @property {() => number} plotWidth in CSS pixels
 * @property {() => void} changed something to draw
 */

/** Loads history into the store for the view and for gaps. */
export class Scrollback {
  /**
   * @param {string} path the range endpoint
   * @param {any} state the page state (app.js): reads and notes `historyStart`, `full`, `loaded`
   * @param {Store} store
   * @param {ScrollbackHooks} hooks
   */
  constructor(path, state, store, hooks) {
    this.path = path;
    this.state = state;
    this.store = store;
    this.hooks = hooks;
    /** @type {AbortController | null} */
    this.request = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /** Asks for the view's history soon (once, however often it is called meanwhile). */
  want() {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.load();
    }, SETTLE_MS);
  }

  /** After a draw: wants history when the range shown reaches before what the store holds. */
  check() {
    const { state } = this;
    const range = this.hooks.shown();
    if (!range || !state.rangeAvailable) return;
    const start = state.historyStart ?? -Infinity;
    if (!state.view.following) {
      if (range.from < state.full && range.to > start) this.want();
    } else if (range.from < state.full && state.historyStart !== null && start < state.full) {
      this.want();
    }
  }

  /** Loads history for the part of the view the store does not hold in full. */
  async load() {
    const { state, store } = this;
    if (!state.rangeAvailable || !state.join.everJoined) return;
    const view = this.hooks.shown();
    if (!view) return;
    const from = Math.max(view.from, state.historyStart ?? -Infinity);
    const to = Math.min(view.to, state.full);
    if (!(to > from)) return;
    const width = Math.max(50, this.hooks.plotWidth() * (to - from) / (view.to - view.from));
    const perPixel = (to - from) / width;
    const loaded = state.loaded;
    if (
      loaded && loaded.from <= from && loaded.to >= to &&
      (!loaded.reduced || loaded.perPixel <= perPixel * 2)
    ) return;
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const fullAtRequest = state.full;
    try {
      const answer = await fetchRange(this.path, { from, to, width }, request.signal);
      if (request !== this.request) return;
      if (state.full !== fullAtRequest) {
        // The store dropped points before `state.full` meanwhile: this answer, up to the old
        // mark, would leave a hole up to the new one. Ask again for what is missing now.
        this.want();
        return;
      }
      this.#noteStart(answer.historyStart);
      let reduced = false;
      for (const part of answer.series) {
        const series = store.get(String(part.name ?? part.id));
        store.replace(series, from, to, part.x, part.y, { lowInclusive: true });
        reduced ||= Boolean(part.reduced);
      }
      state.loaded = { from, to, perPixel, reduced };
      this.hooks.changed();
    } catch (error) {
      if (error instanceof NoHistory) state.rangeAvailable = false;
    } finally {
      if (request === this.request) this.request = null;
    }
  }

  /**
   * Fetches the points of series `name` with from < x < to and puts them in.
   * @param {string} name
   * @param {number} from
   * @param {number} to
   */
  async fillGap(name, from, to) {
    const { state, store } = this;
    if (!state.rangeAvailable) return;
    const id = [...state.names].find(([, n]) => n === name)?.[0];
    try {
      const answer = await fetchRange(this.path, {
        from,
        to,
        width: Math.max(2000, this.hooks.plotWidth() * 4),
        series: id === undefined ? undefined : [id],
      });
      this.#noteStart(answer.historyStart);
      const part = answer.series.find((s) => String(s.name ?? s.id) === name);
      if (!part) return;
      const series = store.get(name);
      const before = series.length;
      store.replace(series, from, to, part.x, part.y);
      state.received += Math.max(0, series.length - before);
      this.hooks.changed();
    } catch (error) {
      if (error instanceof NoHistory) state.rangeAvailable = false;
    }
  }

  /** @param {number | null | undefined} start */
  #noteStart(start) {
    if (start !== undefined) this.state.historyStart = start;
  }
}
