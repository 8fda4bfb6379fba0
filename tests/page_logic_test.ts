/**
 * The page's state modules, run in Deno without a browser: view transitions
 * (window span, zoom bounded by the session), joining, the split rule and
 * colours, status text (rate, stderr, skipped lines clipped around their
 * cause), names shown visibly, and CSV cells that cannot become formulas.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  clampRange,
  extentOf,
  goLive,
  initialView,
  liveRange,
  pan,
  spanText,
  togglePause,
  windowSpec,
  zoom,
} from "../static/modules/view.js";
import {
  announced,
  collect,
  complete,
  finished,
  initialJoin,
  merge,
  opened,
} from "../static/modules/join.js";
import {
  emptyPlacement,
  fitCharts,
  GROUP_FACTOR,
  kindOf,
  place,
  PLACE_AFTER_POINTS,
  shouldSplit,
  splitCharts,
} from "../static/modules/grouping.js";
import { dashedInChart, PALETTE_SIZE, seriesColor } from "../static/modules/colors.js";
import { clipAround, hintText, liveRate, statusText } from "../static/modules/status.js";
import { displayName, NAME_LIMIT, visibleName } from "../static/modules/names.js";
import { csvText, tableCsv } from "../static/modules/export.js";
import { Store } from "../static/modules/store.js";

Deno.test("the window shows as a span: last 1m, last 200 points", () => {
  assert.equal(spanText({ seconds: 60 }), "last 1m");
  assert.equal(spanText({ seconds: 10 }), "last 10s");
  assert.equal(spanText({ points: 200 }), "last 200 points");
  assert.equal(spanText(initialView(null).serverWindow), "last 200 points");
  // A time window applies to time x only: an index or a measured x shows the server's points.
  const minute = { ...initialView({ seconds: 30 }), serverWindow: { seconds: 60 } };
  assert.deepEqual(windowSpec(minute, "time"), { seconds: 30 });
  assert.deepEqual(windowSpec(minute, "index"), { points: 10_000 });
  const untimed = { ...minute, serverWindow: { points: 10_000 } };
  assert.equal(spanText(windowSpec(untimed, "number")), "last 10000 points");
  assert.deepEqual(windowSpec({ ...untimed, pageWindow: { points: 50 } }, "index"), { points: 50 });
});

Deno.test("zoom out stops at the session's extent; pan stays inside it", () => {
  const series = [{ xs: [100, 110, 120], length: 3, lastX: 120 }];
  const extent = extentOf(series, 90);
  assert.deepEqual(extent, { from: 90, to: 120 });
  let view = initialView(null);
  const shown = liveRange(series, { seconds: 10 }, {
    reachBack: true,
    historyStart: 90,
    xKind: "time",
  });
  assert.deepEqual(shown, { from: 110, to: 120 });
  // A window wider than the data: time x shows the time to come, index x starts at its first.
  const young = [{ xs: [0, 1, 49], length: 3, lastX: 49 }];
  const index = { reachBack: false, historyStart: null, xKind: "index" };
  assert.deepEqual(liveRange(young, { seconds: 60 }, index), { from: 0, to: 49 });
  assert.deepEqual(liveRange(young, { seconds: 60 }, { ...index, xKind: "time" }), {
    from: -11,
    to: 49,
  });
  for (let i = 0; i < 3; i++) view = zoom(view, i === 0 ? shown : view.fixed, 2, undefined, extent);
  assert.deepEqual(view.fixed, { from: 90, to: 120 }, "three zoom-outs end at the extent");
  assert.equal(view.following, false);
  view = zoom(view, view.fixed, 0.5, 120, extent);
  assert.deepEqual(view.fixed, { from: 105, to: 120 });
  view = pan(view, view.fixed, 1, extent);
  assert.deepEqual(view.fixed, { from: 105, to: 120 }, "no panning past the newest point");
  view = pan(view, view.fixed, -10, extent);
  assert.deepEqual(view.fixed, { from: 90, to: 105 });
  // A time window longer than the data so far: zooming out never narrows the view.
  const wide = { from: 60, to: 120 };
  assert.deepEqual(zoom(initialView(null), wide, 2, undefined, extent).fixed, wide);
  assert.deepEqual(clampRange({ from: 0, to: 5 }, null), { from: 0, to: 5 });
  // Zooming in stops at 10 ms of time x, where the time axis still ticks.
  let near = zoom(initialView(null), { from: 100, to: 100.016 }, 0.5, undefined, extent, "time");
  assert.deepEqual(near.fixed, { from: 100.003, to: 100.013 }, "as narrow as 10 ms");
  near = zoom(near, near.fixed, 0.5, undefined, extent, "time");
  assert.ok(Math.abs(near.fixed.to - near.fixed.from - 0.01) < 1e-9, "and no narrower");
  assert.equal(goLive(view).following, true);
  const paused = togglePause(initialView(null), { from: 1, to: 2 });
  assert.deepEqual([paused.paused, paused.following, paused.fixed], [true, false, {
    from: 1,
    to: 2,
  }]);
  assert.deepEqual([togglePause(paused, null).paused, togglePause(paused, null).following], [
    false,
    true,
  ]);
});

Deno.test("a rejoin keeps agreeing points, replaces another session's, and asks for gaps", () => {
  const store = new Store();
  let join = opened(initialJoin(), false);
  collect(join, ["a", "a"], [1, 2], [10, 20]);
  let merged = merge(store, join);
  assert.deepEqual([merged.first, merged.received, merged.full], [true, 2, 1]);
  join = { ...opened(join, false), everJoined: true };
  collect(join, ["a", "a", "b"], [2, 3, 3], [20, 30, 5]);
  merged = merge(store, join);
  assert.deepEqual(store.series.get("a")?.xs, [1, 2, 3], "the overlap at x=2 agrees");
  assert.equal(merged.received, 2);
  join = { ...opened(join, false), everJoined: true };
  collect(join, ["a"], [9], [90]);
  merged = merge(store, join);
  assert.deepEqual(merged.gaps, [{ name: "a", from: 3, to: 9 }]);
  join = { ...opened(join, false), everJoined: true };
  collect(join, ["a"], [9], [-1]);
  merge(store, join);
  assert.deepEqual(store.series.get("a")?.ys, [-1], "a disagreeing window is another session");
  assert.equal(opened(initialJoin(), true).joining, false, "the demo sends no window");
});

Deno.test("an announced join is complete with its last piece; one never announced is not", () => {
  let join = opened(initialJoin(), false);
  collect(join, ["a"], [1], [10]);
  assert.equal(complete(join), false, "no announcement: the status (or the timeout) ends it");
  join = announced(opened(join, false), 2);
  assert.equal(complete(join), false);
  collect(join, ["a"], [1], [10]);
  assert.equal(complete(join), false, "one piece of two");
  collect(join, ["b"], [1], [5]);
  assert.equal(complete(join), true, "the last piece");
  assert.equal(complete(announced(opened(join, false), 0)), true, "an empty window");
  assert.equal(announced(opened(join, false), "2").pieces, null, "not a count");
  assert.equal(announced(finished(join), 2).pieces, null, "no join under way");
});

Deno.test("split rule: kind first (unit, prefix), then ranges within 10×; placed series stay", () => {
  assert.equal(kindOf("%idle"), "|%");
  assert.equal(kindOf("cpu%"), "|%");
  assert.equal(kindOf("rkB/s"), "|/s");
  assert.equal(kindOf("MemFreekB"), "|kB");
  assert.equal(kindOf("vda.wareq-sz"), "vda|");
  assert.equal(kindOf("vda.%util"), "vda|%");
  assert.equal(kindOf("us"), "", "vmstat's us is a plain name, not microseconds");
  assert.equal(kindOf("temperature"), "");
  assert.equal(GROUP_FACTOR, 10);
  // Temperature ~20 and pressure ~1013 (50×) do not share one flat axis.
  let placement = place(emptyPlacement(), [
    { name: "temperature", magnitude: 21 },
    { name: "pressure", magnitude: 1013 },
  ]);
  assert.deepEqual(splitCharts(placement, ["temperature", "pressure"], new Set()), [
    ["pressure"],
    ["temperature"],
  ]);
  assert.equal(shouldSplit(placement), true);
  // %idle never joins vda.wareq-sz, whatever their ranges.
  placement = place(emptyPlacement(), [
    { name: "%idle", magnitude: 90 },
    { name: "vda.wareq-sz", magnitude: 80 },
    { name: "%user", magnitude: 12 },
  ]);
  const names = ["%idle", "vda.wareq-sz", "%user"];
  assert.deepEqual(splitCharts(placement, names, new Set()), [["%idle", "%user"], [
    "vda.wareq-sz",
  ]]);
  // Later ranges change nothing for placed series; a new series finds its place.
  const again = place(placement, [
    { name: "%idle", magnitude: 1 },
    { name: "vda.wareq-sz", magnitude: 1e6 },
    { name: "%user", magnitude: 12 },
    { name: "%steal", magnitude: 50 },
    { name: "%zero", magnitude: 0 },
  ]);
  assert.deepEqual(splitCharts(again, [...names, "%steal", "%zero"], new Set(["%user"])), [
    ["%idle", "%steal"],
    ["vda.wareq-sz", "%zero"],
  ]);
  // Similar ranges of one kind: one chart, no split.
  const one = place(emptyPlacement(), [{ name: "a", magnitude: 5 }, { name: "b", magnitude: 40 }]);
  assert.equal(shouldSplit(one), false);
});

Deno.test("a series is placed once it has enough points, not by its first tiny values", () => {
  // A sawtooth from 0 beside a sine around 1.5: its first points alone are 60× smaller.
  const early = [
    { name: "sine", magnitude: 2.5, count: 3 },
    { name: "sawtooth", magnitude: 0.04, count: 2 },
  ];
  assert.equal(place(emptyPlacement(), early).charts.length, 0, "nothing judged yet");
  const later = [
    { name: "sine", magnitude: 2.5, count: PLACE_AFTER_POINTS },
    { name: "sawtooth", magnitude: 0.6, count: PLACE_AFTER_POINTS },
  ];
  assert.equal(shouldSplit(place(emptyPlacement(), later)), false);
  // A slow source is placed anyway once the page says no more points are coming soon.
  assert.equal(shouldSplit(place(emptyPlacement(), early, true)), true);
});

Deno.test("no colour repeats within a chart: at most 24 series, each its own colour", () => {
  const many = Array.from({ length: 64 }, (_, i) => ({ name: `s${i}`, magnitude: 10 + i }));
  const placement = place(emptyPlacement(), many);
  const charts = splitCharts(placement, many.map((e) => e.name), new Set());
  assert.ok(
    charts.every((names) => names.length <= PALETTE_SIZE),
    `${charts.map((c) => c.length)}`,
  );
  // A series' colour is its arrival order's (charts.js), in whichever chart it is: the 64
  // series a stream may have never share one.
  const colors = many.map((_, order) => seriesColor(order));
  assert.equal(new Set(colors).size, many.length);
});

Deno.test("in a split chart a series whose colour is close to another's there is dashed", () => {
  // vmstat's r (0) and sy (13) share a chart, and golden-angle hues 0 and 13 are both red.
  assert.deepEqual(dashedInChart([0, 13]), [false, true]);
  assert.deepEqual(dashedInChart([4, 10, 13]), [false, false, false]);
  // The first of a clashing pair keeps a solid line, whichever order they arrived in.
  assert.deepEqual(dashedInChart([13, 0, 21]), [false, true, true]);
  assert.deepEqual(dashedInChart([]), []);
});

Deno.test("too many charts for the window: the neighbours with the fewest series merge", () => {
  const charts = [["free"], ["cache"], ["buff", "cs"], ["bo", "in"], ["us", "sy", "id"]];
  assert.equal(fitCharts(charts, 5), charts, "they fit: unchanged");
  assert.deepEqual(fitCharts(charts, 4), [["free", "cache"], ...charts.slice(2)]);
  assert.deepEqual(fitCharts(charts, 2), [charts.slice(0, 4).flat(), ["us", "sy", "id"]]);
  assert.deepEqual(fitCharts(charts, 0), [charts.flat()], "one chart at least");
  // Never past the palette: two full charts stay two.
  const full = Array.from(
    { length: 2 },
    (_, c) => Array.from({ length: PALETTE_SIZE }, (_, i) => `${c}.${i}`),
  );
  assert.deepEqual(fitCharts(full, 1), full);
});

const connected = { state: "connected", socket: true, retryAt: 0, lastCloseCode: 0 };
const model = {
  demo: false,
  connection: connected,
  now: 0,
  points: 10,
  rate: null,
  source: null,
  reduced: false,
  historyStart: null,
  xKind: "time",
  paused: false,
  following: true,
};

Deno.test("the rate shows only while points arrive; the end shows the exit code", () => {
  // 50 points a second after the run's first batch, however long the page waited before it.
  const batches: [number, number][] = [[60_000, 50], [61_000, 50], [62_000, 50], [63_000, 50]];
  assert.equal(liveRate(batches, 63_500), 50);
  assert.equal(liveRate([[1000, 50], [4000, 50]], 4000 + 5001), null, "quiet: no rate");
  assert.equal(liveRate([[100, 5], [600, 5]], 1000), null, "too early to tell");
  // A stream that resumes after a pause is counted from where it resumed: 10 a second.
  const resumed: [number, number][] = [];
  for (let t = 0; t < 3000; t += 100) resumed.push([t, 1]);
  for (let t = 20_000; t <= 24_000; t += 100) resumed.push([t, 1]);
  assert.equal(liveRate(resumed, 24_050), 10);
  assert.equal(liveRate(resumed, 21_000), null, "too early after resuming");
  assert.match(statusText({ ...model, rate: 20 }), /20 points\/s/);
  const idle = { ...connected, state: "not connected" };
  assert.equal(
    statusText({ ...model, demo: true, points: 0, connection: idle }),
    "press Start Plot",
  );
  const ended = { state: "ended" as const, exitCode: 3, stderr: ["boom: sensor not found"] };
  const text = statusText({ ...model, rate: 20, source: ended });
  assert.doesNotMatch(text, /points\/s/);
  assert.match(text, /source ended, exit code 3/);
  // With --redis, the data store's outage and the points it lost.
  const outage = statusText({ ...model, source: { store: "waiting" as const, gaps: 1 } });
  assert.match(outage, /^connected · reconnecting to the data store · 10 points/);
  assert.match(outage, /1 gap: the data store restarted without its data/);
  assert.doesNotMatch(statusText({ ...model, source: { store: "connected" as const } }), /store/);
  const waiting = { state: "waiting" as const, detail: "waiting for /dev/ttyACM0" };
  assert.match(statusText({ ...model, source: waiting }), /waiting for \/dev\/ttyACM0/);
  const empty = { ...model, points: 0, joining: false, otherStreams: 0 };
  assert.equal(
    hintText({ ...empty, source: waiting }),
    "Nothing plotted yet: waiting for /dev/ttyACM0.",
  );
  assert.match(hintText(empty), /stdbuf/);
  // Words where numbers were expected: a header, not a buffered pipe.
  const worded = hintText({ ...empty, source: { headers: 2 } });
  assert.match(worded, /^Nothing plotted yet: 2 lines read as a header/);
  assert.doesNotMatch(worded, /stdbuf/);
  // A source that ended after header lines alone says so, not only that it ended.
  const allHeaders = hintText({ ...empty, source: { state: "ended" as const, headers: 2 } });
  assert.match(allHeaders, /^Nothing plotted: the source ended after 2 lines read as a header/);
  // A writer that finished after header lines alone: the headers are why, not the waiting.
  const finished = { state: "waiting" as const, detail: "the writer finished", headers: 2 };
  assert.match(hintText({ ...empty, source: finished }), /^Nothing plotted yet: 2 lines read as a/);
  assert.match(hintText({ ...empty, otherStreams: 2 }), /Nothing on this stream yet/);
  // Header lines alone say so, other streams or not.
  for (
    const others of [{ otherStreams: 2 }, { source: { headers: 2, store: "connected" as const } }]
  ) {
    assert.match(
      hintText({ ...empty, source: { headers: 2 }, ...others }),
      /^Nothing plotted yet: 2 lines read as a header/,
    );
  }
  assert.match(hintText({ ...empty, source: { store: "connected" as const } }), /this stream/);
});

Deno.test("a skipped line is clipped around its cause", () => {
  const line = "06:36:59 0 29526 2.00 1.00 0.00 0.00 0.00 0.00 1.00 3.00 2.00 0.50 1.50 oops";
  const clipped = clipAround(line, "words among the numbers");
  assert.ok(clipped.length <= 60, clipped);
  assert.match(clipped, /oops$/);
  assert.ok(clipped.startsWith("…"));
  const quoted = clipAround("a".repeat(100) + ' "temp" ' + "b".repeat(100), 'no column "temp"');
  assert.match(quoted, /^….*temp.*…$/);
  assert.equal(clipAround("short line", "x"), "short line");
  assert.equal(clipAround("1 ".repeat(50), "too many columns").length, 60);
});

Deno.test("names show bidi and control characters and are cut at 200", () => {
  assert.equal(visibleName("\u202Egnp.exe\u202C"), "⟨U+202E⟩gnp.exe⟨U+202C⟩");
  assert.equal(visibleName("a\u200b"), "a⟨U+200B⟩");
  assert.equal(visibleName("x\u0007\u0085y"), "x⟨U+0007⟩⟨U+0085⟩y");
  assert.equal(displayName("température"), "température");
  const long = displayName("n".repeat(60_000));
  assert.equal(Array.from(long).length, NAME_LIMIT);
  assert.ok(long.endsWith("…"));
});

Deno.test("CSV text cells cannot become formulas; numbers stay numbers", () => {
  for (const name of ["=HYPERLINK(1)", "+1", "-x", "@SUM(1+1)", "\tx", "\rx"]) {
    assert.ok(/^"?'/.test(csvText(name)), `${JSON.stringify(name)} → ${csvText(name)}`);
  }
  assert.equal(csvText("temp"), "temp");
  const csv = tableCsv({
    xs: [1],
    columns: [[-5], [3]],
    names: ["=cmd", "b"],
    kind: "index",
    from: 0,
    to: 1,
  });
  assert.equal(csv, "x,'=cmd,b\n1,-5,3\n");
  // Time x is headed x as well, as the server's CSV is, its cells ISO 8601.
  const timed = tableCsv({ xs: [0], columns: [[1]], names: ["a"], kind: "time", from: 0, to: 1 });
  assert.equal(timed, "x,a\n1970-01-01T00:00:00.000Z,1\n");
});
