import assert from "node:assert/strict";
import { CHUNK_OVERHEAD_BYTES, CHUNK_POINTS, History } from "../stream/history.ts";

const CHUNK_BYTES = 16 * CHUNK_POINTS + CHUNK_OVERHEAD_BYTES;

function unbounded(windowPoints = 200, windowSeconds?: number): History {
  return new History({ maxBytes: Number.MAX_SAFE_INTEGER, windowPoints, windowSeconds });
}

function assertSorted(xs: Float64Array, what: string): void {
  for (let index = 1; index < xs.length; index++) {
    assert.ok(xs[index - 1]! <= xs[index]!, `${what}: x goes back at ${index}`);
  }
}

/** M4 the slow, obvious way: every point's column, first/last by x then arrival, least/greatest y. */
function naiveM4(points: { x: number; y: number }[], from: number, to: number, width: number) {
  const columns = new Map<number, { x: number; y: number; order: number }[]>();
  points.forEach(({ x, y }, order) => {
    if (x < from || x > to) return;
    const column = Math.min(width - 1, Math.floor((x - from) / (to - from) * width));
    const list = columns.get(column) ?? [];
    list.push({ x, y, order });
    columns.set(column, list);
  });
  const out: string[] = [];
  for (const column of [...columns.keys()].sort((a, b) => a - b)) {
    const list = columns.get(column)!.sort((a, b) => a.x - b.x || a.order - b.order);
    let min = list[0]!, max = list[0]!;
    for (const point of list) {
      if (point.y < min.y) min = point;
      if (point.y > max.y) max = point;
    }
    const chosen = [...new Set([list[0]!, min, max, list[list.length - 1]!])];
    chosen.sort((a, b) => a.x - b.x || a.order - b.order);
    for (const point of chosen) out.push(`${point.x}:${point.y}`);
  }
  return out;
}

function pairs(result: { xs: Float64Array; ys: Float64Array }): string[] {
  return Array.from(result.xs, (x, index) => `${x}:${result.ys[index]}`);
}

Deno.test("the window spans the chunk boundary: the last N points, oldest first", () => {
  const history = unbounded(200);
  const total = CHUNK_POINTS + 100;
  for (let index = 0; index < total; index++) history.append(0, index, index * 2);
  const { xs, ys } = history.window(0);
  assert.equal(xs.length, 200);
  assert.equal(xs[0], total - 200);
  assert.equal(xs[199], total - 1);
  assert.equal(ys[0], (total - 200) * 2);
  assertSorted(xs, "window");
  assert.equal(history.points, total);
  assert.equal(history.window(1).xs.length, 0, "an unknown series has an empty window");
});

Deno.test("a seconds window holds the points within the last seconds across chunks", () => {
  const history = unbounded(1, 10);
  for (let index = 0; index < 3 * CHUNK_POINTS; index++) history.append(0, index / 1000, 1);
  const last = (3 * CHUNK_POINTS - 1) / 1000;
  const { xs } = history.window(0);
  assert.ok(xs[0]! >= last - 10 && xs[0]! - 0.001 < last - 10, `window begins at ${xs[0]}`);
  assert.equal(xs[xs.length - 1], last);
  assert.ok(xs.length > CHUNK_POINTS, "the window spans chunks");
});

