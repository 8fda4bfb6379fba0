/**
 * Outages on the page: the rule that breaks a series' line where it fell
 * silent for much longer than usual (run in Deno: steady and jittery rates,
 * the floor, the server's M4-reduced history, the store kept up to date as
 * points arrive, are inserted, replaced and trimmed), and in a real Chromium
 * against the real server: a pushed series that pauses is drawn with a
 * break there and nowhere else, and a series beside it that kept going is
 * drawn whole.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  isOutage,
  MIN_INTERVALS,
  OUTAGE_FACTOR,
  OUTAGE_FLOOR_SECONDS,
  outageFloor,
  Outages,
  outagesIn,
} from "../static/modules/outages.js";
import { Store } from "../static/modules/store.js";
import { History } from "../stream/history.ts";
import { launchBrowser, startFedServer, waitForPage } from "./browser.ts";

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** x values from `start`, `count` of them `step` apart, each moved by up to ±`jitter` of a step. */
function steady(start: number, step: number, count: number, jitter = 0, seed = 1): number[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => start + step * (i + (next() - 0.5) * jitter));
}

/** The outages of `xs` judged in one pass. */
function outagesOf(xs: number[], floor = OUTAGE_FLOOR_SECONDS): number[] {
  const outages = new Outages();
  outages.scan(xs, floor);
  return outages.spans;
}

Deno.test("a steady rate, even with jitter, has no outage anywhere", () => {
  for (const step of [0.001, 0.1, 1, 15, 3600]) {
    assert.deepEqual(outagesOf(steady(1.7e9, step, 5000)), [], `every ${step} s`);
    assert.deepEqual(outagesOf(steady(1.7e9, step, 5000, 0.8, step)), [], `jittery, ${step} s`);
  }
});

Deno.test("a pause much longer than the usual interval is one outage, from the last point to the next", () => {
  const before = steady(1.7e9, 1, 50);
  const after = steady(1.7e9 + 49 + 60, 1, 50);
  const xs = [...before, ...after];
  assert.deepEqual(outagesOf(xs), [before.at(-1), after[0]]);
  // The rule itself: just over OUTAGE_FACTOR usual intervals breaks, just under does not.
  const paused = (interval: number) => [...steady(0, 2, 40), 78 + interval];
  assert.equal(isOutage(paused(2 * OUTAGE_FACTOR + 0.1), 40), true);
  assert.equal(isOutage(paused(2 * OUTAGE_FACTOR - 0.1), 40), false);
});

Deno.test("a fast stream's hiccup under the floor is no outage; a longer silence is", () => {
  const fast = (
    pause: number,
  ) => [...steady(0, 0.01, 200), 1.99 + pause, ...steady(2 + pause, 0.01, 200)];
  assert.deepEqual(outagesOf(fast(OUTAGE_FLOOR_SECONDS * 0.8)), []);
  assert.equal(outagesOf(fast(OUTAGE_FLOOR_SECONDS * 3)).length, 2);
});

Deno.test("a series' first points have no usual interval: no outage before there are enough", () => {
  const start = [0, 1, 2, 3, 4].slice(0, MIN_INTERVALS);
  assert.deepEqual(outagesOf([...start, 1000]), []);
  assert.deepEqual(outagesOf([...steady(0, 1, MIN_INTERVALS + 1), 1000]), [MIN_INTERVALS, 1000]);
});

Deno.test("a second outage soon after the first is found too", () => {
  const xs = [...steady(0, 1, 40), ...steady(100, 1, 5), ...steady(200, 1, 40)];
  assert.deepEqual(outagesOf(xs), [39, 100, 104, 200]);
});

Deno.test("only a time axis has outages: the demo, an index and a measured x never break", () => {
  assert.equal(outageFloor("time"), OUTAGE_FLOOR_SECONDS);
  assert.equal(outageFloor("number"), null);
  assert.equal(outageFloor("index"), null);
  const store = new Store();
  const series = store.get("y");
  for (const x of [...steady(0, 1, 50), ...steady(500, 1, 50)]) store.add(series, x, 1);
  store.update(outageFloor("number"));
  assert.deepEqual(series.outages.spans, []);
  store.update(outageFloor("time"));
  assert.deepEqual(series.outages.spans, [49, 500]);
});

