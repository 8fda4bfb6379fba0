/**
 * liveplot's page: connects its modules and owns the one page state
 * (modules/state.js). The stream client feeds the store; the view decides
 * the x range; the stack of charts draws once per animation frame when
 * something changed; legend, status and controls show it (docs/page.md).
 *
 * @module
 */

import { Store } from "./modules/store.js";
import { createState, resetData, sessionExtent, shownRange, trimStore } from "./modules/state.js";
import { goLive, showRange, zoom } from "./modules/view.js";
import { createClient } from "./modules/client.js";
import { Scrollback } from "./modules/scrollback.js";
import { Stack } from "./modules/charts.js";
import { Legend } from "./modules/legend.js";
import { bindControls, findUi, showError, showTitle } from "./modules/controls.js";
import { pageActions, saveUrl } from "./modules/actions.js";
import { showLegend, showStatus } from "./modules/present.js";
import { endpointsFor, readViewState, tokenQuery } from "./modules/url_state.js";
import { fetchStreams, listStreams, otherStreams } from "./modules/streams.js";
import { formatX } from "./modules/format.js";
import { outageFloor } from "./modules/outages.js";
import { exposeForTests } from "./modules/debug.js";

/** The legend's min/max and the status are refreshed this often. */
const SLOW_REFRESH_MS = 250;
/** An empty page looks for the server's other streams this often. */
const INDEX_MS = 5000;

function main() {
  if (typeof WebSocket !== "function") {
    return showError("This browser does not support Web Sockets");
  }
  const demo = document.querySelector('meta[name="liveplot-source"]')?.content !== "live";
  document.body.classList.add(demo ? "demo" : "live");
  const endpoints = endpointsFor(location.pathname, location.search);
  const initial = readViewState(location.search);
  const ui = findUi();
  if (demo) showAsPicture(ui.charts);
  ui.csvAll.href = endpoints.csv;
  /** @type {HTMLAnchorElement} */ (document.getElementById("all-streams")).href = `/s/${
    tokenQuery(location.search)
  }`;
  const store = new Store();
  const state = createState(demo, initial);
  let [dirty, slowAt, drawnVersion, indexAt] = [false, 0, -1, -Infinity];

  const schedule = () => {
    if (!dirty) requestAnimationFrame(draw);
    dirty = true;
  };
  const shown = () => shownRange(state, store);
  const extent = () => sessionExtent(state, store);
  /** @param {import("./modules/view.js").View} view */
  const setView = (view) => {
    if (view === state.view) return;
    state.view = view;
    refresh();
    schedule();
    if (!view.following) scrollback.want();
  };
  const stack = new Stack(ui.charts, demo, {
    onRange: (from, to) => setView(showRange(state.view, from, to, extent())),
    onZoom: (factor, anchor) =>
      setView(zoom(state.view, shown(), factor, anchor, extent(), state.xKind)),
    onCursor(row) {
      state.cursorRow = row;
      const x = row === null ? undefined : store.xs[row];
      ui.hover.textContent = x === undefined ? "" : formatX(x, state.xKind);
      showLegend(parts, false);
    },
    onLive: () => setView(goLive(state.view)),
    shown,
  });
  const scrollback = new Scrollback(endpoints.range, state, store, {
    shown,
    plotWidth: () => stack.plotWidth(),
    changed: schedule,
  });
  const connection = createClient(endpoints.socket, state, store, {
    changed: schedule,
    status: () => refresh(),
    gap: (name, from, to) => scrollback.fillGap(name, from, to),
    reset: () => (resetData(state, store), stack.invalidate()),
    trim: () => trimStore(state, store),
    serverWindow: (text) => (ui.window.placeholder = text),
    serverYRange: (text) => (ui.yRange.placeholder = text),
    title: (title) => showTitle(ui, title),
  });
  const toggle = (/** @type {Set<string>} */ set, /** @type {string} */ name) => {
    if (!set.delete(name)) set.add(name);
    saveUrl(state);
    refresh(true);
    schedule();
  };
  const legend = new Legend(ui.legend, {
    onToggle: (name) => toggle(state.hidden, name),
    onAxis: (name) => toggle(state.y2, name),
  });
  const parts = { state, store, ui, stack, legend, connection };
  /** Shows the status; from a draw, the legend too (`fresh`: new min and max). */
  const refresh = (legend = false, fresh = true) => {
    if (legend) showLegend(parts, fresh);
    showStatus(parts);
  };

  function draw() {
    dirty = false;
    const started = performance.now();
    if (!state.view.paused) store.update(outageFloor(state.xKind));
    const newData = !state.view.paused && store.version !== drawnVersion;
    stack.draw(state, store, shown(), newData);
    if (newData) drawnVersion = store.version;
    scrollback.check();
    if (started - slowAt > SLOW_REFRESH_MS) {
      slowAt = started;
      refresh(true);
    }
    // uPlot commits in a microtask: time it from there.
    queueMicrotask(() => state.frameTimes.push(performance.now() - started));
    if (state.frameTimes.length > 5000) state.frameTimes.splice(0, 2500);
  }

  /** An empty page lists the server's other streams (a viewer-only process's `/`). */
  async function lookForStreams() {
    indexAt = performance.now();
    const streams = await fetchStreams(location.search).catch(() => []);
    const others = otherStreams(streams, endpoints.socket);
    state.otherStreams = others.length;
    listStreams(ui.streams, others, location.search);
    refresh();
  }

  const actions = pageActions({ ...parts, setView, changed: () => (refresh(), schedule()) });
  bindControls(ui, actions, { demo, ...initial });
  new ResizeObserver(() => (stack.resize(), schedule())).observe(ui.charts);
  globalThis.matchMedia?.("(prefers-color-scheme: dark)").addEventListener("change", () => {
    stack.invalidate();
    legend.recolor();
    schedule();
  });
  setInterval(() => {
    refresh();
    if (demo) return;
    schedule();
    const empty = store.points === 0 && connection.state === "connected" && !state.join.joining;
    if (empty && performance.now() - indexAt > INDEX_MS) lookForStreams();
  }, 1000);
  exposeForTests(state, store, stack, connection);
  refresh();
  schedule();
  if (!demo) connection.open();
}

/**
 * The demo's chart takes no keys or gestures: a picture, out of the tab order.
 * @param {HTMLElement} charts
 */
function showAsPicture(charts) {
  charts.setAttribute("role", "img");
  for (const name of ["tabindex", "aria-describedby", "aria-keyshortcuts"]) {
    charts.removeAttribute(name);
  }
}

main();
