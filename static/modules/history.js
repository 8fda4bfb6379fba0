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

/** How many times a range query is asked while the server says it is busy (503). */
const RANGE_TRIES = 3;

/**
 * Asks for the points of a range; while the server is busy (503), again after its
 * `Retry-After`, up to `RANGE_TRIES` times in all.
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
  let response = await fetch(url, { signal, headers: { accept: "application/json" } });
  // Busy (too many range queries at once): ask again when told to, a few times.
  for (let tries = 1; response.status === 503 && tries < RANGE_TRIES; tries++) {
    await response.body?.cancel();
    const seconds = Math.min(5, Number(response.headers.get("retry-after")) || 1);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    signal?.throwIfAborted();
    response = await fetch(url, { signal, headers: { accept: "application/json" } });
  }
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