Deno.test("the server's M4-reduced history breaks only where the raw points did", () => {
  const history = new History({ maxBytes: Number.MAX_SAFE_INTEGER, windowPoints: 1 });
  const next = random(7);
  // Ten points a second of noise for two hours, silent from 3000 s to 3600 s.
  for (let x = 0; x < 7200; x += 0.1) {
    if (x < 3000 || x >= 3600) history.append(0, x, next() * 100 + (next() < 0.01 ? 500 : 0));
  }
  for (const width of [300, 1000, 1600, 4000]) {
    const { xs, reduced } = history.range(0, 0, 7200, width);
    assert.ok(reduced, `reduced to ${width} columns`);
    const spans = outagesOf(Array.from(xs));
    assert.equal(spans.length, 2, `one outage at ${width} columns: ${spans}`);
    assert.ok(Math.abs(spans[0]! - 3000) < 0.2 && Math.abs(spans[1]! - 3600) < 0.2, `${spans}`);
  }
});

Deno.test("the store keeps outages as points arrive, are inserted, replaced and trimmed", () => {
  const next = random(3);
  const xs = [
    ...steady(1000, 1, 300, 0.5, 4),
    ...steady(1400, 1, 300, 0.5, 5),
    ...steady(1800, 1, 300, 0.5, 6),
  ];
  const store = new Store();
  const series = store.get("a");
  // A neighbour at other x, steady throughout: its cells in a's rows are empty, not outages.
  const other = store.get("b");
  const steadyXs = steady(1000.5, 0.7, 1500);
  let [i, j] = [0, 0];
  while (i < xs.length) {
    const batch = 1 + Math.floor(next() * 40);
    for (const x of xs.slice(i, i + batch)) store.add(series, x, 1);
    i += batch;
    for (; j < steadyXs.length && steadyXs[j]! <= xs[i - 1]!; j++) {
      store.add(other, steadyXs[j]!, 2);
    }
    store.update(OUTAGE_FLOOR_SECONDS);
    assert.deepEqual(series.outages.spans, outagesOf(series.xs), `after ${i} points`);
  }
  assert.equal(series.outages.spans.length, 4);
  assert.deepEqual(other.outages.spans, []);

  // A late point inside the first outage, then history replacing the second: judged again.
  store.add(series, 1350, 1);
  store.update(OUTAGE_FLOOR_SECONDS);
  assert.deepEqual(series.outages.spans, outagesOf(series.xs));
  assert.equal(series.outages.spans.length, 6, "the late point splits the first outage in two");
  const filler = steady(1690.5, 1, 120);
  store.replace(series, 1690, 1810, filler, filler.map(() => 1));
  store.update(OUTAGE_FLOOR_SECONDS);
  assert.deepEqual(series.outages.spans, outagesOf(series.xs));
  assert.deepEqual(series.outages.spans.slice(2), [1350, series.xs[series.search(1350) + 1]]);

  // Trimming forgets the outages that end before what is held; new points are still judged.
  store.trim(series, series.length - series.search(1350), 1);
  store.update(OUTAGE_FLOOR_SECONDS);
  assert.equal(series.xs[0], 1350);
  assert.deepEqual(series.outages.spans, [1350, series.xs[1]]);
  for (const x of steady(2500, 1, 50)) store.add(series, x, 1);
  store.update(OUTAGE_FLOOR_SECONDS);
  assert.deepEqual(series.outages.spans.slice(-2), [series.xs.at(-51), 2500]);
});

Deno.test("outagesIn finds the outages that overlap a range", () => {
  const spans = [10, 20, 30, 40, 50, 60];
  assert.deepEqual(outagesIn(spans, 0, 100), [0, 6]);
  assert.deepEqual(outagesIn(spans, 20, 30), [2, 2], "touching ends do not overlap");
  assert.deepEqual(outagesIn(spans, 35, 55), [2, 6]);
  assert.deepEqual(outagesIn(spans, 61, 70), [6, 6]);
  assert.deepEqual(outagesIn([], 0, 1), [0, 0]);
});

