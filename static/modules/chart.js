/**
 * uPlot charts: the combined chart (optionally with a second y axis) or one
 * small chart per group of series of similar range, stacked, with a
 * synchronised cursor; axes with SI labels and gutters sized to them.
 *
 * @module
 */

/* global uPlot */

import { DEMO_FILL, DEMO_STROKE, seriesColor, themeColors, withAlpha } from "./colors.js";
import { formatTicks, formatTimeTicks } from "./format.js";

/** Ranges that differ by more than this factor make the page split (README). */
export const SPLIT_FACTOR = 100;
/** Series within this factor of a group's largest share its chart. */
export const GROUP_FACTOR = 10;

const FONT_SIZE = 13;
const FONT = `${FONT_SIZE}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
const SYNC_KEY = "liveplot";

/**
 * @typedef {object} ChartSeries
 * @property {string} name
 * @property {number} order colour index and table column
 * @property {boolean} show
 * @property {boolean} [y2] on the second y axis
 */

/**
 * @typedef {object} ChartSpec
 * @property {ChartSeries[]} series
 * @property {string} title shown above a split chart ("" for none)
 */

/**
 * The size of each series: the largest magnitude of its values, 0 when none.
 * @param {(number | undefined)[]} column
 * @param {number} from first row
 * @param {number} to row past the last
 * @returns {{ min: number, max: number, last: number | undefined, magnitude: number }}
 */
export function columnStats(column, from, to) {
  let min = Infinity;
  let max = -Infinity;
  let last;
  for (let i = from; i < to; i++) {
    const value = column[i];
    if (value === undefined || value === null) continue;
    if (value < min) min = value;
    if (value > max) max = value;
    last = value;
  }
  const magnitude = min === Infinity ? 0 : Math.max(Math.abs(min), Math.abs(max), max - min);
  return { min, max, last, magnitude };
}

/**
 * Whether magnitudes differ by more than `SPLIT_FACTOR` (zeros ignored).
 * @param {number[]} magnitudes
 * @returns {boolean}
 */
export function rangesDiffer(magnitudes) {
  const sizes = magnitudes.filter((m) => m > 0 && Number.isFinite(m));
  if (sizes.length < 2) return false;
  return Math.max(...sizes) / Math.min(...sizes) > SPLIT_FACTOR;
}

/**
 * Groups series of similar magnitude, largest first: a group holds the
 * series within `GROUP_FACTOR` of its largest; all-zero series join the
 * last group.
 * @template T
 * @param {{ item: T, magnitude: number }[]} entries
 * @returns {T[][]}
 */
export function groupByMagnitude(entries) {
  const sized = entries.filter((e) => e.magnitude > 0).sort((a, b) => b.magnitude - a.magnitude);
  const flat = entries.filter((e) => !(e.magnitude > 0));
  /** @type {T[][]} */
  const groups = [];
  let top = 0;
  for (const entry of sized) {
    const group = groups.at(-1);
    if (group && entry.magnitude * GROUP_FACTOR >= top) {
      group.push(entry.item);
    } else {
      groups.push([entry.item]);
      top = entry.magnitude;
    }
  }
  if (flat.length > 0) {
    const last = groups.at(-1);
    if (last) last.push(...flat.map((e) => e.item));
    else groups.push(flat.map((e) => e.item));
  }
  return groups;
}

let measureContext = /** @type {CanvasRenderingContext2D | null} */ (null);

/**
 * Width in CSS pixels of the widest line of `texts` in the axis font.
 * @param {string[]} texts
 * @returns {number}
 */
function textWidth(texts) {
  measureContext ??= document.createElement("canvas").getContext("2d");
  if (!measureContext) return 8 * Math.max(0, ...texts.map((t) => t.length));
  measureContext.font = FONT;
  let widest = 0;
  for (const text of texts) {
    for (const line of String(text).split("\n")) {
      widest = Math.max(widest, measureContext.measureText(line).width);
    }
  }
  return widest;
}

/**
 * A y axis gutter that fits its widest label.
 * @param {any} u
 * @param {string[] | null} values
 * @param {number} axisIndex
 * @param {number} cycle
 * @returns {number}
 */
function ySize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  if (cycle > 1 && axis._size) return axis._size;
  const ticks = axis.ticks?.size ?? 10;
  return Math.ceil(ticks + (axis.gap ?? 5) + textWidth(values ?? []) + 8);
}

/**
 * An x axis height for one or two lines of labels.
 * @param {any} u
 * @param {string[] | null} values
 * @param {number} axisIndex
 * @returns {number}
 */
function xSize(u, values, axisIndex) {
  const axis = u.axes[axisIndex];
  const lines = Math.max(1, ...(values ?? []).map((v) => String(v).split("\n").length));
  return (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + lines * (FONT_SIZE + 3) + 4;
}

/**
 * @typedef {object} ChartOptions
 * @property {string} xKind "time" | "index" | "number"
 * @property {boolean} demo the seed's look: one red filled series, y from 0
 * @property {number} width
 * @property {number} height
 * @property {[number | null, number | null] | null} yRange fixed y, or null for auto
 * @property {(u: any) => void} onSelect a drag selected an x range
 * @property {(u: any) => void} onCursor the cursor moved
 * @property {() => void} onDoubleClick
 * @property {boolean} [xLabels] false hides the x labels (split charts above the last)
 * @property {boolean} [fill] fill under the line (the page's only series)
 * @property {boolean} [dense] many points in view: draw thin lines
 */

/**
 * A y range function: fixed ends where given, else the data's with a margin.
 * @param {[number | null, number | null] | null} fixed
 * @param {boolean} fromZero
 * @returns {(u: any, min: number | null, max: number | null) => [number, number]}
 */
function yRangeFunction(fixed, fromZero) {
  return (_u, min, max) => {
    let low = min ?? 0;
    let high = max ?? 1;
    if (fromZero) {
      low = Math.min(0, low);
      high = Math.max(0, high) * 1.05 || 1;
    } else if (low === high) {
      const pad = Math.abs(low) * 0.1 || 1;
      low -= pad;
      high += pad;
    } else {
      const pad = (high - low) * 0.05;
      low -= pad;
      high += pad;
    }
    if (fixed?.[0] !== null && fixed?.[0] !== undefined) low = fixed[0];
    if (fixed?.[1] !== null && fixed?.[1] !== undefined) high = fixed[1];
    if (!(high > low)) high = low + 1;
    return [low, high];
  };
}

/**
 * Builds one uPlot chart for `spec` in `parent`.
 * @param {HTMLElement} parent
 * @param {ChartSpec} spec
 * @param {ChartOptions} options
 * @param {(number | undefined)[][]} data [xs, ...columns of spec.series]
 * @returns {any} the uPlot instance
 */
export function createChart(parent, spec, options, data) {
  const theme = themeColors();
  const single = options.demo;
  const hasY2 = !single && spec.series.some((s) => s.y2 && s.show);
  const axisCommon = {
    stroke: theme.text,
    font: FONT,
    labelFont: FONT,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.axis, width: 1, size: 6 },
    gap: 4,
  };
  const xAxis = {
    ...axisCommon,
    size: options.xLabels === false ? 8 : xSize,
    space: options.xKind === "time" ? 110 : 90,
    values: options.xLabels === false
      ? (/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map(() => "")
      : options.xKind === "time"
      ? (
        /** @type {any} */ _u,
        /** @type {number[]} */ splits,
        /** @type {number} */ _i,
        /** @type {number} */ _s,
        /** @type {number} */ step,
      ) => formatTimeTicks(splits, step)
      : (
        /** @type {any} */ _u,
        /** @type {number[]} */ splits,
        /** @type {number} */ _i,
        /** @type {number} */ _s,
        /** @type {number} */ step,
      ) => formatTicks(splits, step),
  };
  const yValues = (
    /** @type {any} */ _u,
    /** @type {number[]} */ splits,
    /** @type {number} */ _i,
    /** @type {number} */ _s,
    /** @type {number} */ step,
  ) => formatTicks(splits, step);
  // Small split charts still get three or four y labels.
  const ySpace = options.height < 220 ? 16 : 30;
  const axes = [xAxis, { ...axisCommon, scale: "y", size: ySize, values: yValues, space: ySpace }];
  if (hasY2) {
    axes.push({
      ...axisCommon,
      scale: "y2",
      side: 1,
      size: ySize,
      space: ySpace,
      values: yValues,
      grid: { show: false },
    });
  }
  const plotted = spec.series.map((entry) => {
    const color = single ? DEMO_STROKE : seriesColor(entry.order);
    return {
      label: entry.name,
      scale: entry.y2 && hasY2 ? "y2" : "y",
      stroke: color,
      // One-pixel lines are a rasteriser's fast path: 4× the frame rate with 100,000 points.
      width: single ? 3 : (options.dense ? 1 : 1.5),
      fill: single ? DEMO_FILL : (options.fill ? withAlpha(color, 0.12) : undefined),
      show: entry.show,
      spanGaps: true,
      points: { show: false },
    };
  });
  const opts = {
    width: options.width,
    height: options.height,
    title: spec.title || undefined,
    pxAlign: 0,
    // Room on the right for the last x label, which is centred on its tick.
    padding: [8, hasY2 ? 8 : 44, 0, 0],
    legend: { show: false },
    scales: {
      x: { time: options.xKind === "time", auto: false },
      y: { range: yRangeFunction(options.yRange, single) },
      y2: { range: yRangeFunction(null, false) },
    },
    axes,
    series: [{ label: options.xKind === "time" ? "time" : "x" }, ...plotted],
    cursor: {
      sync: { key: SYNC_KEY, setSeries: false },
      drag: { x: !single, y: false, setScale: false },
      bind: {
        dblclick: () => () => {
          options.onDoubleClick();
          return null;
        },
      },
      points: { size: 6 },
    },
    select: { show: !single },
    hooks: {
      setSelect: [(/** @type {any} */ u) => options.onSelect(u)],
      setCursor: [(/** @type {any} */ u) => options.onCursor(u)],
    },
  };
  // @ts-ignore: uPlot is a global from /static/uplot.js
  return new uPlot(opts, data, parent);
}

/** Colour for series `order` (re-exported for the legend and PNG). */
export { seriesColor };
