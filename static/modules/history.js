/**
 * Scrollback: the server's range query (`GET …/range?from&to&width&series`),
 * answered with every point in [from, to] or, when there are more than
 * about 2 × width, a min/max-per-pixel reduction.
 *
 * @module
 */

/**
 * @typedef {object} RangeSeries
 * @property {number | string} id
 * @property {string} name
 * @property {boolean} reduced
 * @property {number[]} x
 * @property {number[]} y
 */

/**
 * @typedef {object} RangeAnswer
 * @property {string} x
 * @property {number} from
 * @property {number} to
 * @property {number | null} historyStart
 * @property {RangeSeries[]} series
 */

/** The server has no range route (an older liveplot, or the demo). */
export class NoHistory extends Error {}

/**
 * Asks for the points of a range.
 * @param {string} path e.g. `/data/range`
 * @param {{ from: number, to: number, width?: number, series?: (string | number)[] }} query
 * @param {AbortSignal} [signal]
 * @returns {Promise<RangeAnswer>}
 */
export async function fetchRange(path, query, signal) {
  const url = new URL(path, location.href);
  url.searchParams.set("from", String(query.from));
  url.searchParams.set("to", String(query.to));
  if (query.width) url.searchParams.set("width", String(Math.max(1, Math.round(query.width))));
  if (query.series && query.series.length > 0) {
    url.searchParams.set("series", query.series.join(","));
  }
  const response = await fetch(url, { signal, headers: { accept: "application/json" } });
  if (response.status === 404) {
    await response.body?.cancel();
    throw new NoHistory(`No range route at ${path}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Range query failed: ${response.status}`);
  }
  return await response.json();
}
