/**
 * liveplot's page: connects to the stream of its own path (wire protocol v2,
 * README "Protocol"), keeps a bounded store of each series' points, and
 * draws them with uPlot: one combined chart or one per group of similar
 * range, zoomable and pannable while live, with scrollback from the
 * server's history, a legend that hides series, exports and URL state.
 *
 * @module
 */

import { Connection } from "./modules/socket.js";
import { Store } from "./modules/store.js";
import { columnStats, createChart, groupByMagnitude, rangesDiffer } from "./modules/chart.js";
import { isDark, seriesColor } from "./modules/colors.js";
import { Legend } from "./modules/legend.js";
import { chartsPng, download, stamp, tableCsv } from "./modules/export.js";
import { fetchRange, NoHistory } from "./modules/history.js";
import { formatClock, formatRate, formatX, plural } from "./modules/format.js";
import {
  endpointsFor,
  parseWindow,
  parseYRange,
  readViewState,
  windowText,
  writeViewState,
} from "./modules/url_state.js";

const NO_WEBSOCKET = "ERROR: This browser does not support Web Sockets";
/** Points per second are counted over this many seconds of live frames. */
const RATE_WINDOW_MS = 30_000;
/** The legend's min/max and the status are refreshed this often. */
const SLOW_REFRESH_MS = 250;
/** A series never holds more than this many points on the page. */
const HARD_CAP = 2_000_000;
/** Past this many table rows the charts draw one-pixel lines. */
const DENSE_ROWS = 4000;

/** @typedef {import("./modules/url_state.js").WindowSpec} WindowSpec */
/** @typedef {import("./modules/store.js").Series} Series */

