/**
 * Joining a stream: between a socket's open and its first status message
 * the server sends its window, announced as so many pieces (a server before
 * the announcement sends none); the page collects it, ends the join on the
 * last piece (or the status), then merges it with what it holds. Pure
 * transitions on a plain `Join` object, and the merge as a function of the
 * store (no DOM), so both run in Deno's tests.
 *
 * @module
 */

/** @typedef {import("./store.js").Store} Store */

/**
 * @typedef {object} Join
 * @property {boolean} joining the window is arriving
 * @property {boolean} everJoined a window was merged before (this is a rejoin)
 * @property {Map<string, { xs: number[], ys: number[] }>} replay the window so far, by name
 * @property {number | null} pieces the pieces the window comes in, once the server said
 * @property {number} taken pieces collected so far
 */

/** @returns {Join} */
export function initialJoin() {
  return { joining: false, everJoined: false, replay: new Map(), pieces: null, taken: 0 };
}

/**
 * A socket opened: a live page collects the window (the demo sends none).
 * @param {Join} join
 * @param {boolean} demo
 * @returns {Join}
 */
export function opened(join, demo) {
  return { ...join, joining: !demo, replay: new Map(), pieces: null, taken: 0 };
}

/**
 * The server said how many pieces the window comes in (`{"type":"join","pieces":K}`).
 * @param {Join} join
 * @param {unknown} pieces
 * @returns {Join}
 */
export function announced(join, pieces) {
  if (!join.joining || !Number.isInteger(pieces) || /** @type {number} */ (pieces) < 0) return join;
  return { ...join, pieces: /** @type {number} */ (pieces) };
}

/**
 * Whether every announced piece has come (a window never announced is complete with the status).
 * @param {Join} join
 */
export function complete(join) {
  return join.joining && join.pieces !== null && join.taken >= join.pieces;
}

/**
 * The socket closed before the window was complete.
 * @param {Join} join
 * @returns {Join}
 */
export function closed(join) {
  return { ...join, joining: false };
}

/**
 * The data was cleared (Start Plot, another x kind): the next window is a first one.
 * @param {Join} join
 * @returns {Join}
 */
export function forgotten(join) {
  return { ...join, everJoined: false };
}

/**
 * The window is complete and merged.
 * @param {Join} _join
 * @returns {Join}
 */
export function finished(_join) {
  return { joining: false, everJoined: true, replay: new Map(), pieces: null, taken: 0 };
}

/**
 * Adds a piece of the arriving window to `join.replay` and counts it (a buffer: grown in place).
 * @param {Join} join
 * @param {string[]} names
 * @param {ArrayLike<number>} xs
 * @param {ArrayLike<number>} ys
 */
export function collect(join, names, xs, ys) {
  join.taken++;
  for (let i = 0; i < names.length; i++) {
    const name = /** @type {string} */ (names[i]);
    let entry = join.replay.get(name);
    if (!entry) join.replay.set(name, entry = { xs: [], ys: [] });
    entry.xs.push(/** @type {number} */ (xs[i]));
    entry.ys.push(/** @type {number} */ (ys[i]));
  }
}

/**
 * @typedef {object} Merged
 * @property {number} received points taken into the store
 * @property {{ name: string, from: number, to: number }[]} gaps x ranges missed while away
 * @property {boolean} first this was a first join
 * @property {number} full the first x of the window (the store holds every point from there)
 */

/**
 * Merges the window `join.replay` into `store`. On a first join it is taken
 * whole. On a rejoin a series that agrees with the window where they overlap
 * takes the newer points; one that disagrees (another session: the server
 * restarted) is replaced; one with no overlap gets the new points and a gap.
 * @param {Store} store
 * @param {Join} join
 * @returns {Merged}
 */
export function merge(store, join) {
  const first = !join.everJoined;
  let full = -Infinity;
  let received = 0;
  /** @type {{ name: string, from: number, to: number }[]} */
  const gaps = [];
  for (const [name, replay] of join.replay) {
    const series = store.get(name);
    const xs = replay.xs;
    if (xs.length > 0) full = Math.max(full, /** @type {number} */ (xs[0]));
    const last = series.lastX;
    let overlap = -1;
    if (!first && last !== undefined) {
      for (let i = xs.length - 1; i >= 0; i--) {
        if (/** @type {number} */ (xs[i]) <= last) {
          overlap = i;
          break;
        }
      }
      if (
        overlap >= 0 && !agrees(series, /** @type {number} */ (xs[overlap]), replay.ys[overlap])
      ) {
        store.replace(series, -Infinity, Infinity, xs, replay.ys);
        received += xs.length;
        continue;
      }
      if (overlap < 0 && xs.length > 0) {
        gaps.push({ name, from: last, to: /** @type {number} */ (xs[0]) });
      }
    }
    for (let i = overlap + 1; i < xs.length; i++) {
      store.add(series, /** @type {number} */ (xs[i]), /** @type {number} */ (replay.ys[i]));
      received++;
    }
  }
  return { received, gaps, first, full };
}

/**
 * Whether `series` holds the point (`x`, `y`).
 * @param {import("./store.js").Series} series
 * @param {number} x
 * @param {number | undefined} y
 */
function agrees(series, x, y) {
  for (let j = series.search(x); j < series.length && series.xs[j] === x; j++) {
    if (series.ys[j] === y) return true;
  }
  return false;
}
