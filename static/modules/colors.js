/**
 * Series colours: distinct for any number of series (golden-angle hues,
 * alternating lightness), darker on a light page and lighter on a dark one.
 *
 * @module
 */

/** The seed demo's single-series stroke and fill. */
export const DEMO_STROKE = "rgba(255, 0, 0, 0.8)";
export const DEMO_FILL = "rgba(255, 162, 0, 0.6)";

const GOLDEN_ANGLE = 137.508;

/** Series a split chart holds at most, so that its lines stay apart (docs/page.md "Split"). */
export const PALETTE_SIZE = 24;

/**
 * Whether the page is in dark mode (the system's choice).
 * @returns {boolean}
 */
export function isDark() {
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/**
 * The colour of series number `index` (0-based) in the current theme.
 * @param {number} index
 * @param {boolean} [dark]
 * @returns {string} an `hsl(…)` colour
 */
export function seriesColor(index, dark = isDark()) {
  const hue = hueOf(index);
  // Yellow and cyan hues are light by nature: darken them on white.
  const bright = hue > 40 && hue < 200;
  const band = index % 3;
  const lightness = dark ? 60 + band * 7 : (bright ? 28 : 40) + band * 5;
  const saturation = dark ? 75 : 85 - band * 10;
  return `hsl(${hue.toFixed(1)}, ${saturation}%, ${lightness}%)`;
}

/**
 * The hue of series number `index`.
 * @param {number} index
 */
function hueOf(index) {
  return (index * GOLDEN_ANGLE) % 360;
}

/** Hues closer than this are hard to tell apart as thin lines side by side. */
const CLOSE_HUES = 30;

/**
 * For series numbers `indexes` drawn in one chart, whether each is dashed:
 * one whose hue is close to an earlier one's there (golden-angle hues come
 * back near each other: series 0 and 13 are both red), so that every series
 * keeps its own colour in every chart and still stands apart in its chart.
 * @param {readonly number[]} indexes
 * @returns {boolean[]}
 */
export function dashedInChart(indexes) {
  return indexes.map((index, at) =>
    indexes.slice(0, at).some((other) => {
      const apart = Math.abs(hueOf(index) - hueOf(other));
      return Math.min(apart, 360 - apart) < CLOSE_HUES;
    })
  );
}

/**
 * Theme colours for axes and grid, read from the page's CSS variables.
 * @returns {{ text: string, grid: string, axis: string, background: string }}
 */
export function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read("--text", "#222"),
    grid: read("--grid", "rgba(0,0,0,0.08)"),
    axis: read("--axis", "rgba(0,0,0,0.35)"),
    background: read("--background", "#fff"),
  };
}

/**
 * A colour with transparency, for fills: `hsl(h, s%, l%)` → `hsla(h, s%, l%, alpha)`.
 * @param {string} color
 * @param {number} alpha
 * @returns {string}
 */
export function withAlpha(color, alpha) {
  return color.replace(/^hsl\((.*)\)$/, `hsla($1, ${alpha})`);
}