function main() {
  if (typeof WebSocket !== "function") {
    const heading = document.createElement("h2");
    heading.className = "error";
    heading.textContent = NO_WEBSOCKET;
    document.body.replaceChildren(heading);
    return;
  }

  const demo = document.querySelector('meta[name="liveplot-source"]')?.getAttribute("content") !==
    "live";
  document.body.classList.add(demo ? "demo" : "live");
  const endpoints = endpointsFor(location.pathname, location.search);
  const initial = readViewState(location.search);

  /** @param {string} id */
  const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const ui = {
    title: element("title"),
    charts: element("placeholder"),
    hint: element("hint"),
    hover: element("hover"),
    status: element("status"),
    start: /** @type {HTMLButtonElement} */ (element("start")),
    pause: /** @type {HTMLButtonElement} */ (element("pause")),
    live: /** @type {HTMLButtonElement} */ (element("live")),
    split: /** @type {HTMLButtonElement} */ (element("split")),
    csv: /** @type {HTMLButtonElement} */ (element("csv")),
    csvAll: /** @type {HTMLAnchorElement} */ (element("csv-all")),
    png: /** @type {HTMLButtonElement} */ (element("png")),
    window: /** @type {HTMLInputElement} */ (element("window")),
    yRange: /** @type {HTMLInputElement} */ (element("y-range")),
  };
  ui.csvAll.href = endpoints.csv;

  const store = new Store();
  const state = {
    /** @type {Map<string, string>} series id → name, from meta */
    names: new Map(),
    xKind: demo ? "number" : "time",
    /** @type {WindowSpec} */
    serverWindow: { points: 200 },
    /** @type {WindowSpec | null} */
    pageWindow: parseWindow(initial.window),
    /** @type {[number | null, number | null] | null} */
    serverYRange: null,
    /** @type {[number | null, number | null] | null} */
    userYRange: parseYRange(initial.y),
    /** @type {boolean | null} the user's choice; null lets the page decide */
    split: initial.split,
    autoSplit: false,
    hidden: new Set(initial.hidden),
    y2: new Set(initial.y2),
    following: true,
    /** The fixed view while zoomed or paused. */
    view: { from: 0, to: 1 },
    paused: false,
    /** Following was on when Pause was pressed. */
    resumeFollowing: false,
    /** @type {any} last status frame */
    source: null,
    historyStart: /** @type {number | null} */ (null),
    /** Points taken from the stream (the window on first join, live points, gap fills). */
    received: 0,
    /** @type {[number, number][]} (time, count) of live batches, for the rate */
    liveBatches: [],
    liveSince: 0,
    /** Between a socket's open and its first status: the join window is arriving. */
    joining: false,
    /** @type {Map<string, { xs: number[], ys: number[] }>} the join window, by name */
    replay: new Map(),
    everJoined: false,
    /** @type {Map<string, number> | null} last x per series when the server reduced the stream */
    reducedFrom: null,
    /** Store holds every point from this x on (for every series). */
    full: -Infinity,
    /** @type {{ from: number, to: number, perPixel: number, reduced: boolean } | null} */
    loaded: null,
    rangeAvailable: !demo,
    /** @type {AbortController | null} */
    rangeRequest: null,
    /** @type {{ u: any, names: string[] }[]} */
    charts: [],
    chartKey: "",
    /** @type {string[][]} */
    groups: [],
    groupedAt: 0,
    groupedCount: -1,
    groupedEmpty: true,
    /** @type {Map<string, { min: number, max: number }>} min and max over the view */
    viewStats: new Map(),
    drawnVersion: -1,
    dirty: false,
    slowAt: 0,
    /** @type {number | null} hovered table row */
    cursorRow: null,
    /** @type {number[]} ms spent drawing each frame (for the page benchmark) */
    frameTimes: [],
  };

  const legend = new Legend(element("legend"), {
    onToggle(name) {
      if (state.hidden.has(name)) state.hidden.delete(name);
      else state.hidden.add(name);
      saveUrl();
      refreshLegend();
      schedule();
    },
    onAxis(name) {
      if (state.y2.has(name)) state.y2.delete(name);
      else state.y2.add(name);
      saveUrl();
      refreshLegend();
      schedule();
    },
  });

  // --- window, view and bounds ----------------------------------------------------------

  /** @returns {WindowSpec} */
  function windowSpec() {
    return state.pageWindow ?? state.serverWindow;
  }

  /** @returns {Series[]} */
  function visibleSeries() {
    return store.list().filter((series) => !state.hidden.has(series.name) && series.length > 0);
  }

  /**
   * The moving edge's view: the last window of the shown series.
   * @returns {{ from: number, to: number } | null}
   */
  function liveView() {
    const shown = visibleSeries();
    const list = shown.length > 0 ? shown : store.list().filter((s) => s.length > 0);
    if (list.length === 0) return null;
    let to = -Infinity;
    for (const series of list) to = Math.max(to, /** @type {number} */ (series.lastX));
    const spec = windowSpec();
    let from;
    if ("seconds" in spec) {
      from = to - spec.seconds;
    } else {
      from = Infinity;
      for (const series of list) {
        const first = series.xs[Math.max(0, series.length - spec.points)];
        from = Math.min(from, /** @type {number} */ (first));
        if (series.length < spec.points && state.rangeAvailable && series.length > 1) {
          // Not enough points held: reach back by the series' own spacing.
          const step = (to - /** @type {number} */ (series.xs[0])) / (series.length - 1);
          from = Math.min(from, to - step * (spec.points - 1));
        }
      }
      if (state.historyStart !== null && state.historyStart !== undefined) {
        from = Math.max(from, Math.min(state.historyStart, to));
      }
    }
    if (!(to > from)) {
      // One point, or all at one x: a view around it.
      const pad = state.xKind === "time" ? 1 : Math.abs(to) * 0.01 || 1;
      return { from: to - pad, to: to + pad };
    }
    return { from, to };
  }

  /** @returns {{ from: number, to: number } | null} */
  function currentView() {
    return state.following ? liveView() : state.view;
  }

  /** Bounds each series: the window (or what the view needs), and a hard cap. */
  function trimAll() {
    const spec = windowSpec();
    const serverPoints = "points" in state.serverWindow ? state.serverWindow.points : 200;
    const view = state.following ? null : state.view;
    for (const series of store.series.values()) {
      const before = series.length;
      if (!state.following || state.paused) {
        // Keep what the fixed view shows; drop only what lies before it.
        if (view) store.trimBefore(series, view.from, serverPoints);
      } else if ("seconds" in spec) {
        store.trimBefore(series, /** @type {number} */ (series.lastX) - spec.seconds, serverPoints);
      } else {
        store.trim(series, Math.max(spec.points, serverPoints));
      }
      store.trim(series, HARD_CAP);
      if (series.length < before) {
        state.full = Math.max(state.full, /** @type {number} */ (series.xs[0]));
        if (state.loaded && state.loaded.from < state.full) state.loaded = null;
      }
    }
  }

  // --- the stream ---------------------------------------------------------------------

  const connection = new Connection(endpoints.socket, {
    onOpen() {
      state.joining = !demo;
      state.replay = new Map();
      state.liveBatches = [];
      state.liveSince = performance.now();
      state.reducedFrom = null;
      ui.pause.disabled = false;
      clearTimeout(joinTimer);
      if (!demo) joinTimer = setTimeout(finishJoin, 3000);
      refreshStatus();
      schedule();
    },
    onControl(message) {
      if (message.type === "meta") onMeta(message);
      else if (message.type === "status") {
        state.source = message;
        if ("historyStart" in message) state.historyStart = message.historyStart;
        if (state.joining) finishJoin();
        refreshStatus();
      } else if (message.type === "viewer") onViewer(message);
      schedule();
    },
    onPoints(points) {
      const { ids, xs, ys } = points;
      if (state.joining) {
        for (let i = 0; i < ids.length; i++) {
          const name = nameOf(/** @type {string} */ (ids[i]));
          let entry = state.replay.get(name);
          if (!entry) state.replay.set(name, entry = { xs: [], ys: [] });
          entry.xs.push(/** @type {number} */ (xs[i]));
          entry.ys.push(/** @type {number} */ (ys[i]));
        }
        return;
      }
      for (let i = 0; i < ids.length; i++) {
        store.add(
          store.get(nameOf(/** @type {string} */ (ids[i]))),
          /** @type {number} */ (xs[i]),
          /** @type {number} */ (ys[i]),
        );
      }
      state.received += ids.length;
      if (!demo) state.liveBatches.push([performance.now(), ids.length]);
      trimAll();
      schedule();
    },
    onClose(event) {
      state.joining = false;
      clearTimeout(joinTimer);
      if (demo && event.code === 1000) ui.pause.disabled = true;
      refreshStatus();
      schedule();
    },
  }, { reconnect: !demo });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let joinTimer;

  /** @param {string} id */
  function nameOf(id) {
    return state.names.get(id) ?? id;
  }

  /** @param {any} meta */
  function onMeta(meta) {
    if (typeof meta.x === "string" && meta.x !== state.xKind) {
      if (store.points > 0) resetData();
      state.xKind = meta.x;
      state.chartKey = "";
    }
    if (meta.windowSeconds) state.serverWindow = { seconds: meta.windowSeconds };
    else if (meta.window) state.serverWindow = { points: meta.window };
    if (Array.isArray(meta.yRange) && meta.yRange.length === 2) {
      state.serverYRange = [meta.yRange[0] ?? null, meta.yRange[1] ?? null];
    }
    if ("historyStart" in meta) state.historyStart = meta.historyStart;
    // Every stream is served the same page: the stream's meta message names it.
    if (typeof meta.title === "string" && meta.title !== "") {
      ui.title.textContent = `liveplot: ${meta.title}`;
      document.title = ui.title.textContent;
    }
    state.names = new Map();
    for (const entry of meta.series ?? []) {
      const name = String(entry.name ?? entry.id);
      state.names.set(String(entry.id), name);
      store.get(name);
    }
    ui.window.placeholder = windowText(state.serverWindow);
  }

  /** @param {{ reduced: boolean }} message */
  function onViewer(message) {
    if (message.reduced) {
      state.reducedFrom = new Map(store.list().map((s) => [s.name, s.lastX ?? -Infinity]));
    } else if (state.reducedFrom) {
      const marks = state.reducedFrom;
      state.reducedFrom = null;
      for (const [name, from] of marks) {
        const series = store.series.get(name);
        if (series?.lastX !== undefined && series.lastX > from) {
          fillGap(name, from, series.lastX);
        }
      }
    }
  }

  /** The join window is complete: merge it with what the page holds. */
  function finishJoin() {
    clearTimeout(joinTimer);
    if (!state.joining) return;
    state.joining = false;
    const first = !state.everJoined;
    state.everJoined = true;
    let full = -Infinity;
    for (const [name, replay] of state.replay) {
      const series = store.get(name);
      if (replay.xs.length > 0) full = Math.max(full, /** @type {number} */ (replay.xs[0]));
      const last = series.lastX;
      if (first || last === undefined) {
        for (let i = 0; i < replay.xs.length; i++) {
          store.add(
            series,
            /** @type {number} */ (replay.xs[i]),
            /** @type {number} */ (replay.ys[i]),
          );
        }
        state.received += replay.xs.length;
        continue;
      }
      // Does the window overlap what we hold, and agree with it?
      let overlap = -1;
      for (let i = replay.xs.length - 1; i >= 0; i--) {
        if (/** @type {number} */ (replay.xs[i]) <= last) {
          overlap = i;
          break;
        }
      }
      if (overlap >= 0) {
        const x = /** @type {number} */ (replay.xs[overlap]);
        const y = replay.ys[overlap];
        let agrees = false;
        for (let j = series.search(x); j < series.length && series.xs[j] === x; j++) {
          if (series.ys[j] === y) agrees = true;
        }
        if (!agrees) {
          // Another session (the server restarted): take its window instead.
          store.replace(series, -Infinity, Infinity, replay.xs, replay.ys);
          state.received += replay.xs.length;
          continue;
        }
      }
      let added = 0;
      for (let i = overlap + 1; i < replay.xs.length; i++) {
        store.add(
          series,
          /** @type {number} */ (replay.xs[i]),
          /** @type {number} */ (replay.ys[i]),
        );
        added++;
      }
      state.received += added;
      if (overlap < 0 && replay.xs.length > 0) {
        // Points missed while away: ask history for them.
        fillGap(name, last, /** @type {number} */ (replay.xs[0]));
      }
    }
    if (first) state.full = full;
    state.replay = new Map();
    state.liveSince = performance.now();
    trimAll();
    schedule();
  }

  /**
   * Fetches the points of series `name` with from < x < to and puts them in.
   * @param {string} name
   * @param {number} from
   * @param {number} to
   */
  async function fillGap(name, from, to) {
    if (!state.rangeAvailable) return;
    const id = [...state.names].find(([, n]) => n === name)?.[0];
    try {
      const answer = await fetchRange(endpoints.range, {
        from,
        to,
        width: Math.max(2000, ui.charts.clientWidth * 4),
        series: id === undefined ? undefined : [id],
      });
      noteHistoryStart(answer.historyStart);
      const part = answer.series.find((s) => String(s.name ?? s.id) === name);
      if (!part) return;
      const series = store.get(name);
      const before = series.length;
      store.replace(series, from, to, part.x, part.y);
      state.received += Math.max(0, series.length - before);
      schedule();
    } catch (error) {
      if (error instanceof NoHistory) state.rangeAvailable = false;
    }
  }

  /** @param {number | null | undefined} start */
  function noteHistoryStart(start) {
    if (start !== undefined) state.historyStart = start;
  }

  // --- scrollback -----------------------------------------------------------------------

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let historyTimer;
  function wantHistory() {
    if (historyTimer !== undefined) return;
    historyTimer = setTimeout(() => {
      historyTimer = undefined;
      loadHistory();
    }, 150);
  }

  /** Loads history for the part of the view the store does not hold in full. */
  async function loadHistory() {
    if (!state.rangeAvailable || !state.everJoined) return;
    const view = currentView();
    if (!view) return;
    const start = state.historyStart ?? -Infinity;
    const from = Math.max(view.from, start);
    const to = Math.min(view.to, state.full);
    if (!(to > from)) return;
    const width = Math.max(50, plotWidth() * (to - from) / (view.to - view.from));
    const perPixel = (to - from) / width;
    const loaded = state.loaded;
    if (
      loaded && loaded.from <= from && loaded.to >= to &&
      (!loaded.reduced || loaded.perPixel <= perPixel * 2)
    ) return;
    state.rangeRequest?.abort();
    const request = new AbortController();
    state.rangeRequest = request;
    const fullAtRequest = state.full;
    try {
      const answer = await fetchRange(endpoints.range, { from, to, width }, request.signal);
      if (request !== state.rangeRequest) return;
      if (state.full !== fullAtRequest) {
        // The store dropped points before `state.full` meanwhile: this answer, up to the old
        // mark, would leave a hole up to the new one. Ask again for what is missing now.
        wantHistory();
        return;
      }
      noteHistoryStart(answer.historyStart);
      let reduced = false;
      for (const part of answer.series) {
        const series = store.get(String(part.name ?? part.id));
        store.replace(series, from, to, part.x, part.y, { lowInclusive: true });
        reduced ||= Boolean(part.reduced);
      }
      state.loaded = { from, to, perPixel, reduced };
      schedule();
    } catch (error) {
      if (error instanceof NoHistory) state.rangeAvailable = false;
    } finally {
      if (request === state.rangeRequest) state.rangeRequest = null;
    }
  }

  // --- charts ---------------------------------------------------------------------------

  function plotWidth() {
    const u = state.charts[0]?.u;
    return u ? u.bbox.width / (globalThis.devicePixelRatio || 1) : ui.charts.clientWidth || 600;
  }

  function splitOn() {
    return !demo && (state.split ?? state.autoSplit);
  }

  /** Magnitude of each series over everything held. */
  function magnitudes() {
    if (!state.paused) store.update();
    return store.list().map((series, k) => ({
      item: series.name,
      magnitude: columnStats(store.columns[k] ?? [], 0, store.xs.length).magnitude,
    }));
  }

  /** Re-decides auto split and the groups (on new series, and every 2 s). */
  function regroup(force = false) {
    const now = performance.now();
    if (!force && now - state.groupedAt < 2000) return;
    state.groupedAt = now;
    state.groupedCount = store.series.size;
    state.groupedEmpty = store.points === 0;
    const sizes = magnitudes();
    state.autoSplit = rangesDiffer(sizes.map((s) => s.magnitude));
    state.groups = groupByMagnitude(sizes.filter((s) => !state.hidden.has(s.item)));
  }

  /** The charts' layout: which series each chart shows. */
  function layout() {
    const list = store.list();
    if (!splitOn()) return [list.map((s) => s.name)];
    const groups = state.groups.map((group) =>
      group.filter((name) => !state.hidden.has(name) && store.series.has(name))
    ).filter((group) => group.length > 0);
    const grouped = new Set(groups.flat());
    const rest = list.map((s) => s.name).filter((n) => !grouped.has(n) && !state.hidden.has(n));
    if (rest.length > 0) groups.push(rest);
    return groups.length > 0 ? groups : [[]];
  }

  /** Many rows in the table: thin lines draw much faster. */
  function dense() {
    return store.xs.length > DENSE_ROWS;
  }

  function yRange() {
    return state.userYRange ?? state.serverYRange;
  }

  /** Builds the charts when what they show changed. */
  function ensureCharts() {
    const groups = layout();
    const key = JSON.stringify([
      groups,
      [...state.hidden],
      [...state.y2],
      state.xKind,
      isDark(),
      yRange(),
      splitOn(),
      dense(),
    ]);
    if (key === state.chartKey && state.charts.length > 0) return false;
    state.chartKey = key;
    for (const chart of state.charts) chart.u.destroy();
    state.charts = [];
    ui.charts.replaceChildren();
    if (!state.paused) store.update();
    const order = new Map(store.list().map((s) => [s.name, s.order]));
    const split = splitOn();
    const sizes = chartSizes(groups.length);
    groups.forEach((names, index) => {
      const spec = {
        title: split ? names.join(", ") : "",
        series: names.map((name) => ({
          name,
          order: order.get(name) ?? 0,
          show: split || !state.hidden.has(name),
          y2: !split && state.y2.has(name),
        })),
      };
      const u = createChart(ui.charts, spec, {
        xKind: state.xKind,
        demo,
        width: sizes.width,
        height: sizes.height + (index === groups.length - 1 ? sizes.lastExtra : 0),
        yRange: yRange(),
        onSelect,
        onCursor,
        onDoubleClick: goLive,
        xLabels: index === groups.length - 1,
        fill: store.series.size === 1,
        dense: dense(),
      }, tableFor(names));
      state.charts.push({ u, names });
      attachGestures(u);
      if (index === 0 && split) u.root.classList.add("first");
    });
    state.drawnVersion = -1;
    return true;
  }

  /** @param {number} count */
  function chartSizes(count) {
    if (demo) {
      return {
        width: Math.max(320, Math.min(900, ui.charts.clientWidth || 600)),
        height: 300,
        lastExtra: 0,
      };
    }
    const width = Math.max(240, ui.charts.clientWidth);
    const total = Math.max(160, ui.charts.clientHeight);
    const titles = splitOn() ? 21 : 0;
    // The last chart carries the x labels (about 30 px more).
    const height = Math.max(
      count > 1 ? 60 : 160,
      Math.floor((total - (count > 1 ? 30 : 0)) / count) - titles - (count > 1 ? 1 : 0),
    );
    return { width, height, lastExtra: count > 1 ? 30 : 0 };
  }

  function resize() {
    const sizes = chartSizes(state.charts.length);
    state.charts.forEach(({ u }, index) => {
      const last = index === state.charts.length - 1;
      u.setSize({ width: sizes.width, height: sizes.height + (last ? sizes.lastExtra : 0) });
    });
  }

  /** @param {string[]} names */
  function tableFor(names) {
    const index = new Map(store.list().map((s, k) => [s.name, k]));
    return [store.xs, ...names.map((name) => store.columns[index.get(name) ?? -1] ?? [])];
  }

  /** Draws the latest data and view; runs once per animation frame when something changed. */
  function draw() {
    state.dirty = false;
    const started = performance.now();
    if (!state.paused) store.update();
    if (!demo) {
      regroup(store.series.size !== state.groupedCount || (state.groupedEmpty && store.points > 0));
    }
    const rebuilt = ensureCharts();
    const view = currentView();
    const newData = !state.paused && store.version !== state.drawnVersion;
    for (const { u, names } of state.charts) {
      u.batch(() => {
        if (newData || rebuilt) u.setData(tableFor(names), false);
        if (view && (u.scales.x.min !== view.from || u.scales.x.max !== view.to)) {
          u.setScale("x", { min: view.from, max: view.to });
        }
      });
    }
    if (newData || rebuilt) state.drawnVersion = store.version;
    if (view && !state.following) {
      const start = state.historyStart ?? -Infinity;
      if (view.from < state.full && view.to > start) wantHistory();
    } else if (view && view.from < state.full && state.historyStart !== null) {
      if (state.historyStart < state.full) wantHistory();
    }
    const now = performance.now();
    if (now - state.slowAt > SLOW_REFRESH_MS) {
      state.slowAt = now;
      refreshLegend();
      refreshStatus();
    }
    // uPlot commits in a microtask: time it from there.
    queueMicrotask(() => {
      state.frameTimes.push(performance.now() - started);
      if (state.frameTimes.length > 5000) state.frameTimes.splice(0, 2500);
    });
  }

  function schedule() {
    if (state.dirty) return;
    state.dirty = true;
    requestAnimationFrame(draw);
  }

  // --- legend, hover and status ----------------------------------------------------------

  function refreshLegend(stats = true) {
    const list = store.list();
    legend.sync(
      list.map((series) => ({
        name: series.name,
        order: series.order,
        hidden: state.hidden.has(series.name),
        y2: state.y2.has(series.name),
      })),
      !splitOn() && list.length > 1,
    );
    const view = currentView();
    const from = view ? store.rowAt(view.from) : 0;
    const to = view ? store.rowAt(view.to, true) : store.xs.length;
    const row = state.cursorRow;
    list.forEach((series, k) => {
      const column = store.columns[k] ?? [];
      const range = stats || !state.viewStats.has(series.name)
        ? columnStats(column, from, to)
        : /** @type {{ min: number, max: number }} */ (state.viewStats.get(series.name));
      state.viewStats.set(series.name, { min: range.min, max: range.max });
      const hovered = row !== null && column[row] !== undefined;
      legend.show(series.name, {
        value: hovered ? column[/** @type {number} */ (row)] : series.lastY,
        min: range.min,
        max: range.max,
        hovered,
      });
    });
  }

  /** @param {any} u */
  function onCursor(u) {
    const row = u.cursor.idx;
    state.cursorRow = row ?? null;
    const x = row === null || row === undefined ? null : store.xs[row];
    ui.hover.textContent = x === null || x === undefined ? "" : formatX(x, state.xKind);
    refreshLegend(false);
  }

  function rate() {
    const now = performance.now();
    const batches = state.liveBatches;
    while (
      batches.length > 0 && /** @type {[number, number]} */ (batches[0])[0] < now - RATE_WINDOW_MS
    ) {
      batches.shift();
    }
    const elapsed = Math.min(RATE_WINDOW_MS, now - state.liveSince);
    if (elapsed < 2000) return null;
    let count = 0;
    for (const [, n] of batches) count += n;
    return count / (elapsed / 1000);
  }

  function refreshStatus() {
    const parts = [];
    const source = state.source ?? {};
    if (connection.state === "reconnecting") {
      const seconds = Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000));
      const why = connection.lastCloseCode === 1013 ? "dropped for being slow, " : "";
      parts.push(
        connection.socket ? `${why}reconnecting` : `${why}reconnecting, next try in ${seconds}s`,
      );
    } else {
      parts.push(connection.state);
    }
    parts.push(plural(demo ? state.received : store.points, "point"));
    const perSecond = rate();
    if (connection.state === "connected" && perSecond !== null) {
      parts.push(`${formatRate(perSecond)} points/s`);
    }
    if (source.skipped > 0) {
      const last = source.recentSkipped?.at?.(-1);
      parts.push(
        `${plural(source.skipped, "line")} skipped` +
          (last ? ` (last: ${JSON.stringify(clip(last.line))}: ${last.reason})` : ""),
      );
    }
    if (source.truncated > 0) parts.push(`${plural(source.truncated, "line")} cut off`);
    if (source.refused > 0) parts.push(`${plural(source.refused, "point")} refused`);
    if (source.state === "ended") {
      parts.push(
        source.exitCode === null || source.exitCode === undefined
          ? "source ended"
          : `source ended, exit code ${source.exitCode}`,
      );
    }
    if (state.reducedFrom) parts.push("catching up: latest values only");
    const start = state.historyStart;
    if (start !== null && Number.isFinite(start) && !demo) {
      if (state.xKind === "time") parts.push(`history from ${formatClock(start)}`);
      else if (start > 0) parts.push(`history from x = ${start}`);
    }
    if (state.paused) parts.push("paused");
    else if (!state.following && !demo) parts.push("zoomed");
    const text = parts.join(" · ");
    if (ui.status.textContent !== text) ui.status.textContent = text;
    ui.status.dataset.state = source.state === "ended" ? "ended" : connection.state;
    refreshHint(source);
    ui.live.setAttribute("aria-pressed", String(state.following));
    ui.pause.setAttribute("aria-pressed", String(state.paused));
    ui.split.setAttribute("aria-pressed", String(splitOn()));
  }

  /** @param {string} line */
  function clip(line) {
    return line.length > 60 ? line.slice(0, 57) + "…" : line;
  }

  /** @param {any} source */
  function refreshHint(source) {
    let hint = "";
    if (!demo && store.points === 0 && connection.state === "connected" && !state.joining) {
      const example = source.recentSkipped?.at?.(-1);
      hint = example
        ? `Nothing plotted yet: ${plural(source.skipped, "line")} skipped, for example ${
          JSON.stringify(clip(example.line))
        } (${example.reason}).`
        : source.state === "ended"
        ? "Nothing plotted: the source ended without a line of numbers."
        : "Nothing plotted yet: waiting for the first line of numbers. A program writing to a pipe " +
          "may hold its output in a buffer: run it under stdbuf -oL (or PYTHONUNBUFFERED=1 for Python).";
    }
    if (ui.hint.textContent !== hint) ui.hint.textContent = hint;
    ui.hint.hidden = hint === "";
  }

  // --- view controls --------------------------------------------------------------------

  /**
   * Shows a fixed x range; the page stops following but keeps taking data.
   * @param {number} from
   * @param {number} to
   */
  function setView(from, to) {
    if (!(to > from) || !Number.isFinite(from) || !Number.isFinite(to)) return;
    state.following = false;
    state.resumeFollowing = false;
    state.view = { from, to };
    refreshStatus();
    schedule();
    wantHistory();
  }

  function goLive() {
    state.following = true;
    if (state.paused) {
      state.paused = false;
    }
    state.resumeFollowing = false;
    refreshStatus();
    schedule();
  }

  function togglePause() {
    if (demo && !connection.socket && store.points === 0) return;
    if (!state.paused) {
      const view = currentView();
      state.paused = true;
      state.resumeFollowing = state.following;
      if (state.following && view) {
        state.following = false;
        state.view = view;
      }
    } else {
      state.paused = false;
      if (state.resumeFollowing) state.following = true;
      state.resumeFollowing = false;
    }
    refreshStatus();
    schedule();
  }

  /** @param {number} factor >1 zooms out @param {number} [anchor] x kept in place */
  function zoom(factor, anchor) {
    const view = currentView();
    if (!view) return;
    const at = anchor ?? (view.from + view.to) / 2;
    setView(at - (at - view.from) * factor, at + (view.to - at) * factor);
  }

  /** @param {number} fraction of the view's width; negative pans left */
  function pan(fraction) {
    const view = currentView();
    if (!view) return;
    const shift = (view.to - view.from) * fraction;
    setView(view.from + shift, view.to + shift);
  }

  /** @param {any} u */
  function onSelect(u) {
    const { left, width } = u.select;
    if (width < 3 || panning) return;
    const from = u.posToVal(left, "x");
    const to = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    setView(from, to);
  }

  let panning = false;

  /** Wheel and pinch zoom, shift-drag pan on one chart. @param {any} u */
  function attachGestures(u) {
    if (demo) return;
    const over = /** @type {HTMLElement} */ (u.over);
    over.addEventListener("wheel", (event) => {
      event.preventDefault();
      const anchor = u.posToVal(event.offsetX, "x");
      zoom(Math.exp(Math.max(-1, Math.min(1, event.deltaY * 0.0015))), anchor);
    }, { passive: false });
    /** @type {Map<number, number>} pointer id → clientX */
    const touches = new Map();
    let pinchStart = 0;
    /** @type {{ from: number, to: number } | null} */
    let pinchView = null;
    let panStart = 0;
    /** @type {{ from: number, to: number } | null} */
    let panView = null;
    over.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "touch") {
        touches.set(event.pointerId, event.clientX);
        if (touches.size === 2) {
          const [a, b] = [...touches.values()];
          pinchStart = Math.abs(/** @type {number} */ (a) - /** @type {number} */ (b));
          pinchView = currentView();
        }
        return;
      }
      if (event.shiftKey || event.button === 1) {
        event.stopImmediatePropagation();
        event.preventDefault();
        panning = true;
        panStart = event.clientX;
        panView = currentView();
        over.setPointerCapture(event.pointerId);
      }
    }, { capture: true });
    over.addEventListener("mousedown", (event) => {
      if (event.shiftKey || event.button === 1) event.stopImmediatePropagation();
    }, { capture: true });
    over.addEventListener("pointermove", (event) => {
      if (event.pointerType === "touch" && touches.has(event.pointerId)) {
        touches.set(event.pointerId, event.clientX);
        if (touches.size === 2 && pinchView && pinchStart > 10) {
          const [a, b] = [...touches.values()];
          const distance = Math.abs(/** @type {number} */ (a) - /** @type {number} */ (b));
          const rect = over.getBoundingClientRect();
          const middle = (/** @type {number} */ (a) + /** @type {number} */ (b)) / 2 - rect.left;
          const anchor = u.posToVal(middle, "x");
          const factor = pinchStart / Math.max(10, distance);
          setView(
            anchor - (anchor - pinchView.from) * factor,
            anchor + (pinchView.to - anchor) * factor,
          );
        }
        return;
      }
      if (!panning || !panView) return;
      const perPixel = (panView.to - panView.from) /
        (u.bbox.width / (globalThis.devicePixelRatio || 1));
      const shift = -(event.clientX - panStart) * perPixel;
      setView(panView.from + shift, panView.to + shift);
    });
    const end = (/** @type {PointerEvent} */ event) => {
      touches.delete(event.pointerId);
      if (touches.size < 2) pinchView = null;
      if (panning) {
        panning = false;
        panView = null;
      }
    };
    over.addEventListener("pointerup", end);
    over.addEventListener("pointercancel", end);
  }

  // --- exports --------------------------------------------------------------------------

  /** The table rows and shown series in view. */
  function viewTable() {
    if (!state.paused) store.update();
    const view = currentView();
    const list = store.list();
    const shown = list.map((s, k) => ({ s, k })).filter(({ s }) => !state.hidden.has(s.name));
    return {
      xs: store.xs,
      columns: shown.map(({ k }) => store.columns[k] ?? []),
      names: shown.map(({ s }) => s.name),
      kind: state.xKind,
      from: view ? store.rowAt(view.from) : 0,
      to: view ? store.rowAt(view.to, true) : store.xs.length,
    };
  }

  function exportCsv() {
    const csv = tableCsv(viewTable());
    download(new Blob([csv], { type: "text/csv" }), `liveplot-${stamp()}.csv`);
  }

  async function exportPng() {
    const blob = await chartsPng({
      title: ui.title.textContent ?? "liveplot",
      charts: state.charts.map((c) => c.u),
      legend: store.list().filter((s) => !state.hidden.has(s.name)).map((s) => ({
        name: s.name,
        order: s.order,
        value: s.lastY,
      })),
    });
    download(blob, `liveplot-${stamp()}.png`);
  }

  // --- URL state ------------------------------------------------------------------------

  function saveUrl() {
    writeViewState({
      window: state.pageWindow ? windowText(state.pageWindow) : null,
      split: state.split,
      hidden: [...state.hidden],
      y: state.userYRange ? state.userYRange.map((v) => v ?? "").join(":") : null,
      y2: [...state.y2],
    });
  }

  function resetData() {
    store.clear();
    state.received = 0;
    state.full = -Infinity;
    state.loaded = null;
    state.everJoined = false;
    state.chartKey = "";
  }

  // --- wiring ---------------------------------------------------------------------------

  ui.start.addEventListener("click", () => {
    connection.close();
    resetData();
    state.paused = false;
    state.following = true;
    connection.open();
    schedule();
  });
  ui.pause.addEventListener("click", togglePause);
  ui.live.addEventListener("click", goLive);
  ui.split.addEventListener("click", () => {
    state.split = !splitOn();
    saveUrl();
    schedule();
    refreshStatus();
  });
  element("pan-left").addEventListener("click", () => pan(-0.25));
  element("pan-right").addEventListener("click", () => pan(0.25));
  element("zoom-in").addEventListener("click", () => zoom(0.5));
  element("zoom-out").addEventListener("click", () => zoom(2));
  ui.csv.addEventListener("click", exportCsv);
  ui.png.addEventListener("click", exportPng);

  ui.window.value = initial.window ?? "";
  ui.window.addEventListener("change", () => {
    const text = ui.window.value.trim();
    const spec = text === "" ? null : parseWindow(text);
    ui.window.setAttribute("aria-invalid", String(text !== "" && spec === null));
    if (text !== "" && spec === null) return;
    state.pageWindow = spec;
    saveUrl();
    goLive();
  });
  ui.yRange.value = initial.y ?? "";
  ui.yRange.addEventListener("change", () => {
    const text = ui.yRange.value.trim();
    const range = parseYRange(text);
    ui.yRange.setAttribute(
      "aria-invalid",
      String(text !== "" && text !== "auto" && range === null),
    );
    if (text !== "" && text !== "auto" && range === null) return;
    state.userYRange = range;
    saveUrl();
    schedule();
  });

  document.addEventListener("keydown", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (demo || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest?.("input, textarea, select")) return;
    const onButton = Boolean(target.closest?.("button, a"));
    if (event.key === " " && !onButton) {
      event.preventDefault();
      togglePause();
    } else if (target === ui.charts || target === document.body) {
      const actions = /** @type {Record<string, () => void>} */ ({
        ArrowLeft: () => pan(-0.1),
        ArrowRight: () => pan(0.1),
        "+": () => zoom(0.5),
        "=": () => zoom(0.5),
        "-": () => zoom(2),
        End: goLive,
        l: goLive,
      });
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    }
  });

  new ResizeObserver(() => {
    resize();
    schedule();
  }).observe(ui.charts);
  globalThis.matchMedia?.("(prefers-color-scheme: dark)").addEventListener("change", () => {
    state.chartKey = "";
    legend.recolor();
    schedule();
  });
  setInterval(() => {
    refreshStatus();
    if (!demo) schedule();
  }, 1000);

  // For tests and the curious: the charts and what they hold.
  globalThis.liveplot = {
    get chart() {
      return state.charts[0]?.u ?? null;
    },
    get charts() {
      return state.charts.map((c) => c.u);
    },
    get groups() {
      return state.charts.map((c) => c.names);
    },
    get received() {
      return state.received;
    },
    get connection() {
      return connection.state;
    },
    /** The subprotocol agreed: `liveplot-f64` when data comes as binary frames. */
    get protocol() {
      return connection.socket?.protocol ?? null;
    },
    get xKind() {
      return state.xKind;
    },
    get split() {
      return splitOn();
    },
    get view() {
      const view = currentView();
      return { ...view, following: state.following, paused: state.paused };
    },
    get historyStart() {
      return state.historyStart;
    },
    get series() {
      return store.list().map((series) => {
        const id = [...state.names].find(([, name]) => name === series.name)?.[0] ?? series.name;
        return {
          id,
          name: series.name,
          points: series.length,
          hidden: state.hidden.has(series.name),
          y2: state.y2.has(series.name),
          last: series.lastY,
          color: seriesColor(series.order),
        };
      });
    },
    /** Every held point of series `name`: [xs, ys]. @param {string} name */
    points(name) {
      const series = store.series.get(name);
      return series ? [series.xs.slice(), series.ys.slice()] : null;
    },
    /** The CSV the "CSV" button would download. */
    csv() {
      return tableCsv(viewTable());
    },
    get frameTimes() {
      return state.frameTimes;
    },
    /** Drops the connection as a network failure would; the page reconnects. */
    drop() {
      connection.socket?.close(4000, "dropped by a test");
    },
  };

  refreshStatus();
  schedule();
  if (!demo) connection.open();
}

main();
