/**
 * The page's plain modules, run in Deno without a browser: number and time
 * labels, the aligned table that keeps duplicate x, frame parsing, URL
 * state and paths. tests/page_logic_test.ts covers the state modules.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatTicks, formatTimeTicks, formatValue, formatX } from "../static/modules/format.js";
import { Store } from "../static/modules/store.js";
import {
  BINARY_PROTOCOL as PAGE_PROTOCOL,
  decodeFrame,
  parseFrame,
} from "../static/modules/socket.js";
import { BINARY_PROTOCOL, encodeRuns, PendingRuns } from "../stream/frames.ts";
import {
  endpointsFor,
  parseWindow,
  parseYRange,
  readViewState,
  windowText,
} from "../static/modules/url_state.js";
import { csvField, tableCsv } from "../static/modules/export.js";
import { seriesColor } from "../static/modules/colors.js";

Deno.test("axis labels take SI suffixes and keep the digits the step needs", () => {
  assert.deepEqual(formatTicks([0, 1e7, 2e7], 1e7), ["0", "10M", "20M"]);
  assert.deepEqual(formatTicks([22_000_000, 22_200_000], 200_000), ["22.0M", "22.2M"]);
  assert.deepEqual(formatTicks([1e-6, 2e-6, 3e-6], 1e-6), ["1µ", "2µ", "3µ"]);
  assert.deepEqual(formatTicks([3.1e-6, 3.2e-6], 1e-7), ["3.1µ", "3.2µ"]);
  assert.deepEqual(formatTicks([0, 20, 40], 20), ["0", "20", "40"]);
  assert.deepEqual(formatTicks([0.5, 1, 1.5], 0.5), ["0.5", "1.0", "1.5"]);
  // Around 1e9 with a step of 2 the labels keep every digit.
  assert.deepEqual(
    formatTicks([1_000_000_000, 1_000_000_002, 1_000_000_004], 2),
    ["1000000000", "1000000002", "1000000004"],
  );
  assert.deepEqual(formatTicks([-2e6, 0, 2e6], 2e6), ["-2M", "0", "2M"]);
  // A fine step on a plain value keeps its decimals rather than a µ of hundreds of thousands.
  assert.deepEqual(formatTicks([0.87, 0.8705, 0.871], 0.0005), ["0.8700", "0.8705", "0.8710"]);
  assert.deepEqual(formatTicks([0.8705, 0.87055], 5e-5), ["0.87050", "0.87055"]);
  assert.deepEqual(formatTicks([12.34561, 12.34562], 1e-5), ["12.34561", "12.34562"]);
  assert.deepEqual(formatTicks([3.1e-6, 3.1001e-6], 1e-10), ["3.1000µ", "3.1001µ"]);
  // Beyond the prefixes (yocto to yotta): powers of ten.
  assert.deepEqual(formatTicks([1e30, 2e30], 1e30), ["1e+30", "2e+30"]);
  assert.deepEqual(formatTicks([1.5e-30, 2e-30], 5e-31), ["1.5e-30", "2.0e-30"]);
});

Deno.test("legend values: 3e-6 is not 0, 1e9 keeps its digits", () => {
  assert.equal(formatValue(3e-6), "3µ");
  assert.equal(formatValue(3.14159e-6), "3.14159µ");
  assert.equal(formatValue(1_000_000_007), "1000000007");
  assert.equal(formatValue(1_000_000_007.5), "1000000008");
  assert.equal(formatValue(3e15), "3P");
  assert.equal(formatValue(3.5e17), "350P");
  assert.equal(formatValue(22_041_900), "22041900");
  assert.equal(formatValue(0.5004), "0.5004");
  assert.equal(formatValue(12.5), "12.5");
  assert.equal(formatValue(0), "0");
  // Exponents keep their zeros; past yotta and yocto, powers of ten.
  assert.equal(formatValue(1e24), "1Y");
  assert.equal(formatValue(1.5e25), "15Y");
  assert.equal(formatValue(1e34), "1e+34");
  assert.equal(formatValue(1.62e304), "1.62e+304");
  assert.equal(formatValue(1.23e-34), "1.23e-34");
  assert.equal(formatValue(-2e-30), "-2e-30");
  assert.equal(formatValue(undefined), "–");
});

Deno.test("time labels are wall-clock, with the date where it changes", () => {
  const base = new Date(2026, 10, 25, 18, 4, 5).getTime() / 1000;
  const labels = formatTimeTicks([base, base + 1, base + 2], 1);
  assert.deepEqual(labels, ["18:04:05\n2026-11-25", "18:04:06", "18:04:07"]);
  const midnight = new Date(2026, 10, 25, 23, 59, 59).getTime() / 1000;
  assert.deepEqual(formatTimeTicks([midnight, midnight + 1], 1), [
    "23:59:59\n2026-11-25",
    "00:00:00\n2026-11-26",
  ]);
  assert.deepEqual(formatTimeTicks([base, base + 0.25], 0.25), [
    "18:04:05.00\n2026-11-25",
    "18:04:05.25",
  ]);
  assert.equal(formatX(base + 0.5, "time"), "2026-11-25 18:04:05.500");
  assert.equal(formatX(42, "index"), "42");
});

Deno.test("the aligned table keeps points that share an x", () => {
  const store = new Store();
  const a = store.get("a");
  const b = store.get("b");
  store.add(a, 1, 10);
  store.add(a, 1, 11); // a duplicate x in one series: two rows
  store.add(b, 1, 20); // another series at the same x: shares the first row
  store.add(b, 2, 21);
  store.update();
  assert.deepEqual(store.xs, [1, 1, 2]);
  assert.deepEqual(store.columns, [[10, 11, undefined], [20, undefined, 21]]);

  // Live appends go to the end; one at the last x fills the empty cell.
  store.add(a, 2, 12);
  store.add(a, 3, 13);
  store.update();
  assert.deepEqual(store.xs, [1, 1, 2, 3]);
  assert.deepEqual(store.columns, [[10, 11, 12, 13], [20, undefined, 21, undefined]]);

  // A point before the end makes a rebuild, still in order.
  store.add(b, 0, 19);
  store.update();
  assert.deepEqual(store.xs, [0, 1, 1, 2, 3]);
  assert.deepEqual(store.columns[1], [19, 20, undefined, 21, undefined]);
  assert.equal(store.points, 7);
});

Deno.test("replace fills a gap, trim bounds a series", () => {
  const store = new Store();
  const s = store.get("s");
  for (const x of [0, 1, 2, 8, 9]) store.add(s, x, x * 10);
  store.replace(s, 2, 8, [2, 3, 4, 5, 6, 7, 8], [20, 30, 40, 50, 60, 70, 80]);
  assert.deepEqual(s.xs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (let x = 10; x < 400; x++) store.add(s, x, x);
  store.trim(s, 100);
  assert.equal(s.length, 100);
  assert.equal(s.xs[0], 300);
});

Deno.test("data frames parse to points; bad lines are ignored", () => {
  const points = parseFrame("0 1.5 2\n1 1.5 -3e-6\nbad\n2 x 1\n3 4 \n0 i 1\n4 5 6");
  assert.deepEqual(points, { ids: ["0", "1"], xs: [1.5, 1.5], ys: [2, -3e-6] });
});

Deno.test("binary frames from the server decode to the points the text lines would give", () => {
  assert.equal(PAGE_PROTOCOL, BINARY_PROTOCOL);
  const pending = new PendingRuns();
  const lines: string[] = [];
  // Interleaved series, past the first run's room, and values text would round.
  for (let i = 0; i < 700; i++) {
    const id = [2, 0, 1][i % 3]!;
    const x = 1732531200 + i / 7;
    const y = Math.sin(i) * 1e-9;
    pending.add(id, x, y);
    lines.push(`${id} ${x} ${y}`);
  }
  const frame = pending.take()!;
  assert.equal(frame.byteLength, (2 * 3 + 2 * 700) * 8, "16 bytes a point, 16 a run");
  const decoded = decodeFrame(frame.slice().buffer);
  const text = parseFrame(lines.join("\n") + "\n");
  // Runs group points by series; within a series the order is the arrival order.
  const bySeries = (points: { ids: string[]; xs: number[]; ys: number[] }) => {
    const out: Record<string, [number, number][]> = {};
    points.ids.forEach((id, i) => (out[id] ??= []).push([points.xs[i]!, points.ys[i]!]));
    return out;
  };
  assert.deepEqual(bySeries(decoded), bySeries(text));
  assert.deepEqual(decoded.ids.slice(0, 2), ["2", "2"], "the first series seen comes first");
  assert.equal(pending.take(), undefined, "taking empties it");
  pending.add(0, 1, 2);
  const small = pending.take()!;
  assert.equal(small.byteLength, 4 * 8, "the frame's own bytes, not the buffer kept for the next");
  assert.deepEqual(decodeFrame(small.slice().buffer), { ids: ["0"], xs: [1], ys: [2] });
  // Past the kept buffer's bound a frame gets a buffer of its own; the next small one is right.
  const many = 70_000;
  for (let i = 0; i < many; i++) pending.add(1, i, -i);
  const big = decodeFrame(pending.take()!.slice().buffer);
  assert.equal(big.xs.length, many);
  assert.deepEqual([big.xs[many - 1], big.ys[many - 1]], [many - 1, -(many - 1)]);
  pending.add(3, 5, 6);
  assert.deepEqual(decodeFrame(pending.take()!.slice().buffer), { ids: ["3"], xs: [5], ys: [6] });
  // A window frame, and a frame cut short: whole runs are kept, the broken one dropped.
  const window = encodeRuns([
    { id: 0, xs: new Float64Array([1, 2]), ys: new Float64Array([3, 4]) },
    { id: 1, xs: new Float64Array(0), ys: new Float64Array(0) },
    { id: 5, xs: new Float64Array([9]), ys: new Float64Array([-9]) },
  ]);
  assert.deepEqual(decodeFrame(window.buffer as ArrayBuffer), {
    ids: ["0", "0", "5"],
    xs: [1, 2, 9],
    ys: [3, 4, -9],
  });
  assert.deepEqual(decodeFrame(window.buffer.slice(0, 7 * 8) as ArrayBuffer).ids, ["0", "0"]);
});

Deno.test("data paths follow the page's own path", () => {
  const main = { socket: "/data", range: "/data/range", csv: "/data.csv" };
  assert.deepEqual(endpointsFor("/"), main);
  assert.deepEqual(endpointsFor("/data"), main);
  assert.deepEqual(endpointsFor("/s/room-1"), {
    socket: "/s/room-1/data",
    range: "/s/room-1/range",
    csv: "/s/room-1.csv",
  });
  assert.deepEqual(endpointsFor("/s/room-1/").socket, "/s/room-1/data");
});

Deno.test("window, y range and view state parse and write back", () => {
  assert.deepEqual(parseWindow("500"), { points: 500 });
  assert.deepEqual(parseWindow("60s"), { seconds: 60 });
  assert.deepEqual(parseWindow("10m"), { seconds: 600 });
  assert.deepEqual(parseWindow("1.5h"), { seconds: 5400 });
  assert.equal(parseWindow("ten"), null);
  assert.equal(parseWindow("0"), null);
  assert.equal(windowText({ seconds: 600 }), "10m");
  assert.equal(windowText({ seconds: 45 }), "45s");
  assert.equal(windowText({ points: 200 }), "200");
  assert.deepEqual(parseYRange("0:100"), [0, 100]);
  assert.deepEqual(parseYRange("-5:"), [-5, null]);
  assert.equal(parseYRange("5:1"), null);
  assert.equal(parseYRange(""), null);
  // "auto" is a choice of its own: auto scaling over the server's --y-range.
  assert.deepEqual(parseYRange("auto"), [null, null]);
  assert.deepEqual(readViewState("?window=60s&split=0&hide=a%20b&hide=%7Bx&y=0:1&y2=c"), {
    window: "60s",
    split: false,
    hidden: ["a b", "{x"],
    y: "0:1",
    y2: ["c"],
  });
  assert.equal(readViewState("").split, null);
});

Deno.test("CSV quotes names that need it and leaves empty cells for missing points", () => {
  assert.equal(csvField('a "b", c'), '"a ""b"", c"');
  const csv = tableCsv({
    xs: [1, 1, 2],
    columns: [[10, 11, undefined], [20, undefined, 21]],
    names: ["a,b", "c"],
    kind: "index",
    from: 0,
    to: 3,
  });
  assert.equal(csv, 'x,"a,b",c\n1,10,20\n1,11,\n2,,21\n');
});

Deno.test("at least 20 distinct series colours", () => {
  for (const dark of [false, true]) {
    const colors = Array.from({ length: 24 }, (_, i) => seriesColor(i, dark));
    assert.equal(new Set(colors).size, 24);
  }
});
