/**
 * The stream client: the socket (socket.js) and what its messages do to
 * the page state. Join states are pure transitions (join.js); meta sets
 * names, x kind, window and y range; status is the source's state; points
 * go to the store (or the join buffer while the window arrives).
 *
 * @module
 */

import { Connection } from "./socket.js";
import { announced, closed, collect, complete, finished, merge, opened } from "./join.js";
import { windowText } from "./url_state.js";

/**
 * A join is taken as complete when nothing of it comes for this long: from the open (a server
 * that announces no pieces), then from the announcement and each piece. A paced join (a big
 * window on a slow link) can take far longer in all; it is bounded by the pieces announced.
 */
export const JOIN_TIMEOUT_MS = 3000;

/** @typedef {import("./store.js").Store} Store */

/**
 * @typedef {object} ClientHooks
 * @property {() => void} changed something to draw
 * @property {() => void} status the connection or the source changed state: show it now
 * @property {(name: string, from: number, to: number) => void} gap points missed while away
 * @property {() => void} reset the held data no longer fits (another x kind)
 * @property {() => void} trim bound what the store holds
 * @property {(placeholder: string) => void} serverWindow the server's window, as text
 * @property {(placeholder: string) => void} serverYRange the server's fixed y range (`--y-range`), as text
 * @property {(title: string) => void} title what the stream is headed by (its source or name)
 */

/**
 * Opens (with `client.open()`) the stream at `path`; updates `state` and `store`.
 * @param {string} path the socket's path
 * @param {any} state the page state (app.js)
 * @param {Store} store
 * @param {ClientHooks} hooks
 * @returns {Connection}
 */
export function createClient(path, state, store, hooks) {
  const demo = state.demo;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let joinTimer;
  /** @param {string} id */
  const nameOf = (id) => state.names.get(id) ?? id;

  const awaitJoin = () => {
    clearTimeout(joinTimer);
    joinTimer = setTimeout(finishJoin, JOIN_TIMEOUT_MS);
  };

  const finishJoin = () => {
    clearTimeout(joinTimer);
    if (!state.join.joining) return;
    const merged = merge(store, state.join);
    state.join = finished(state.join);
    state.received += merged.received;
    if (merged.first) state.full = merged.full;
    for (const gap of merged.gaps) hooks.gap(gap.name, gap.from, gap.to);
    hooks.trim();
    hooks.changed();
  };

  /** @param {any} meta */
  const onMeta = (meta) => {
    if (typeof meta.x === "string" && meta.x !== state.xKind) {
      if (store.points > 0) hooks.reset();
      state.xKind = meta.x;
    }
    const view = state.view;
    if (meta.windowSeconds) state.view = { ...view, serverWindow: { seconds: meta.windowSeconds } };
    else if (meta.window) state.view = { ...view, serverWindow: { points: meta.window } };
    if (Array.isArray(meta.yRange) && meta.yRange.length === 2) {
      state.serverYRange = [meta.yRange[0] ?? null, meta.yRange[1] ?? null];
      hooks.serverYRange(state.serverYRange.map((end) => end ?? "").join(":"));
    }
    if ("historyStart" in meta) state.historyStart = meta.historyStart;
    // Every stream is served the same page: the stream's meta message names it.
    if (typeof meta.title === "string" && meta.title !== "" && !demo) hooks.title(meta.title);
    state.names = new Map();
    for (const entry of meta.series ?? []) {
      const name = String(entry.name ?? entry.id);
      state.names.set(String(entry.id), name);
      store.get(name);
    }
    hooks.serverWindow(windowText(state.view.serverWindow));
  };

  /** @param {{ reduced: boolean }} message */
  const onViewer = (message) => {
    if (message.reduced) {
      state.reducedFrom = new Map(store.list().map((s) => [s.name, s.lastX ?? -Infinity]));
      return;
    }
    const marks = state.reducedFrom;
    state.reducedFrom = null;
    for (const [name, from] of marks ?? []) {
      const last = store.series.get(name)?.lastX;
      if (last !== undefined && last > from) hooks.gap(name, from, last);
    }
  };

  return new Connection(path, {
    onOpen() {
      state.join = opened(state.join, demo);
      state.liveBatches = [];
      state.reducedFrom = null;
      clearTimeout(joinTimer);
      if (!demo) awaitJoin();
      hooks.status();
      hooks.changed();
    },
    onControl(message) {
      if (message.type === "meta") onMeta(message);
      else if (message.type === "status") {
        state.source = message;
        if ("historyStart" in message) state.historyStart = message.historyStart;
        finishJoin();
      } else if (message.type === "join" && state.join.joining) {
        state.join = announced(state.join, message.pieces);
        if (complete(state.join)) finishJoin();
        else awaitJoin();
      } else if (message.type === "viewer") onViewer(message);
      hooks.status();
      hooks.changed();
    },
    onPoints({ ids, xs, ys }) {
      const names = Array.from(ids, (id) => nameOf(String(id)));
      if (state.join.joining) {
        collect(state.join, names, xs, ys);
        // Announced: each piece shows the join is still coming, and the last one ends it.
        if (state.join.pieces === null) return;
        if (!complete(state.join)) awaitJoin();
        else {
          finishJoin();
          hooks.status();
        }
        return;
      }
      for (let i = 0; i < names.length; i++) {
        store.add(
          store.get(/** @type {string} */ (names[i])),
          /** @type {number} */ (xs[i]),
          /** @type {number} */ (ys[i]),
        );
      }
      state.received += names.length;
      if (!demo) state.liveBatches.push([performance.now(), names.length]);
      hooks.trim();
      hooks.changed();
    },
    onClose() {
      state.join = closed(state.join);
      clearTimeout(joinTimer);
      hooks.status();
      hooks.changed();
    },
  }, { reconnect: !demo });
}
