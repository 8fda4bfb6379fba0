/**
 * Split charts fit the window, in a real Chromium against the real server:
 * at 800×600, 1024×600, 1280×700, 1280×800 and 390×844 every chart of a
 * vmstat-like stream and the x labels under the last one lie within the
 * chart area, which does not scroll; a stream of 14 kinds, too many charts
 * for a short window, has neighbouring charts merged, every series still shown.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser, startFedServer, waitForPage } from "./browser.ts";
import { eventually, feedVmstat, VMSTAT_NAMES } from "./vmstat_page.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };
const SIZES = [[800, 600], [1024, 600], [1280, 700], [1280, 800], [390, 844]] as const;

/** Where the charts lie against the chart area, and what the last one labels its x with. */
function measure(page: Page) {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const { liveplot, document, devicePixelRatio } = globalThis as any;
    const area = document.getElementById("placeholder");
    const box = area.getBoundingClientRect();
    // deno-lint-ignore no-explicit-any
    const charts = liveplot.charts.map((u: any) => {
      const rect = u.root.getBoundingClientRect();
      return { top: rect.top, bottom: rect.bottom, plot: u.bbox.height / devicePixelRatio };
    });
    const last = liveplot.charts.at(-1);
    return {
      area: {
        top: box.top,
        bottom: box.bottom,
        client: area.clientHeight,
        scroll: area.scrollHeight,
      },
      charts,
      groups: liveplot.groups as string[][],
      xLabels: (last?.axes[0]._values ?? []).filter((label: string) => label !== "").length,
    };
  });
}

/**
 * Checks, until the page settles at its new size, that every chart fits and there are as many
 * as `count` allows; answers the groups.
 */
async function fits(
  page: Page,
  names: string[],
  where: string,
  count: (charts: number) => boolean = () => true,
): Promise<string[][]> {
  let groups: string[][] = [];
  await eventually(async () => {
    const shown = await measure(page);
    const what = `${where}: ${JSON.stringify(shown).slice(0, 400)}`;
    assert.ok(shown.area.scroll <= shown.area.client, `the chart area scrolls at ${what}`);
    for (const chart of shown.charts) {
      assert.ok(chart.top >= shown.area.top - 0.5, `a chart starts above the area at ${what}`);
      assert.ok(chart.bottom <= shown.area.bottom + 0.5, `a chart ends below the area at ${what}`);
      assert.ok(chart.plot >= 20, `a plot ${chart.plot} px high at ${what}`);
    }
    assert.ok(shown.xLabels >= 2, `x labels under the last chart at ${what}`);
    assert.deepEqual(shown.groups.flat().sort(), [...names].sort(), `every series at ${what}`);
    assert.ok(count(shown.groups.length), `${shown.groups.length} charts at ${what}`);
    groups = shown.groups;
  });
  return groups;
}

Deno.test({
  name: "split charts and their x labels fit the window, from 800×600 to a phone",
  ...browserTest,
  async fn() {
    await using server = await startFedServer({ window: { seconds: 60 } });
    const feeding = feedVmstat(server.write, 60, 1200);
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await feeding;
    const { groups } = await waitForPage(
      page,
      (state) =>
        state.split && state.groups.length >= 4 && state.series.every((s) => s.points === 60),
      "split into charts, every series with its 60 points",
      20_000,
    );
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      // As many charts as at first (5 here): they fit without merging.
      await fits(page, VMSTAT_NAMES, `${width}×${height}`, (charts) => charts === groups.length);
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "too many charts for a short window: neighbours merge, every series still shown",
  ...browserTest,
  async fn() {
    await using server = await startFedServer({ window: { seconds: 60 } });
    // 14 kinds (the prefix before the dot): a chart each where there is room.
    const names = Array.from({ length: 14 }, (_, k) => `d${k}.v`);
    let lines = "";
    for (let i = 0; i < 20; i++) {
      lines += JSON.stringify(Object.fromEntries(names.map((name, k) => [name, k + (i % 5)]))) +
        "\n";
    }
    await server.write(lines);
    await using browser = await launchBrowser([], { viewport: { width: 1600, height: 1200 } });
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await waitForPage(
      page,
      (state) => state.split && state.groups.length === 14,
      "a chart for each of the 14 kinds",
      20_000,
    );
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await fits(page, names, `${width}×${height}`, (charts) => charts < 14);
    }
    // Room again: a chart for each kind again.
    await page.setViewportSize({ width: 1600, height: 1200 });
    await fits(page, names, "1600×1200", (charts) => charts === 14);
    assert.deepEqual(problems, []);
  },
});
