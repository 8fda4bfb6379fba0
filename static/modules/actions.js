/**
 * What the controls do (controls.js calls them): each is a view transition
 * (view.js) or a change to the page state, then a redraw.
 *
 * @module
 */

import { goLive, pan, togglePause, zoom } from "./view.js";
import { resetData, sessionExtent, shownRange, viewTable } from "./state.js";
import { emptyPlacement } from "./grouping.js";
import { chartsPng, download, stamp, tableCsv } from "./export.js";
import { windowText, writeViewState } from "./url_state.js";

/**
 * Writes the view state the URL keeps (window, split, hidden, y range, y2).
 * @param {import("./state.js").PageState} state
 */
export function saveUrl(state) {
  const range = state.userYRange;
  const y = !range
    ? null
    : range.every((v) => v === null)
    ? "auto"
    : range.map((v) => v ?? "").join(":");
  const window = state.view.pageWindow ? windowText(state.view.pageWindow) : null;
  writeViewState({ window, split: state.split, hidden: [...state.hidden], y, y2: [...state.y2] });
}

/**
 * The actions of the page's controls.
 * @param {import("./present.js").PageParts & { setView: (view: import("./view.js").View) => void, changed: () => void }} page
 * @returns {import("./controls.js").Actions}
 */
export function pageActions(page) {
  const { state, store, stack, connection, setView, changed } = page;
  const shown = () => shownRange(state, store);
  const extent = () => sessionExtent(state, store);
  return {
    start() {
      connection.close();
      resetData(state, store);
      setView(goLive(state.view));
      connection.open();
    },
    pause() {
      if (state.demo && !connection.socket && store.points === 0) return;
      setView(togglePause(state.view, shown()));
    },
    live: () => setView(goLive(state.view)),
    split() {
      state.split = !stack.split(state);
      // Asked to split: every series is placed afresh.
      if (state.split) state.placement = emptyPlacement();
      stack.invalidate();
      saveUrl(state);
      changed();
    },
    pan: (fraction) => setView(pan(state.view, shown(), fraction, extent())),
    zoom: (factor) => setView(zoom(state.view, shown(), factor, undefined, extent(), state.xKind)),
    csv() {
      const csv = tableCsv(viewTable(state, store));
      download(new Blob([csv], { type: "text/csv" }), `liveplot-${stamp()}.csv`);
    },
    async png() {
      const blob = await chartsPng({
        title: page.ui.title.textContent ?? "liveplot",
        charts: stack.charts.map((c) => c.u),
        legend: store.list().filter((s) => !state.hidden.has(s.name)).map((s) => ({
          name: s.name,
          color: s.order,
          value: s.lastY,
        })),
      });
      download(blob, `liveplot-${stamp()}.png`);
    },
    window(spec) {
      state.view = { ...state.view, pageWindow: spec };
      saveUrl(state);
      setView(goLive(state.view));
    },
    yRange(range) {
      state.userYRange = range;
      saveUrl(state);
      changed();
    },
  };
}
