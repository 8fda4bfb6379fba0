/**
 * The chart after the page trims what it holds: zooming out loads history,
 * Live drops it again, and a zoom in that follows must draw the points still
 * held, in a real Chromium against the real server.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser, nextFrame, sleep, startFedServer } from "./browser.ts";

/** Each chart's data length and the indexes uPlot draws between, per series. */
function drawn(page: Page): Promise<{ length: number; idxs: number[][] }[]> {
  return page.evaluate(() =>
    // deno-lint-ignore no-explicit-any
    (globalThis as any).liveplot.charts.map((u: any) => ({
      length: u.data[0].length,
      idxs: u.series.slice(1).map((series: { idxs: number[] }) => [...series.idxs]),
    }))
  );
}

Deno.test({
  name: "after history is loaded and dropped again, a zoom in draws the points held",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startFedServer({ window: { seconds: 30 } });
    // Two minutes of history at 250 points a second, then a live point every 10 ms.
    const now = Date.now();
    const rows = ["time,wave"];
    for (let t = now - 120_000; t < now; t += 4) {
      rows.push(`${new Date(t).toISOString()},${Math.sin(t / 1000).toFixed(3)}`);
    }
    await server.write(rows.join("\n") + "\n");
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        const t = Date.now();
        await server.write(`${new Date(t).toISOString()},${Math.sin(t / 1000).toFixed(3)}\n`);
        await sleep(10);
      }
    })();
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    try {
      await page.goto(new URL("/", server.url).href);
      const longAgo = (now - 60_000) / 1000;
      /** Waits until the first x the chart holds is before (or after) a minute ago. */
      const holdsFrom = (before: boolean) =>
        page.waitForFunction(
          ([longAgo, before]) => {
            // deno-lint-ignore no-explicit-any
            const first = (globalThis as any).liveplot.chart?.data[0][0] ?? Infinity;
            return before ? first < longAgo : first > longAgo;
          },
          [longAgo, before] as const,
          { timeout: 10_000 },
        );
      await page.waitForFunction(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart?.data[0].length > 100
      );
      for (let i = 0; i < 6; i++) await page.getByRole("button", { name: "Zoom out" }).click();
      await holdsFrom(true);
      await page.getByRole("button", { name: "Live" }).click();
      await page.getByRole("button", { name: "Zoom in" }).click();
      // Live dropped the history again: the chart holds fewer points, its indexes all shifted.
      await holdsFrom(false);
      await nextFrame(page);
      await nextFrame(page);
      for (const chart of await drawn(page)) {
        for (const [first, last] of chart.idxs) {
          assert.ok(
            first! <= last! && last! < chart.length,
            `drawn between ${first} and ${last} of ${chart.length} points`,
          );
        }
      }
      assert.deepEqual(problems, []);
    } finally {
      feeding = false;
      await feed;
    }
  },
});
