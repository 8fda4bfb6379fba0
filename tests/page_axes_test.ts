/**
 * The y axis at every magnitude a user sends, in a real Chromium against the
 * real server: labels at the ticks, with SI prefixes within yocto to yotta
 * and powers of ten beyond.
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser, startFedServer } from "./browser.ts";
import { TICK_STEPS, tickSplits } from "../static/modules/format.js";

Deno.test("tick steps reach 5e307; ticks are multiples of the step at any magnitude", () => {
  assert.equal(TICK_STEPS.at(-1), 5e307);
  assert.ok(TICK_STEPS.includes(1e-32) && TICK_STEPS.includes(2.5e-7));
  assert.deepEqual(tickSplits(6e32, 9.4e33, 2e33), [2e33, 4e33, 6e33, 8e33]);
  assert.deepEqual(tickSplits(-0.25, 0.3, 0.1), [-0.2, -0.1, 0, 0.1, 0.2, 0.30000000000000004]);
  assert.deepEqual(tickSplits(1, 0, 1), [], "an empty range has none");
});

Deno.test({
  name: "the y axis is labelled for values from femto to 1e200 (uPlot alone: to 5e31)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using browser = await launchBrowser();
    for (
      const [scale, labels] of [
        [1e-15, ["1f", "2f", "3f", "4f", "5f", "6f", "7f", "8f", "9f"]],
        [1e33, ["1e+33", "2e+33", "3e+33", "4e+33", "5e+33", "6e+33", "7e+33", "8e+33", "9e+33"]],
        [1e200, [
          "1e+200",
          "2e+200",
          "3e+200",
          "4e+200",
          "5e+200",
          "6e+200",
          "7e+200",
          "8e+200",
          "9e+200",
        ]],
      ] as const
    ) {
      await using server = await startFedServer({ x: { kind: "index" } });
      const lines = Array.from({ length: 60 }, (_, i) => `v=${(1 + (i % 9)) * scale}\n`);
      await server.write(lines.join(""));
      const { page, problems } = await browser.newPage();
      await page.goto(new URL("/", server.url).href);
      await page.waitForFunction(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart?.data[0].length >= 60
      );
      const shown = await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart.axes[1]._values
      );
      assert.deepEqual(shown, labels, `${scale}`);
      assert.deepEqual(problems, []);
      await page.close();
    }
  },
});

Deno.test({
  name:
    "values near the largest double are drawn in a finite y range, labelled (its margin overflowed)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using browser = await launchBrowser();
    for (
      const values of [[1.75e308], [1.7e308, 1.75e308], [-1.75e308, -1.7e308], [-8e307, 8e307]]
    ) {
      await using server = await startFedServer({ x: { kind: "index" } });
      await server.write(values.map((v) => `v=${v}\n`).join("").repeat(10));
      const { page, problems } = await browser.newPage();
      await page.goto(new URL("/", server.url).href);
      await page.waitForFunction(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart?.data[0].length >= 10
      );
      const { min, max, labels, top, bottom, height } = await page.evaluate((values) => {
        // deno-lint-ignore no-explicit-any
        const chart = (globalThis as any).liveplot.chart;
        return {
          ...chart.scales.y,
          labels: chart.axes[1]._values,
          top: chart.valToPos(Math.max(...values), "y"),
          bottom: chart.valToPos(Math.min(...values), "y"),
          // deno-lint-ignore no-explicit-any
          height: chart.bbox.height / (globalThis as any).devicePixelRatio,
        };
      }, values);
      assert.ok(
        Number.isFinite(min) && Number.isFinite(max) && max > min,
        `${values}: ${min}..${max}`,
      );
      assert.ok(min <= Math.min(...values) && max >= Math.max(...values), `${values} in view`);
      assert.ok(
        top >= 0 && bottom <= height && (values.length === 1 || top < bottom - 1),
        `${values}: ${top}..${bottom} of ${height}`,
      );
      assert.ok(labels?.length > 0, `${values}: labels ${labels}`);
      assert.deepEqual(problems, []);
      await page.close();
    }
  },
});

Deno.test({
  name: "a lone sample is drawn as a dot (a line needs two); two samples are a line without dots",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using browser = await launchBrowser();
    for (const [input, dotted] of [["42\n", true], ["42\n43\n", false]] as const) {
      await using server = await startFedServer({ x: { kind: "index" } });
      await server.write(input);
      const { page, problems } = await browser.newPage();
      await page.goto(new URL("/", server.url).href);
      const rows = input.trim().split("\n").length;
      await page.waitForFunction((rows) =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart?.data[0].length >= rows, rows);
      const drawn = await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart.series[1].points._paths != null
      );
      assert.equal(drawn, dotted, input);
      assert.deepEqual(problems, []);
      await page.close();
    }
  },
});
