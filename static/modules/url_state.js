/**
 * Where the page's data lives (derived from its own path) and the view
 * state kept in the query string: window, split, hidden series, y range and
 * second-axis series, so a view can be bookmarked and shared.
 *
 * @module
 */

/**
 * @typedef {object} Endpoints
 * @property {string} socket WebSocket path
 * @property {string} range range-query path
 * @property {string} csv whole-session CSV path
 */

/**
 * The data paths for a page at `pathname`: `/s/NAME` (or `/s/NAME/data`)
 * uses `/s/NAME/data`, `/s/NAME/range` and `/s/NAME.csv`; anything else
 * (`/`, `/data`) uses `/data`, `/data/range` and `/data.csv`. A `token` in
 * the page's query (`--read-token`) is passed on to each of them.
 * @param {string} pathname
 * @param {string} [search] the page's query string
 * @returns {Endpoints}
 */
export function endpointsFor(pathname, search = "") {
  const query = tokenQuery(search);
  const match = /^\/s\/([^/]+)(?:\/(?:data)?)?$/.exec(pathname);
  const base = match ? `/s/${match[1]}` : "/data";
  return {
    socket: `${match ? `${base}/data` : base}${query}`,
    range: `${base}/range${query}`,
    csv: `${base}.csv${query}`,
  };
}

/**
 * `?token=…` when the page's query has `--read-token`'s token, else "": every
 * link and request of a page carries it on, or the next page answers 401.
 * @param {string} search the page's query string
 * @returns {string}
 */
export function tokenQuery(search) {
  const token = new URLSearchParams(search).get("token");
  return token ? `?token=${encodeURIComponent(token)}` : "";
}

/**
 * @typedef {{ points: number } | { seconds: number }} WindowSpec
 */

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a window: a point count (`500`) or a duration (`60s`, `10m`, `1.5h`).
 * @param {string | null | undefined} text
 * @returns {WindowSpec | null} null when empty or not understood
 */
export function parseWindow(text) {
  const trimmed = (text ?? "").trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|ms)?$/.exec(trimmed);
  if (!match) return null;
  const amount = Number(match[1]);
  if (!(amount > 0)) return null;
  if (!match[2]) return Number.isInteger(amount) ? { points: amount } : null;
  if (match[2] === "ms") return { seconds: amount / 1000 };
  return { seconds: amount * UNITS[/** @type {"s"|"m"|"h"|"d"} */ (match[2])] };
}

/**
 * Writes a window the way `parseWindow` reads it.
 * @param {WindowSpec} spec
 * @returns {string}
 */
export function windowText(spec) {
  if ("points" in spec) return String(spec.points);
  const seconds = spec.seconds;
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (seconds >= size && Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  }
  return `${Number(seconds.toPrecision(6))}s`;
}

/**
 * Parses a y range `MIN:MAX` (either side may be empty for auto); null for auto.
 * @param {string | null | undefined} text
 * @returns {[number | null, number | null] | null}
 */
export function parseYRange(text) {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return null;
  // Auto at both ends, over a range the server fixed (--y-range).
  if (trimmed === "auto") return [null, null];
  const parts = trimmed.split(":");
  if (parts.length !== 2) return null;
  const [low, high] = parts.map((part) => (part.trim() === "" ? null : Number(part)));
  if (low === undefined || high === undefined) return null;
  if ((low !== null && !Number.isFinite(low)) || (high !== null && !Number.isFinite(high))) {
    return null;
  }
  if (low === null && high === null) return null;
  if (low !== null && high !== null && !(high > low)) return null;
  return [low, high];
}

/**
 * @typedef {object} ViewState
 * @property {string | null} window as typed, e.g. `60s`; null = the server's
 * @property {boolean | null} split null = let the page decide
 * @property {string[]} hidden names of hidden series
 * @property {string | null} y `MIN:MAX` or null for auto
 * @property {string[]} y2 names of series on the second y axis
 */

/**
 * Reads the view state from a query string.
 * @param {string} search `location.search`
 * @returns {ViewState}
 */
export function readViewState(search) {
  const params = new URLSearchParams(search);
  const split = params.get("split");
  return {
    window: params.get("window"),
    split: split === null ? null : split !== "0",
    hidden: params.getAll("hide"),
    y: params.get("y"),
    y2: params.getAll("y2"),
  };
}

/**
 * Writes the view state into the current URL without a reload or a new
 * history entry; other query parameters are kept.
 * @param {ViewState} state
 */
export function writeViewState(state) {
  const url = new URL(location.href);
  const params = url.searchParams;
  for (const key of ["window", "split", "hide", "y", "y2"]) params.delete(key);
  if (state.window) params.set("window", state.window);
  if (state.split !== null) params.set("split", state.split ? "1" : "0");
  for (const name of state.hidden) params.append("hide", name);
  if (state.y) params.set("y", state.y);
  for (const name of state.y2) params.append("y2", name);
  const next = url.pathname + (params.size > 0 ? `?${params}` : "") + url.hash;
  if (next !== location.pathname + location.search + location.hash) {
    history.replaceState(history.state, "", next);
  }
}
