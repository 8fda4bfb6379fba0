// liveplot's page: opens a WebSocket to /data on its own host and scheme,
// keeps the last `window` points of each series and draws them with uPlot.
// Wire format (README.md, "Protocol"): text frames of `series x y\n` lines;
// a frame that starts with `{` is JSON (meta or status) and has no newline,
// so a client written for the seed's format ignores it.
/* global uPlot */
"use strict";

(() => {
  const NO_WEBSOCKET = "ERROR: This browser does not support Web Sockets";
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
  const PALETTE = [
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
  ];

  if (typeof WebSocket !== "function") {
    const heading = document.createElement("h2");
    heading.className = "error";
    heading.textContent = NO_WEBSOCKET;
    document.body.replaceChildren(heading);
    return;
  }

  const live = document.querySelector('meta[name="liveplot-source"]')?.content === "live";
  const startButton = document.getElementById("start");
  const pauseButton = document.getElementById("pause");
  const statusLine = document.getElementById("status");
  const placeholder = document.getElementById("placeholder");

  const state = {
    socket: null,
    series: new Map(), // id -> { name, xs, ys }
    window: 200,
    xAxis: live ? "time" : "number",
    received: 0,
    connection: "not connected",
    source: null, // last status message
    paused: false,
    attempt: 0,
    chart: null,
    chartKey: "",
    dirty: false,
    rate: 0,
    rateCount: 0,
  };

  function seriesFor(id) {
    let series = state.series.get(id);
    if (!series) {
      series = { name: id, xs: [], ys: [] };
      state.series.set(id, series);
    }
    return series;
  }

  function handleLines(text) {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length - 1; i++) {
      const parts = lines[i].split(" ");
      const x = parseFloat(parts[1]);
      const y = parseFloat(parts[2]);
      if (parts.length !== 3 || Number.isNaN(x) || Number.isNaN(y)) continue;
      const series = seriesFor(parts[0]);
      series.xs.push(x);
      series.ys.push(y);
      if (series.xs.length > 2 * state.window) {
        series.xs.splice(0, series.xs.length - state.window);
        series.ys.splice(0, series.ys.length - state.window);
      }
      state.received++;
      state.rateCount++;
    }
  }

  function handleControl(message) {
    if (message.type === "meta") {
      state.window = message.window;
      state.xAxis = message.x;
      for (const { id, name } of message.series) seriesFor(id).name = name;
    } else if (message.type === "status") {
      state.source = message;
    }
  }

  function connect() {
    const url = new URL("/data", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    state.socket = socket;
    state.connection = state.attempt > 0 ? "reconnecting" : "connecting";
    render();

    socket.onopen = () => {
      // The server starts every connection with the whole window.
      state.series.clear();
      state.attempt = 0;
      state.connection = "connected";
      pauseButton.disabled = false;
      render();
    };
    socket.onmessage = (event) => {
      if (socket !== state.socket) return;
      if (event.data.startsWith("{")) handleControl(JSON.parse(event.data));
      else handleLines(event.data);
      render();
    };
    socket.onclose = (event) => {
      if (socket !== state.socket) return;
      state.socket = null;
      if (!live && event.code === 1000) {
        state.connection = "done";
      } else if (live) {
        const delay = BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)];
        state.attempt++;
        state.connection = "reconnecting";
        setTimeout(connect, delay);
      } else {
        state.connection = `closed (${event.code})`;
      }
      render();
    };
  }

  function start() {
    if (state.socket) {
      const old = state.socket;
      state.socket = null;
      old.close(1000);
    }
    state.series.clear();
    state.received = 0;
    state.attempt = 0;
    connect();
  }

  function plural(count, noun) {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
  }

  function statusText() {
    const parts = [state.connection, `${state.received} points`];
    if (state.connection === "connected") parts.push(`${state.rate} points/s`);
    const { skipped = 0, truncated = 0 } = state.source ?? {};
    if (skipped > 0) parts.push(`${plural(skipped, "line")} skipped`);
    if (truncated > 0) parts.push(`${plural(truncated, "line")} cut off`);
    if (state.source?.state === "ended") {
      parts.push(
        state.source.exitCode === null
          ? "source ended"
          : `source ended, exit code ${state.source.exitCode}`,
      );
    }
    if (state.paused) parts.push("paused");
    return parts.join(" · ");
  }

  function render() {
    statusLine.textContent = statusText();
    statusLine.dataset.state = state.source?.state === "ended" ? "ended" : state.connection;
    if (state.dirty) return;
    state.dirty = true;
    requestAnimationFrame(draw);
  }

  function chartOptions(series) {
    const single = series.length === 1;
    const width = Math.max(320, Math.min(900, placeholder.clientWidth || 600));
    return {
      width,
      height: 300,
      scales: {
        x: { time: state.xAxis === "time" },
        // The seed's y axis starts at 0; negative data extends it downwards.
        y: {
          range: (
            _u,
            min,
            max,
          ) => [Math.min(0, min ?? 0), Math.max(max ?? 1, 0) * 1.05 || 1],
        },
      },
      series: [
        { label: state.xAxis === "time" ? "time" : "x" },
        ...series.map((entry, index) => {
          const color = single ? "rgba(255, 0, 0, 0.8)" : PALETTE[index % PALETTE.length];
          return {
            label: entry.name,
            stroke: color,
            width: single ? 3 : 2,
            fill: single ? "rgba(255, 162, 0, 0.6)" : color + "22",
            spanGaps: true,
            points: { show: false },
          };
        }),
      ],
    };
  }

  function draw() {
    state.dirty = false;
    if (state.paused) return;
    const series = [...state.series.values()];
    const key = state.xAxis + "|" + series.map((entry) => entry.name).join("|");
    if (!state.chart || key !== state.chartKey) {
      state.chart?.destroy();
      state.chart = new uPlot(chartOptions(series), [[]], placeholder);
      state.chartKey = key;
    }
    if (series.length === 0) return;
    const tables = series.map((entry) => {
      const from = Math.max(0, entry.xs.length - state.window);
      return [entry.xs.slice(from), entry.ys.slice(from)];
    });
    state.chart.setData(tables.length === 1 ? tables[0] : uPlot.join(tables));
  }

  setInterval(() => {
    state.rate = state.rateCount;
    state.rateCount = 0;
    if (state.connection === "connected") render();
  }, 1000);

  startButton.addEventListener("click", start);
  pauseButton.addEventListener("click", () => {
    state.paused = !state.paused;
    pauseButton.textContent = state.paused ? "Resume" : "Pause";
    render();
  });

  // For tests and the curious: the chart and what it holds.
  globalThis.liveplot = {
    get chart() {
      return state.chart;
    },
    get received() {
      return state.received;
    },
    get connection() {
      return state.connection;
    },
    get series() {
      return [...state.series.entries()].map(([id, entry]) => ({
        id,
        name: entry.name,
        points: entry.xs.length,
      }));
    },
  };

  render();
  if (live) connect();
})();
