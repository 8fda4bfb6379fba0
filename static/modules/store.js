/**
 * The page's points: one sorted, bounded list per series, and the aligned
 * table uPlot draws (one x column, one column per series), built by a
 * k-way merge that never merges two points of one series that share an x
 * (each gets its own row) and grown incrementally as live points arrive.
 * Each series also keeps its outages (outages.js) as its points change.
 *
 * @module
 */

import { Outages } from "./outages.js";

/** One series: its points in x order (duplicates kept). */
export class Series {
  /**
   * @param {string} name
   * @param {number} order creation order (its colour)
   */
  constructor(name, order) {
    /** @type {string} */
    this.name = name;
    /** @type {number} */
    this.order = order;
    /** @type {number[]} */
    this.xs = [];
    /** @type {number[]} */
    this.ys = [];
    /** Points of this series already placed in the table. */
    this.placed = 0;
    /** Points dropped from the front since the table was last brought up to date. */
    this.dropped = 0;
    /** Where its line breaks (on a time axis). */
    this.outages = new Outages();
  }

  /** @returns {number} */
  get length() {
    return this.xs.length;
  }

  /** @returns {number | undefined} */
  get lastX() {
    return this.xs[this.xs.length - 1];
  }

  /** @returns {number | undefined} */
  get lastY() {
    return this.ys[this.ys.length - 1];
  }

  /**
   * Index of the first point with x >= `x` (or > `x` when `after`).
   * @param {number} x
   * @param {boolean} [after]
   * @returns {number}
   */
  search(x, after = false) {
    return lowerBound(this.xs, x, after);
  }
}

/**
 * Index of the first of the sorted `xs` with x >= `x` (or > `x` when `after`).
 * @param {ArrayLike<number>} xs
 * @param {number} x
 * @param {boolean} after
 * @returns {number}
 */