const TOKEN = "page-outages-token-0123456789";

/** Pushes `lines` to stream `name` of the server at `base`. */
async function push(base: URL, name: string, lines: string[]): Promise<void> {
  const response = await fetch(new URL(`/s/${name}`, base), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: lines.join("\n") + "\n",
  });
  await response.body?.cancel();
  assert.equal(response.status, 200, `push to /s/${name}`);
}

/**
 * Canvas pixels of chart `index` in `color` (a CSS colour) in the pixel
 * column at `x`, read in the page: how much of a line crosses there.
 */
function pixelsAt(page: import("playwright-core").Page, x: number, color: string) {
  return page.evaluate(({ x, color }) => {
    // deno-lint-ignore no-explicit-any
    const { liveplot, document } = globalThis as any;
    const u = liveplot.chart;
    const probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = color;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const column = Math.round(u.valToPos(x, "x", true));
    const { data } = u.ctx.getImageData(column, 0, 1, u.ctx.canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b);
      if (data[i + 3] > 60 && near < 60) count++;
    }
    return count;
  }, { x, color });
}

Deno.test({
  name: "a pushed series that pauses is drawn with a break there and nowhere else",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using browser = await launchBrowser();
    await using server = await startFedServer({ token: TOKEN });
    // One point a second with explicit timestamps: v is silent for two minutes, w goes on.
    const start = Math.floor(Date.now() / 1000) - 600;
    const lines = [];
    for (let i = 0; i < 200; i++) {
      const v = i < 40 || i >= 160 ? ` v=${10 + (i % 4)}` : "";
      lines.push(`t=${start + i}${v} w=${1 + (i % 3)}`);
    }
    await push(server.url, "lab", lines);
    const { page, problems } = await browser.newPage();
    await page.goto(new URL("/s/lab", server.url).href);
    const shown = await waitForPage(
      page,
      (state) =>
        state.series.map((s) => s.points).join() === "80,200" && state.chart !== null &&
        state.groups.flat().length === 2,
      "v's 80 points and w's 200, drawn",
    );
    assert.deepEqual(shown.series.map((s) => s.name), ["v", "w"]);
    assert.deepEqual(shown.groups, [["v", "w"]], "one chart");
    assert.equal(shown.chart?.timeAxis, true);
    const outages = await page.evaluate(() =>
      // deno-lint-ignore no-explicit-any
      ["v", "w"].map((name) => (globalThis as any).liveplot.outages(name))
    );
    assert.deepEqual(outages, [[start + 39, start + 160], []]);

    // What uPlot drew: v's line breaks from its last point before the pause to its first after.
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).liveplot.drawnGaps(0)?.[0]?.length === 1,
      null,
      { timeout: 10_000 },
    );
    const drawn = await page.evaluate(({ from, to }) => {
      // deno-lint-ignore no-explicit-any
      const { liveplot } = globalThis as any;
      const u = liveplot.chart;
      return {
        gaps: liveplot.drawnGaps(0),
        want: [u.valToPos(from, "x", true), u.valToPos(to, "x", true)],
      };
    }, { from: start + 39, to: start + 160 });
    assert.deepEqual(drawn.gaps, [[drawn.want], []]);

    // And on the canvas: within the pause, w's line and none of v's; before it, v's line.
    const [v, w] = shown.series.map((s) => s.color) as [string, string];
    assert.equal(await pixelsAt(page, start + 100.5, v), 0, "no line of v across the pause");
    assert.ok(await pixelsAt(page, start + 100.5, w) > 0, "w's line goes on");
    assert.ok(await pixelsAt(page, start + 20.5, v) > 0, "v's line before the pause");
    assert.ok(await pixelsAt(page, start + 180.5, v) > 0, "v's line after the pause");
    assert.deepEqual(problems, []);
    await page.close();
  },
});
