/**
 * uPlot charts: the combined chart (optionally with a second y axis) or one
 * small chart per group of series of similar range, stacked, with a
 * synchronised cursor; axes with SI labels and gutters sized to them.
 *
 * @module
 */

// uPlot, vendored in static/vendor/uplot and served by handlers/assets.ts; deno.json maps it
// the same way for `deno check`.
import uPlot from "../uplot.js";
import { DEMO_FILL, DEMO_STROKE, seriesColor, themeColors, withAlpha } from "./colors.js";
import { formatTicks, formatTimeTicks, TICK_STEPS, tickSplits } from "./format.js";
import { displayName } from "./names.js";
import { outagesIn } from "./outages.js";

const FONT_SIZE = 13;
const FONT = `${FONT_SIZE}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
const SYNC_KEY = "liveplot";

/**
 * What the charts of one stack share, so they line up: each chart's y gutter
 * grows to the widest any of them needs (one left edge), and to half the
 * widest x label, so the label at the left edge is never cut.
 * @typedef {object} Gutters
 * @property {Map<any, number>} needs each chart's own y gutter
 * @property {number} xHalf half the widest x label
 */

/** @returns {Gutters} */
export function createGutters() {
  return { needs: new Map(), xHalf: 0 };
}

/**
 * The y gutter every chart of the stack takes.
 * @param {Gutters} gutters
 * @returns {number}
 */
export function sharedGutter(gutters) {
  return Math.ceil(Math.max(gutters.xHalf + 2, ...gutters.needs.values()));
}

/**
 * @typedef {object} ChartSeries
 * @property {string} name
 * @property {number} order table column
 * @property {number} color colour number (seriesColor): the series' arrival order, in every chart
 * @property {boolean} [dash] drawn dashed (a colour close to another's in its chart)
 * @property {boolean} show
 * @property {boolean} [y2] on the second y axis
 */

/**
 * @typedef {object} ChartSpec
 * @property {ChartSeries[]} series
 * @property {string} title shown above a split chart ("" for none)
 */

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
 * A y axis gutter function: fits the axis' widest label; the left axis takes
 * the stack's shared gutter (`gutters`) when that is wider.
 * @param {Gutters | null} gutters
 * @returns {(u: any, values: string[] | null, axisIndex: number, cycle: number) => number}
 */
function ySize(gutters) {
  return (u, values, axisIndex, cycle) => {
    const axis = u.axes[axisIndex];
    const ticks = axis.ticks?.size ?? 10;
    const fits = Math.ceil(ticks + (axis.gap ?? 5) + textWidth(values ?? []) + 8);
    if (!gutters || axis.side !== 3) {
      // Later passes of one layout only grow the gutter: it settles, and the labels still fit.
      return cycle > 1 && axis._size ? Math.max(fits, axis._size) : fits;
    }
    const before = gutters.needs.get(u) ?? 0;
    gutters.needs.set(u, cycle > 1 ? Math.max(fits, before) : fits);
    return sharedGutter(gutters);
  };
}

/**
 * An x axis height function for one or two lines of labels; notes half the
 * widest label in `gutters`, so the y gutter leaves room for the first one.
 * @param {Gutters | null} gutters
 * @returns {(u: any, values: string[] | null, axisIndex: number) => number}
 */
function xSize(gutters) {
  return (u, values, axisIndex) => {
    const axis = u.axes[axisIndex];
    const lines = Math.max(1, ...(values ?? []).map((v) => String(v).split("\n").length));
    if (gutters) gutters.xHalf = textWidth(values ?? []) / 2;
    return (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + lines * (FONT_SIZE + 3) + 4;
  };
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
 * @property {Gutters} [gutters] shared with the other charts of the stack
 * @property {(name: string) => number[] | null} [outages] each series' outages
 *   (outages.js spans), where its line breaks; without it every line joins its points
 */

/**
 * A y scale: fixed ends where given, else the data's with a margin, within
 * the largest double. (A span past it, -1e308..1e308, cannot be drawn: uPlot
 * divides by the span. A scale that halves values would draw it, at about a
 * tenth more draw time for every chart: page.md says so instead.)
 * @param {[number | null, number | null] | null} fixed
 * @param {boolean} fromZero
 */
function yScale(fixed, fromZero) {
  return {
    range: (
      /** @type {any} */ _u,
      /** @type {number | null} */ min,
      /** @type {number | null} */ max,
    ) => {
      let low = min ?? 0;
      let high = max ?? 1;
      if (fromZero) {
        low = Math.min(0, low);
        high = Math.max(0, high) * 1.05 || 1;
      } else {
        const pad = low === high ? Math.abs(low) * 0.1 || 1 : (high / 2 - low / 2) * 0.1;
        low -= pad;
        high += pad;
      }
      // Near the largest double the margin overflows: the range stops there.
      low = Math.max(low, -Number.MAX_VALUE);
      high = Math.min(high, Number.MAX_VALUE);
      if (fixed?.[0] !== null && fixed?.[0] !== undefined) low = fixed[0];
      if (fixed?.[1] !== null && fixed?.[1] !== undefined) high = fixed[1];
      if (!(high > low)) high = low + 1;
      return [low, high];
    },
  };
}

/** uPlot's `points.show`: true when one row is in view (`i0`, `i1`: the first and last). */
function onlyOneRow(
  /** @type {any} */ _u,
  /** @type {number} */ _series,
  /** @type {number} */ first,
  /** @type {number} */ last,
) {
  return last <= first;
}

/**
 * A uPlot `gaps` hook: the line of the series breaks over each of its
 * outages in view (canvas pixels). The table holds no nulls, so uPlot finds
 * no gaps of its own, and a cell another series' row leaves empty is spanned.
 * @param {() => number[] | null} spansOf the series' outages (outages.js spans)
 * @returns {(u: any, seriesIdx: number, idx0: number, idx1: number, nullGaps: number[][]) => number[][]}
 */
function outageGaps(spansOf) {
  return (u, _seriesIdx, idx0, idx1, nullGaps) => {
    const spans = spansOf();
    if (!spans || spans.length === 0) return nullGaps;
    const xs = u.data[0];
    const [first, end] = outagesIn(spans, xs[idx0], xs[idx1]);
    if (first === end) return nullGaps;
    const gaps = nullGaps.slice();
    for (let k = first; k < end; k += 2) {
      gaps.push([u.valToPos(spans[k], "x", true), u.valToPos(spans[k + 1], "x", true)]);
    }
    if (nullGaps.length > 0) gaps.sort((a, b) => a[0] - b[0]);
    return gaps;
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
    size: options.xLabels === false ? 8 : xSize(options.gutters ?? null),
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
  // Ticks up to 1e308 (uPlot's own steps stop at 5e31). Below about 1e-16 uPlot takes no
  // step (it keeps at most 16 decimals): no labels there (docs/page.md).
  const yTicks = {
    values: yValues,
    space: ySpace,
    incrs: TICK_STEPS,
    splits: (
      /** @type {any} */ _u,
      /** @type {number} */ _i,
      /** @type {number} */ min,
      /** @type {number} */ max,
      /** @type {number} */ step,
    ) => tickSplits(min, max, step),
  };
  const axes = [xAxis, {
    ...axisCommon,
    ...yTicks,
    scale: "y",
    size: ySize(options.gutters ?? null),
  }];
  if (hasY2) {
    axes.push({
      ...axisCommon,
      ...yTicks,
      scale: "y2",
      side: 1,
      size: ySize(null),
      grid: { show: false },
    });
  }
  const outages = single ? undefined : options.outages;
  const plotted = spec.series.map((entry) => {
    const color = single ? DEMO_STROKE : seriesColor(entry.color);
    return {
      label: displayName(entry.name),
      scale: entry.y2 && hasY2 ? "y2" : "y",
      stroke: color,
      ...(entry.dash ? { dash: [6, 3] } : {}),
      // One-pixel lines are a rasteriser's fast path: 4× the frame rate with 100,000 points.
      width: single ? 3 : (options.dense ? 1 : 1.5),
      fill: single ? DEMO_FILL : (options.fill ? withAlpha(color, 0.12) : undefined),
      show: entry.show,
      // Outages break the line (see outageGaps); every other missing cell is spanned.
      ...(outages ? { spanGaps: false, gaps: outageGaps(() => outages(entry.name)) } : {
        spanGaps: true,
      }),
      // No dots, but for a lone sample (`echo 42`), which has no line to draw.
      points: { show: onlyOneRow },
    };
  });
  const opts = {
    width: options.width,
    height: options.height,
    title: spec.title || undefined,
    pxAlign: 0,
    // Room on the right for the last x label, which is centred on its tick.
    // No x axis (no data yet): room below for half of the lowest y label.
    padding: [
      8,
      hasY2 ? 8 : 44,
      (/** @type {any} */ _u, /** @type {number} */ _side, /** @type {boolean[]} */ sides) =>
        sides[2] ? 0 : 8,
      0,
    ],
    legend: { show: false },
    scales: {
      x: { time: options.xKind === "time", auto: false },
      y: yScale(options.yRange, single),
      y2: yScale(null, false),
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
  return new uPlot(opts, data, parent);
}

/** Colour for series `order` (re-exported for the legend and PNG). */
export { seriesColor };