function lowerBound(xs, x, after) {
  let low = 0;
  let high = xs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const value = /** @type {number} */ (xs[mid]);
    if (value < x || (after && value === x)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Every series of one stream, with the aligned table for the charts. */
export class Store {
  constructor() {
    /** @type {Map<string, Series>} */
    this.series = new Map();
    /** Aligned x column. @type {number[]} */
    this.xs = [];
    /** One column per series, by creation order. @type {(number | undefined)[][]} */
    this.columns = [];
    /** The table must be rebuilt before it is read. */
    this.stale = true;
    /** Bumped whenever the table changes. */
    this.version = 0;
  }

  /**
   * The series named `name`, created on first use.
   * @param {string} name
   * @returns {Series}
   */
  get(name) {
    let series = this.series.get(name);
    if (!series) {
      series = new Series(name, this.series.size);
      this.series.set(name, series);
      this.stale = true;
    }
    return series;
  }

  /** @returns {Series[]} in creation order */
  list() {
    return [...this.series.values()];
  }

  /** Forgets everything. */
  clear() {
    this.series.clear();
    this.stale = true;
  }

  /** Number of points held. @returns {number} */
  get points() {
    let total = 0;
    for (const series of this.series.values()) total += series.length;
    return total;
  }

  /**
   * Adds a point; the usual case (x not before the series' last) is an append.
   * @param {Series} series
   * @param {number} x
   * @param {number} y
   */
  add(series, x, y) {
    const last = series.lastX;
    if (last === undefined || x >= last) {
      series.xs.push(x);
      series.ys.push(y);
      return;
    }
    const at = series.search(x, true);
    series.outages.changeAt(series.xs, at);
    series.xs.splice(at, 0, x);
    series.ys.splice(at, 0, y);
    if (at < series.placed) this.stale = true;
  }

  /**
   * Replaces the points of `series` with `low < x < high` (bounds inclusive
   * when the flags say so) by `xs`/`ys` (sorted).
   * @param {Series} series
   * @param {number} low
   * @param {number} high
   * @param {ArrayLike<number>} xs
   * @param {ArrayLike<number>} ys
   * @param {{ lowInclusive?: boolean, highInclusive?: boolean }} [bounds]
   */
  replace(series, low, high, xs, ys, bounds = {}) {
    const from = series.search(low, !bounds.lowInclusive);
    const to = series.search(high, Boolean(bounds.highInclusive));
    const keepX = [];
    const keepY = [];
    for (let i = 0; i < xs.length; i++) {
      const x = /** @type {number} */ (xs[i]);
      const inside = (bounds.lowInclusive ? x >= low : x > low) &&
        (bounds.highInclusive ? x <= high : x < high);
      if (inside) {
        keepX.push(x);
        keepY.push(/** @type {number} */ (ys[i]));
      }
    }
    series.outages.changeAt(series.xs, from);
    series.xs.splice(from, Math.max(0, to - from), ...keepX);
    series.ys.splice(from, Math.max(0, to - from), ...keepY);
    this.stale = true;
  }

  /**
   * Drops the oldest points of `series` so that `keep` remain, once it
   * holds more than `slack` times that (amortised: one splice per
   * `keep * (slack - 1)` points).
   * @param {Series} series
   * @param {number} keep
   * @param {number} [slack]
   */
  trim(series, keep, slack = 1.5) {
    if (series.length <= Math.max(keep * slack, keep + 64)) return;
    this.#dropFront(series, series.length - keep);
  }

  /**
   * Drops points of `series` with x < `x`, keeping at least `minimum`, when
   * that frees at least a third of them.
   * @param {Series} series
   * @param {number} x
   * @param {number} minimum
   */
  trimBefore(series, x, minimum) {
    const drop = Math.min(series.search(x), series.length - minimum);
    if (drop <= 0 || drop < series.length / 3) return;
    this.#dropFront(series, drop);
  }

  /**
   * Drops the first `count` points of `series`; the table drops their rows
   * at its next update.
   * @param {Series} series
   * @param {number} count
   */
  #dropFront(series, count) {
    series.xs.splice(0, count);
    series.ys.splice(0, count);
    series.outages.dropped(series.xs, count);
    const placed = Math.min(count, series.placed);
    series.dropped += placed;
    series.placed -= placed;
    if (placed < count) this.stale = true;
  }

  /**
   * Brings the aligned table up to date: appends new points, or rebuilds it;
   * and each series' outages, when `outageFloor` is a number (a time axis).
   * @param {number | null} [outageFloor] outages.js outageFloor
   */
  update(outageFloor = null) {
    const list = this.list();
    if (outageFloor !== null) {
      for (const series of list) series.outages.scan(series.xs, outageFloor);
    }
    if (!this.stale && list.length === this.columns.length && this.#dropRows(list)) {
      if (this.#append(list)) return;
    }
    this.#rebuild(list);
  }

  /**
   * Removes the table's first rows, which hold the points trimmed from the
   * series; false when those points are not all at the front (then the
   * table must be rebuilt).
   * @param {Series[]} list
   * @returns {boolean}
   */
  #dropRows(list) {
    const need = list.map((series) => series.dropped);
    let pending = need.reduce((sum, n) => sum + n, 0);
    if (pending === 0) return true;
    let rows = 0;
    const count = list.length;
    while (pending > 0 && rows < this.xs.length) {
      for (let k = 0; k < count; k++) {
        const cell = /** @type {(number | undefined)[]} */ (this.columns[k])[rows];
        if (cell === undefined) continue;
        if (/** @type {number} */ (need[k]) === 0) return false;
        need[k] = /** @type {number} */ (need[k]) - 1;
        pending--;
      }
      rows++;
    }
    if (pending > 0) return false;
    this.xs.splice(0, rows);
    for (const column of this.columns) column.splice(0, rows);
    for (const series of list) series.dropped = 0;
    this.version++;
    return true;
  }

  /**
   * Index of the first table row with x >= `x` (or > `x` when `after`).
   * @param {number} x
   * @param {boolean} [after]
   * @returns {number}
   */
  rowAt(x, after = false) {
    return lowerBound(this.xs, x, after);
  }

  /** @param {Series[]} list */
  #rebuild(list) {
    for (const series of list) {
      series.placed = 0;
      series.dropped = 0;
    }
    if (this.#sameXs(list)) {
      // Every series has a point at every x (one line, one sample): copy.
      this.xs = /** @type {Series} */ (list[0]).xs.slice();
      this.columns = list.map((series) => series.ys.slice());
      for (const series of list) series.placed = series.length;
    } else {
      this.xs = [];
      this.columns = list.map(() => []);
      this.#merge(list);
    }
    this.stale = false;
    this.version++;
  }

  /**
   * Whether every series holds the same x values (no duplicates within one).
   * @param {Series[]} list
   * @returns {boolean}
   */
  #sameXs(list) {
    const first = list[0];
    if (!first) return false;
    const xs = first.xs;
    for (let i = 1; i < xs.length; i++) {
      if (/** @type {number} */ (xs[i]) <= /** @type {number} */ (xs[i - 1])) return false;
    }
    for (const series of list) {
      if (series.length !== xs.length) return false;
      if (series === first) continue;
      const other = series.xs;
      for (let i = 0; i < xs.length; i++) if (other[i] !== xs[i]) return false;
    }
    return true;
  }

  /**
   * Appends the points not yet placed; false when one of them goes before
   * the table's end (then the table must be rebuilt).
   * @param {Series[]} list
   * @returns {boolean}
   */
  #append(list) {
    const end = this.xs.length === 0 ? -Infinity : /** @type {number} */ (this.xs.at(-1));
    let any = false;
    for (const series of list) {
      if (series.placed > series.length) return false;
      if (series.placed === series.length) continue;
      if (/** @type {number} */ (series.xs[series.placed]) < end) return false;
      any = true;
    }
    if (!any) return true;
    // A point at the table's last x fills its series' empty cell in the last row.
    const lastRow = this.xs.length - 1;
    for (let k = 0; k < list.length; k++) {
      const series = /** @type {Series} */ (list[k]);
      const column = /** @type {(number | undefined)[]} */ (this.columns[k]);
      if (
        lastRow >= 0 && series.placed < series.length && series.xs[series.placed] === end &&
        column[lastRow] === undefined
      ) {
        column[lastRow] = series.ys[series.placed];
        series.placed++;
      }
    }
    this.#merge(list);
    this.version++;
    return true;
  }

  /**
   * Merges every series' unplaced points into new rows, in x order; a row
   * takes at most one point of each series.
   * @param {Series[]} list
   */
  #merge(list) {
    const xs = this.xs;
    const columns = this.columns;
    const count = list.length;
    if (count === 1) {
      const series = /** @type {Series} */ (list[0]);
      const column = /** @type {(number | undefined)[]} */ (columns[0]);
      for (let i = series.placed; i < series.length; i++) {
        xs.push(/** @type {number} */ (series.xs[i]));
        column.push(series.ys[i]);
      }
      series.placed = series.length;
      return;
    }
    for (;;) {
      let x = Infinity;
      for (let k = 0; k < count; k++) {
        const series = /** @type {Series} */ (list[k]);
        if (series.placed < series.length) {
          const candidate = /** @type {number} */ (series.xs[series.placed]);
          if (candidate < x) x = candidate;
        }
      }
      if (x === Infinity) return;
      xs.push(x);
      for (let k = 0; k < count; k++) {
        const series = /** @type {Series} */ (list[k]);
        const column = /** @type {(number | undefined)[]} */ (columns[k]);
        if (series.placed < series.length && series.xs[series.placed] === x) {
          column.push(series.ys[series.placed]);
          series.placed++;
        } else {
          column.push(undefined);
        }
      }
    }
  }
}
