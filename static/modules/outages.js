/**
 * Outages: where a series on a time axis fell silent for much longer than
 * it usually does (a device unplugged, a broker restarted, a scrape that
 * failed, a command that paused), so its line breaks there instead of
 * joining the points on either side. The rule is pure (`isOutage`); each
 * series keeps its list up to date as points arrive (`Outages`), and a
 * frame only looks up the few outages in view (`outagesIn`).
 *
 * @module
 */

/** An interval longer than this many usual ones is an outage… */
export const OUTAGE_FACTOR = 5;
/** …and longer than this many seconds: a fast stream's jitter is not an outage. */
export const OUTAGE_FLOOR_SECONDS = 1;
/**
 * The usual interval is the mean of (up to) this many intervals before the
 * one judged. A mean, not a median: a reduced history (M4, four points a
 * pixel column at uneven x) then never shows a break within a column, since
 * 32 intervals span at least seven columns.
 */
export const RECENT_INTERVALS = 32;
/** A series' first intervals have no usual one yet: fewer than this before it, no outage. */
export const MIN_INTERVALS = 4;

/**
 * The outage floor for an x axis of `kind`, or null for none: only a time
 * axis has silences; on an index or a measured x a jump is just data.
 * @param {string} kind "time" | "index" | "number"
 * @returns {number | null}
 */
export function outageFloor(kind) {
  return kind === "time" ? OUTAGE_FLOOR_SECONDS : null;
}

/**
 * Whether the interval between points `i - 1` and `i` of the sorted `xs` is
 * an outage: longer than `floor` and than OUTAGE_FACTOR times the mean of
 * the RECENT_INTERVALS intervals before it. O(1).
 * @param {ArrayLike<number>} xs
 * @param {number} i
 * @param {number} [floor]
 * @returns {boolean}
 */
export function isOutage(xs, i, floor = OUTAGE_FLOOR_SECONDS) {
  const before = Math.min(RECENT_INTERVALS, i - 1);
  if (before < MIN_INTERVALS) return false;
  const last = /** @type {number} */ (xs[i - 1]);
  const interval = /** @type {number} */ (xs[i]) - last;
  if (!(interval > floor)) return false;
  const usual = (last - /** @type {number} */ (xs[i - 1 - before])) / before;
  return interval > OUTAGE_FACTOR * usual;
}

/** One series' outages, kept up to date as its points change. */
export class Outages {
  constructor() {
    /**
     * Each outage's first and last x (the points either side of the
     * silence), flat and in x order: [from0, to0, from1, to1, …].
     * @type {number[]}
     */
    this.spans = [];
    /** Points of the series judged so far. */
    this.checked = 0;
  }

  /**
   * Judges the points added since the last scan.
   * @param {ArrayLike<number>} xs the series' x values
   * @param {number} floor
   */
  scan(xs, floor) {
    for (let i = this.checked; i < xs.length; i++) {
      if (isOutage(xs, i, floor)) {
        this.spans.push(/** @type {number} */ (xs[i - 1]), /** @type {number} */ (xs[i]));
      }
    }
    this.checked = xs.length;
  }

  /**
   * The series is about to change from point `index` on (a point inserted,
   * a range replaced): forgets what was judged from there. A judgement
   * reads only points before the one judged, so those before stand.
   * @param {ArrayLike<number>} xs the series' x values before the change
   * @param {number} index
   */
  changeAt(xs, index) {
    if (index >= this.checked) return;
    // An outage ends at the first of its x's points: judge again from there.
    const x = /** @type {number} */ (xs[index]);
    while (index > 0 && xs[index - 1] === x) index--;
    this.checked = index;
    let keep = this.spans.length;
    while (keep > 0 && /** @type {number} */ (this.spans[keep - 1]) >= x) keep -= 2;
    this.spans.length = keep;
  }

  /**
   * The series dropped its first `count` points: forgets the outages that
   * end before what it holds.
   * @param {ArrayLike<number>} xs the series' x values after the drop
   * @param {number} count
   */
  dropped(xs, count) {
    this.checked = Math.max(0, this.checked - count);
    const first = xs.length > 0 ? /** @type {number} */ (xs[0]) : Infinity;
    let drop = 0;
    while (drop < this.spans.length && /** @type {number} */ (this.spans[drop + 1]) <= first) {
      drop += 2;
    }
    if (drop > 0) this.spans.splice(0, drop);
  }
}

/**
 * Where the outages that overlap `from`…`to` sit in `spans`: the index of
 * the first one's start and the index past the last one's end. O(log n).
 * @param {ArrayLike<number>} spans flat [from, to] pairs in x order
 * @param {number} from
 * @param {number} to
 * @returns {[number, number]}
 */
export function outagesIn(spans, from, to) {
  const count = spans.length >> 1;
  let low = 0;
  let high = count;
  // The first outage that ends after `from`.
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (/** @type {number} */ (spans[2 * mid + 1]) <= from) low = mid + 1;
    else high = mid;
  }
  let end = low;
  while (end < count && /** @type {number} */ (spans[2 * end]) < to) end++;
  return [2 * low, 2 * end];
}
