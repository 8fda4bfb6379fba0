/**
 * `globalThis.liveplot`: what the page holds and draws, read by the tests
 * (tests/browser.ts) and the page benchmark, and handy in a console.
 *
 * @module
 */

import { seriesColor } from "./colors.js";
import { tableCsv } from "./export.js";
import { shownRange, viewTable } from "./state.js";

/**
 * Publishes the page's state read-only (plus `drop()`, a simulated network failure).
 * @param {import("./state.js").PageState} state
 * @param {import("./store.js").Store} store
 * @param {import("./charts.js").Stack} stack
 * @param {import("./socket.js").Connection} connection
 */
export function exposeForTests(state, store, stack, connection) {
  globalThis.liveplot = {
    get chart() {
      return stack.charts[0]?.u ?? null;
    },
    get charts() {
      return stack.charts.map((c) => c.u);
    },
    get groups() {
      return stack.charts.map((c) => c.names);
    },
    get received() {
      return state.received;
    },
    get connection() {
      return connection.state;
    },
    /** Whether the page is still taking in the stream's window (join.js). */
    get joining() {
      return state.join.joining;
    },
    /** The subprotocol agreed: `liveplot-f64` when data comes as binary frames. */
    get protocol() {
      return connection.socket?.protocol ?? null;
    },
    get xKind() {
      return state.xKind;
    },
    get split() {
      return stack.split(state);
    },
    get view() {
      return {
        ...shownRange(state, store),
        following: state.view.following,
        paused: state.view.paused,
      };
    },
    get historyStart() {
      return state.historyStart;
    },
    get series() {
      return store.list().map((series) => ({
        id: [...state.names].find(([, name]) => name === series.name)?.[0] ?? series.name,
        name: series.name,
        points: series.length,
        hidden: state.hidden.has(series.name),
        y2: state.y2.has(series.name),
        last: series.lastY,
        color: seriesColor(series.order),
      }));
    },
    /** Every held point of series `name`: [xs, ys]. @param {string} name */
    points(name) {
      const series = store.series.get(name);
      return series ? [series.xs.slice(), series.ys.slice()] : null;
    },
    /** The outages of series `name` (outages.js spans: [from, to, …]). @param {string} name */
    outages(name) {
      return store.series.get(name)?.outages.spans.slice() ?? null;
    },
    /** Where the line of each series of chart `index` breaks now: uPlot's gaps, canvas pixels. */
    drawnGaps(index = 0) {
      const u = stack.charts[index]?.u;
      return u ? u.series.slice(1).map((/** @type {any} */ s) => s._paths?.gaps ?? []) : null;
    },
    /** The CSV the "CSV" button would download. */
    csv() {
      return tableCsv(viewTable(state, store));
    },
    get frameTimes() {
      return state.frameTimes;
    },
    /** Drops the connection as a network failure would; the page reconnects. */
    drop() {
      connection.socket?.close(4000, "dropped by a test");
    },
  };
}