Deno.test("the byte bound holds, the oldest chunks go first, and every window stays", () => {
  const maxBytes = 8 * CHUNK_BYTES;
  const history = new History({ maxBytes, windowPoints: 300 });
  // A slow series with few, old points: its window must survive the fast ones.
  for (let index = 0; index < 10; index++) history.append(2, index, -index);
  let peak = 0;
  for (let index = 0; index < 40 * CHUNK_POINTS; index++) {
    const x = 100 + index;
    history.append(0, x, 1);
    if (index % 3 === 0) history.append(1, x, 2);
    peak = Math.max(peak, history.bytes);
  }
  // Three series, each may keep its open chunk past the bound for its window.
  assert.ok(peak <= maxBytes + CHUNK_BYTES, `peak ${peak} over ${maxBytes}`);
  assert.ok(history.bytes <= maxBytes, `${history.bytes} bytes held, bound ${maxBytes}`);
  assert.ok(history.evicted > 30 * CHUNK_POINTS, `only ${history.evicted} evicted`);
  assert.deepEqual(Array.from(history.window(2).xs), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(history.window(0).xs.length, 300);
  assert.equal(history.window(1).xs.length, 300);
  // What is left of series 0 is its newest points, without a hole.
  const { xs } = history.range(0, -Infinity, Infinity);
  assert.equal(xs[xs.length - 1], 100 + 40 * CHUNK_POINTS - 1);
  for (let index = 1; index < xs.length; index++) assert.equal(xs[index], xs[index - 1]! + 1);
  assert.equal(history.startX, 0, "history begins at the slow series' kept window");
  assert.equal(history.points, history.count(0) + history.count(1) + history.count(2));
});

Deno.test("maxBytes 0 keeps only the chunks that hold each window", () => {
  const history = new History({ maxBytes: 0, windowPoints: 200 });
  for (let index = 0; index < 10 * CHUNK_POINTS; index++) history.append(0, index, index);
  assert.ok(history.bytes <= 2 * CHUNK_BYTES, `${history.bytes} bytes held`);
  assert.equal(history.window(0).xs.length, 200);
  assert.ok(history.startX! >= 8 * CHUNK_POINTS, `starts at ${history.startX}`);
});

Deno.test("M4 keeps a one-sample spike visible at every zoom and width", () => {
  const history = unbounded();
  const total = 1_000_000;
  const spikeAt = 654_321;
  for (let index = 0; index < total; index++) {
    history.append(0, index * 0.01, index === spikeAt ? 1000 : Math.sin(index / 50));
  }
  const spikeX = spikeAt * 0.01;
  const views: [number, number][] = [
    [0, total * 0.01],
    [spikeX - 1000, spikeX + 1000],
    [spikeX - 5, spikeX + 1],
    [spikeX, spikeX + 500],
    [spikeX - 500, spikeX],
  ];
  for (const [from, to] of views) {
    for (const width of [1, 3, 100, 2000]) {
      const result = history.range(0, from, to, width);
      const inView = Math.round((to - from) / 0.01);
      assert.equal(result.reduced, inView > 2 * width, `reduced for ${from}..${to} at ${width}`);
      const index = result.ys.indexOf(1000);
      assert.ok(index >= 0, `spike lost in ${from}..${to} at width ${width}`);
      assert.equal(result.xs[index], spikeX);
      assertSorted(result.xs, `range ${from}..${to}`);
      assert.ok(result.xs.length <= Math.max(4 * width, 2 * width + 1));
    }
  }
});

Deno.test("M4 matches a naive reduction on noisy data with repeated x, across chunks", () => {
  const history = unbounded();
  const points: { x: number; y: number }[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  let x = 0;
  for (let index = 0; index < 5 * CHUNK_POINTS + 123; index++) {
    if (random() < 0.7) x += random();
    const y = Math.round(random() * 100) - 50;
    history.append(0, x, y);
    points.push({ x, y });
  }
  for (const width of [1, 7, 64, 500]) {
    for (const [from, to] of [[0, x], [x / 3, x / 2], [100.5, 2000.25]] as const) {
      const result = history.range(0, from, to, width);
      assert.ok(result.reduced);
      assert.deepEqual(
        pairs(result),
        naiveM4(points, from, to, width),
        `${from}..${to} at ${width}`,
      );
    }
  }
});

Deno.test("repeated and backward x: kept, and every answer is in x order", () => {
  const history = unbounded(1000);
  const xs = [0, 1, 1, 1, 2, 1.5, 3, 2.5, 4];
  xs.forEach((x, index) => history.append(0, x, index));
  const all = history.range(0, -Infinity, Infinity);
  assert.deepEqual(Array.from(all.xs), [0, 1, 1, 1, 1.5, 2, 2.5, 3, 4]);
  // Equal x keep their arrival order; a late point sits at its own x.
  assert.deepEqual(Array.from(all.ys), [0, 1, 2, 3, 5, 4, 7, 6, 8]);
  assert.deepEqual(Array.from(history.range(0, 1, 1).ys), [1, 2, 3]);
  // x restarts below the open chunk: a new chunk, overlapping the old one.
  history.append(0, 0.5, 100);
  history.append(0, 0.75, 101);
  const merged = history.range(0, -Infinity, Infinity);
  assertSorted(merged.xs, "after a restart");
  assert.equal(merged.xs.length, xs.length + 2);
  assert.deepEqual(Array.from(history.range(0, 0.4, 1).xs), [0.5, 0.75, 1, 1, 1]);
  assertSorted(history.window(0).xs, "window after a restart");
  const order = Array.from(history.merged(), (point) => point.x);
  assert.deepEqual(order, Array.from(merged.xs));
});

Deno.test("a point back across a chunk boundary is merged in order", () => {
  const history = unbounded();
  for (let index = 0; index < CHUNK_POINTS; index++) history.append(0, index, 0);
  history.append(0, CHUNK_POINTS - 10.5, 1);
  history.append(0, CHUNK_POINTS + 1, 0);
  const { xs, ys } = history.range(0, CHUNK_POINTS - 12, CHUNK_POINTS + 2);
  assert.deepEqual(Array.from(xs), [
    ...Array.from({ length: 2 }, (_, index) => CHUNK_POINTS - 12 + index),
    CHUNK_POINTS - 10.5,
    ...Array.from({ length: 10 }, (_, index) => CHUNK_POINTS - 10 + index),
    CHUNK_POINTS + 1,
  ]);
  assert.equal(ys[2], 1);
  const reduced = history.range(0, 0, CHUNK_POINTS + 1, 10);
  assert.ok(reduced.reduced);
  assertSorted(reduced.xs, "reduced");
  assert.ok(Array.from(reduced.ys).includes(1), "the late point's y is in the reduction");
});

Deno.test("merged walks all series in x order, lower id first on equal x", () => {
  const history = unbounded();
  for (let index = 0; index < 3 * CHUNK_POINTS; index++) {
    history.append(index % 3, Math.floor(index / 2), index);
  }
  let previous = { series: -1, x: -Infinity };
  let count = 0;
  for (const point of history.merged()) {
    assert.ok(
      point.x > previous.x || (point.x === previous.x && point.series >= previous.series),
      `out of order at ${count}`,
    );
    previous = { series: point.series, x: point.x };
    count++;
  }
  assert.equal(count, 3 * CHUNK_POINTS);
  assert.equal([...history.merged(10, 20)].length, 22);
});

Deno.test("x that keeps going back costs only what it holds, and stays in order", () => {
  const history = unbounded();
  for (let index = 0; index < 1000; index++) history.append(0, 1000 - index, index);
  assert.ok(
    history.bytes < 1000 * (16 + CHUNK_OVERHEAD_BYTES) + CHUNK_BYTES,
    `${history.bytes} bytes`,
  );
  const { xs, ys } = history.range(0, -Infinity, Infinity);
  assert.equal(xs.length, 1000);
  assertSorted(xs, "decreasing input");
  assert.equal(ys[0], 999);
  assertSorted(history.range(0, 0, 2000, 10).xs, "its reduction");
});

Deno.test("a series' chunks are cut from slabs that grow with it, each counted whole", () => {
  const history = unbounded();
  const columns = 16 * CHUNK_POINTS;
  let x = 0;
  const appendPoints = (points: number) => {
    for (let index = 0; index < points; index++) history.append(0, x++, 1);
  };
  // The first chunk's slab has one slot; once it is filled, the next has two.
  appendPoints(CHUNK_POINTS + 1);
  assert.equal(history.bytes, 3 * columns + 2 * CHUNK_OVERHEAD_BYTES);
  // Slabs of 1, 2, 4, 8 and 16 chunks: 31 chunks fill them exactly; the 32nd begins one of 32.
  appendPoints(30 * CHUNK_POINTS);
  assert.equal(history.count(0), 31 * CHUNK_POINTS + 1);
  assert.equal(history.bytes, 63 * columns + 32 * CHUNK_OVERHEAD_BYTES);
  // Slabs of 32, 64 and 128 chunks (8 MiB, huge pages' size many times over) fill 255 chunks;
  // the 256th begins another of 128: that is the most a slab holds.
  appendPoints(224 * CHUNK_POINTS);
  assert.equal(history.count(0), 255 * CHUNK_POINTS + 1);
  assert.equal(history.bytes, (255 + 128) * columns + 256 * CHUNK_OVERHEAD_BYTES);
});

Deno.test("a slab is at most a 16th of the bound, so eviction never drops much more", () => {
  const chunks = 64;
  const history = new History({ maxBytes: chunks * CHUNK_BYTES, windowPoints: 100 });
  let least = Infinity;
  let peak = 0;
  for (let index = 0; index < 300 * CHUNK_POINTS; index++) {
    history.append(0, index, index);
    peak = Math.max(peak, history.bytes);
    if (history.evicted > 0) least = Math.min(least, history.count(0));
  }
  assert.ok(peak <= (chunks + 1) * CHUNK_BYTES, `peak ${peak}`);
  // Slabs of 4 chunks here: one being filled, one half gone at worst, and the open chunk.
  const kept = (chunks - 2 * 4 - 1) * CHUNK_POINTS;
  assert.ok(least >= kept, `${least} points held at the least, ${kept} expected`);
  const { xs } = history.range(0, -Infinity, Infinity);
  for (let index = 1; index < xs.length; index++) assert.equal(xs[index], xs[index - 1]! + 1);
});

Deno.test("x that restarts just as a chunk fills is a restart: the window and the bound hold", () => {
  // The restart lands on the first point of a new chunk (the last one full), and one point later.
  for (const before of [CHUNK_POINTS, CHUNK_POINTS - 1]) {
    const maxBytes = 8 * CHUNK_BYTES;
    const history = new History({ maxBytes, windowPoints: 1, windowSeconds: 10 });
    for (let index = 0; index < before; index++) history.append(0, 1000 + index, 0);
    for (let index = 0; index < 100; index++) history.append(0, index / 1000, 1);
    const { xs } = history.window(0);
    assert.equal(xs.length, 100, `${before} before: the window reaches back past the restart`);
    for (let index = 100; index < 40 * CHUNK_POINTS; index++) history.append(0, index / 1000, 1);
    assert.ok(history.bytes <= maxBytes, `${before} before: ${history.bytes} bytes held`);
    assert.equal(history.lastX(0), (40 * CHUNK_POINTS - 1) / 1000);
  }
});

Deno.test("a point a little back that opens a chunk is no restart and leaves the last x", () => {
  const history = unbounded(1, 10);
  for (let index = 0; index < CHUNK_POINTS; index++) history.append(0, index, 0);
  history.append(0, CHUNK_POINTS - 5.5, 1);
  assert.equal(history.lastX(0), CHUNK_POINTS - 1);
  const { xs } = history.window(0);
  assert.equal(xs[xs.length - 1], CHUNK_POINTS - 1);
  assert.ok(xs.includes(CHUNK_POINTS - 5.5), "the late point is in the window");
  assertSorted(xs, "window");
});

Deno.test("a seconds window reaches back past a chunk begun by a late point, however far", () => {
  const history = unbounded(1, 10);
  for (let index = 0; index < CHUNK_POINTS; index++) history.append(0, index, 0);
  // Later than the window (a device's own clock): it opens a chunk of its own.
  history.append(0, CHUNK_POINTS - 100, 1);
  const last = CHUNK_POINTS - 1;
  const expected = Array.from({ length: 11 }, (_, index) => last - 10 + index);
  assert.deepEqual([...history.window(0).xs], expected, "the full chunk's last 10 s");
  // Then two chunks hold x before the window's start but one before them reaches into it.
  for (let index = 0; index < CHUNK_POINTS - 1; index++) history.append(0, last - 99, 2);
  history.append(0, last - 98, 3);
  assert.deepEqual([...history.window(0).xs], expected, "through a chunk of late points");
  for (let index = 1; index <= 3; index++) history.append(0, last + index, 0);
  assert.deepEqual(
    [...history.window(0).xs],
    Array.from({ length: 11 }, (_, index) => last - 7 + index),
    "and on as x goes on",
  );
});

Deno.test("M4 keeps every column's points for spans of a few subnormals and spans past 1e308", () => {
  const tiny = unbounded(1);
  for (let y = 0; y < 5; y++) tiny.append(0, 0, y);
  tiny.append(0, 5e-324, 9);
  // x times columns / span overflowed: the points at `from` fell in no column.
  const near = tiny.range(0, 0, 5e-324, 1);
  assert.ok(near.reduced);
  assert.deepEqual([[...near.xs], [...near.ys]], [[0, 5e-324], [0, 9]]);
  const wide = unbounded(1);
  for (const [x, y] of [[-5e307, 5], [-4e307, 6], [-3e307, 4]]) wide.append(0, x!, y!);
  for (let x = 0; x < 10; x++) wide.append(0, x, x % 3);
  wide.append(0, 1e308, -1);
  // The span overflows: every point fell in the first column.
  const all = wide.range(0, -1e308, 1e308, 2);
  assert.ok(all.reduced);
  assert.deepEqual([...all.xs], [-5e307, -4e307, -3e307, 0, 2, 1e308], "a column each half");
});

Deno.test("a long range is made in steps that pause, and points appended meanwhile are not seen", () => {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 10 });
  const count = 200 * CHUNK_POINTS + 100;
  for (let x = 0; x < count; x++) history.append(0, x, Math.sin(x / 500) * (x % 13));
  const whole = history.range(0, 0, count, 1000);
  const steps = history.rangeSteps(0, 0, count, 1000);
  let pauses = 0;
  let step = steps.next();
  while (!step.done) {
    pauses++;
    // The open chunk goes on filling, and new chunks begin, between steps.
    for (let k = 0; k < 5000; k++) history.append(0, count - 0.5, 1e6);
    step = steps.next();
  }
  assert.ok(pauses >= 3, `${pauses} pauses for ${count} points`);
  assert.deepEqual(step.value, whole);
});

Deno.test("setWindow: a stream whose x is not time keeps a points window, not x units", () => {
  const history = unbounded(1, 60);
  for (let x = 1; x <= 300; x++) history.append(0, x, x);
  assert.equal(history.window(0).xs.length, 61, "60 x units: 61 points of an index");
  history.setWindow({ windowPoints: 200 });
  assert.equal(history.window(0).xs.length, 200);
  assert.equal(history.window(0).xs[0], 101);
  history.setWindow({ windowPoints: 1, windowSeconds: 10 });
  assert.equal(history.window(0).xs.length, 11);
});
