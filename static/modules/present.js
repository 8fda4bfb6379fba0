/**
 * Shows the page state: the legend's rows, values and min/max, and the
 * toolbar, status line, hint and stderr (texts from status.js).
 *
 * @module
 */

import { announceText, hintText, liveRate, statusText, stderrText } from "./status.js";
import { showState } from "./controls.js";
import { spanText, windowSpec } from "./view.js";
import { shownRange } from "./state.js";

/**
 * @typedef {object} PageParts
 * @property {import("./state.js").PageState} state
 * @property {import("./store.js").Store} store
 * @property {import("./controls.js").Ui} ui
 * @property {import("./charts.js").Stack} stack
 * @property {import("./legend.js").Legend} legend
 * @property {import("./socket.js").Connection} connection
 */

/**
 * Shows the legend: rows, colours, values, and min and max over the view
 * (recomputed when `fresh`). Call after the store's table is updated (a draw).
 * @param {PageParts} parts
 * @param {boolean} fresh
 */
export function showLegend({ state, store, stack, legend }, fresh) {
  legend.sync(
    store.list().map((s) => ({
      name: s.name,
      order: s.order,
      color: s.order,
      hidden: state.hidden.has(s.name),
      y2: state.y2.has(s.name),
    })),
    !stack.split(state) && store.series.size > 1,
  );
  const range = shownRange(state, store);
  const from = range ? store.rowAt(range.from) : 0;
  const to = range ? store.rowAt(range.to, true) : store.xs.length;
  legend.values(store, from, to, state.cursorRow, fresh);
}

/**
 * Shows the toolbar's pressed states and span, the status line (and its
 * announcement: states only), the hint and stderr.
 * @param {PageParts} parts
 */
export function showStatus({ state, store, ui, stack, connection }) {
  const { demo } = state;
  const model = {
    ...state,
    ...state.view,
    connection: {
      state: connection.state,
      socket: Boolean(connection.socket),
      retryAt: connection.retryAt,
      lastCloseCode: connection.lastCloseCode,
    },
    now: Date.now(),
    points: demo ? state.received : store.points,
    rate: demo ? null : liveRate(state.liveBatches, performance.now()),
    reduced: state.reducedFrom !== null,
    joining: state.join.joining,
  };
  showState(ui, {
    following: state.view.following,
    paused: state.view.paused,
    split: stack.split(state),
    pauseDisabled: demo && !connection.socket && store.points === 0,
    span: demo ? "" : spanText(windowSpec(state.view, state.xKind)),
    status: statusText(model),
    announce: announceText(model),
    statusState: state.source?.state === "ended" ? "ended" : connection.state,
    hint: hintText(model),
    stderr: stderrText(state.source),
  });
}
