/**
 * Which series share a chart when the page splits.
 *
 * The rule (docs/page.md "Split"): series first go by kind, the unit or
 * prefix their name carries (`%idle`, `rkB/s`, `…kB`, `vda.`); inside a
 * kind, a chart holds series whose ranges lie within `GROUP_FACTOR` (10×)
 * of each other. The page splits by itself when that makes more than one
 * chart. A series keeps its chart once placed; placing waits for a nonzero
 * range and `PLACE_AFTER_POINTS` points (a ramp from 0 would be judged by its
 * first tiny values), unless `ready` says the series' data is all there is.
 * Pressing Split again starts over. A chart holds at most
 * `PALETTE_SIZE` series. Colours are not chosen here: a series has the
 * colour of its arrival order in every chart (charts.js), as in the combined one.
 *
 * @module
 */

import { PALETTE_SIZE } from "./colors.js";

/** A chart's series lie within this factor of each other in range. */
export const GROUP_FACTOR = 10;
/** Points a series has before its range is judged and it is placed. */
export const PLACE_AFTER_POINTS = 16;

/**
 * The size of each series: the largest magnitude of its values, 0 when none.
 * @param {(number | undefined)[]} column
 * @param {number} from first row
 * @param {number} to row past the last
 * @returns {{ min: number, max: number, last: number | undefined, magnitude: number, count: number }}
 */
export function columnStats(column, from, to) {
  let min = Infinity;
  let max = -Infinity;
  let last;
  let count = 0;
  for (let i = from; i < to; i++) {
    const value = column[i];
    if (value === undefined || value === null) continue;
    if (value < min) min = value;
    if (value > max) max = value;
    last = value;
    count++;
  }
  const magnitude = min === Infinity ? 0 : Math.max(Math.abs(min), Math.abs(max), max - min);
  return { min, max, last, magnitude, count };
}

/** Units a name can end with; short ones only after a separator (`us` alone is CPU time). */
const UNIT = /(%|\/s|\/sec|[kKMGT]i?B|bytes|[_\- ](?:ms|us|µs|ns|s|°[CF]|C|[kMG]?Hz|W|V|A|rpm))$/;

/**
 * The kind of series `name` is: its prefix (`vda.` in `vda.wareq-sz`) and
 * its unit (`%` for `%idle` or `cpu%`, `/s` for `rkB/s`, `kB` for `MemFreekB`).
 * Series of different kinds never share a chart. "" for a plain name.
 * @param {string} name
 * @returns {string}
 */
export function kindOf(name) {
  const dot = /^([^.:/]+)[.:]/.exec(name);
  const prefix = dot ? dot[1] : "";
  const rest = dot ? name.slice(dot[0].length) : name;
  const unit = rest.startsWith("%") ? "%" : (UNIT.exec(rest)?.[1] ?? "").replace(/^[_\- ]/, "");
  const family = unit === "/sec" ? "/s" : unit;
  return prefix === "" && family === "" ? "" : `${prefix}|${family}`;
}

/**
 * @typedef {object} PlacedChart
 * @property {string} kind see `kindOf`
 * @property {number} low smallest range of its series
 * @property {number} high largest range of its series
 * @property {string[]} names
 */

/**
 * @typedef {object} Placement
 * @property {PlacedChart[]} charts in the order they were made
 * @property {Map<string, number>} chartOf series name → index in `charts`
 */

/** @returns {Placement} */
export function emptyPlacement() {
  return { charts: [], chartOf: new Map() };
}

/**
 * Places the series not yet placed (and of nonzero range), largest first;
 * placed ones stay where they are. Returns a new placement.
 * @param {Placement} placement
 * @param {{ name: string, magnitude: number, count?: number }[]} entries every series
 *   with its range and its number of points
 * @param {boolean} [ready] place series with fewer points too (no more are coming soon)
 * @returns {Placement}
 */
export function place(placement, entries, ready = false) {
  const fresh = entries.filter((e) =>
    !placement.chartOf.has(e.name) && e.magnitude > 0 &&
    Number.isFinite(e.magnitude) && (ready || (e.count ?? Infinity) >= PLACE_AFTER_POINTS)
  );
  if (fresh.length === 0) return placement;
  const charts = placement.charts.map((chart) => ({ ...chart, names: [...chart.names] }));
  const chartOf = new Map(placement.chartOf);
  for (const { name, magnitude } of fresh.sort((a, b) => b.magnitude - a.magnitude)) {
    const kind = kindOf(name);
    let index = charts.findIndex((chart) =>
      chart.kind === kind && chart.names.length < PALETTE_SIZE &&
      Math.max(chart.high, magnitude) <= GROUP_FACTOR * Math.min(chart.low, magnitude)
    );
    if (index < 0) index = charts.push({ kind, low: magnitude, high: magnitude, names: [] }) - 1;
    const chart = /** @type {PlacedChart} */ (charts[index]);
    chart.names.push(name);
    chart.low = Math.min(chart.low, magnitude);
    chart.high = Math.max(chart.high, magnitude);
    chartOf.set(name, index);
  }
  return { charts, chartOf };
}

/**
 * The charts of a split view: placed series in their charts (in `order`),
 * series not placed yet (all zero so far) in the last one; hidden ones left out.
 * @param {Placement} placement
 * @param {string[]} order every series, in arrival order
 * @param {Set<string>} hidden
 * @returns {string[][]}
 */
export function splitCharts(placement, order, hidden) {
  /** @type {string[][]} */
  const charts = placement.charts.map(() => []);
  /** @type {string[]} */
  const rest = [];
  for (const name of order) {
    if (hidden.has(name)) continue;
    const index = placement.chartOf.get(name);
    if (index === undefined) rest.push(name);
    else charts[index]?.push(name);
  }
  const shown = charts.filter((names) => names.length > 0);
  if (rest.length > 0) {
    const last = shown.at(-1);
    if (last && last.length + rest.length <= PALETTE_SIZE) last.push(...rest);
    else shown.push(rest);
  }
  return shown.length > 0 ? shown : [[]];
}

/**
 * At most `max` charts: while there are more, the two neighbouring charts
 * with the fewest series between them (the later pair on a tie: smaller
 * ranges) become one, as long as it holds `PALETTE_SIZE` series at most. For a
 * window too short for every chart of a split (docs/page.md "Split").
 * @param {string[][]} charts
 * @param {number} max
 * @returns {string[][]} `charts` itself when they fit
 */
export function fitCharts(charts, max) {
  if (charts.length <= max) return charts;
  const fitted = charts.map((names) => [...names]);
  const size = (/** @type {number} */ i) =>
    /** @type {string[]} */ (fitted[i]).length + /** @type {string[]} */ (fitted[i + 1]).length;
  while (fitted.length > Math.max(1, max)) {
    let best = -1;
    for (let i = 0; i + 1 < fitted.length; i++) {
      if (size(i) <= PALETTE_SIZE && (best < 0 || size(i) <= size(best))) best = i;
    }
    if (best < 0) break;
    fitted.splice(best, 2, [...(fitted[best] ?? []), ...(fitted[best + 1] ?? [])]);
  }
  return fitted;
}

/**
 * Whether the page splits by itself: the placement made more than one chart.
 * @param {Placement} placement
 * @returns {boolean}
 */
export function shouldSplit(placement) {
  return placement.charts.length > 1;
}
