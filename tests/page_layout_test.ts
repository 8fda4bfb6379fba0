/**
 * The page's layout in a real Chromium with vmstat-like input (17 columns
 * of very different ranges): split chosen, labels readable (read through
 * uPlot's API, not a screenshot), the window filled, the legend as a
 * control, URL state, the second axis. How it looks (colours, dark mode, a
 * phone, awkward names): page_look_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { readPage, waitForPage } from "./browser.ts";
import { axisReport, eventually, openVmstatPage, paletteOf, VMSTAT_NAMES } from "./vmstat_page.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "vmstat-like input",
  ...browserTest,
  async fn(t) {
    await using opened = await openVmstatPage();
    const { server, browser, page, problems } = opened;

    await t.step(
      "the page splits, the charts fill the window, every label is readable",
      async () => {
        const state = await waitForPage(page, (state) => state.split, "split chosen by itself");
        assert.deepEqual(state.series.map((s) => s.name), VMSTAT_NAMES);
        assert.ok(state.groups.length >= 3, `groups: ${JSON.stringify(state.groups)}`);
        assert.deepEqual(
          state.groups.flat().sort(),
          [...VMSTAT_NAMES].sort(),
          "every series shown",
        );
        const free = state.groups.find((group) => group.includes("free")) ?? [];
        assert.ok(!free.includes("us") && !free.includes("id"), "free is not drawn with the cpu %");
        // The toolbar shows it on the page's next status refresh.
        await page.waitForFunction(
          // deno-lint-ignore no-explicit-any
          () => (globalThis as any).document.getElementById("split").ariaPressed === "true",
          null,
          { timeout: 10_000 },
        );
        assert.equal(await page.getByRole("button", { name: "Start Plot" }).isVisible(), false);

        const box = await page.locator("#placeholder").boundingBox();
        assert.ok(box && box.width >= 0.85 * 1600, `charts ${box?.width} px wide`);
        // On a busy machine the charts may still be laying out: check until they settle.
        await eventually(() => labelsReadable(page));
        assert.ok(
          (await readPage(page)).legend.includes("22000000"),
          `the legend keeps every digit: ${(await readPage(page)).legend}`,
        );
      },
    );

    await t.step(
      "stacked charts share one left edge and one x range; no x label is cut",
      async () => {
        await eventually(async () => {
          const charts = await axisReport(page);
          assert.ok(charts.length >= 3);
          const lefts = new Set(charts.map((chart) => chart.left));
          assert.equal(lefts.size, 1, `plot areas start at ${[...lefts]}`);
          const ranges = new Set(charts.map((chart) => JSON.stringify(chart.x)));
          assert.equal(ranges.size, 1, `x ranges ${[...ranges]}`);
          const x = charts.at(-1)?.axes[0];
          assert.ok(x && x.firstLeft >= 0, `the first x label starts at ${x?.firstLeft}`);
        });
      },
    );

    await t.step(
      "a series has one colour in every chart, the legend and the combined chart",
      async () => {
        // The combined chart's colours: series number i (arrival order) takes palette colour i.
        const palette = await paletteOf(page, VMSTAT_NAMES.length);
        const drawn = await page.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const { liveplot } = globalThis as any;
          // deno-lint-ignore no-explicit-any
          return liveplot.charts.flatMap((u: any) =>
            // deno-lint-ignore no-explicit-any
            u.series.slice(1).map((s: any) => [s.label, s.stroke()])
          );
        });
        assert.ok((await readPage(page)).groups.length >= 3, "split");
        const expected = VMSTAT_NAMES.map((name, i) => `${name} ${palette[i]}`);
        assert.deepEqual(
          drawn.map(([name, color]: string[]) => `${name} ${color}`).sort(),
          expected.sort(),
          "each chart draws the combined chart's colours",
        );
        const { series } = await readPage(page);
        assert.deepEqual(series.map((s) => s.color), palette, "the legend's colours");
      },
    );

    async function labelsReadable(page: Page) {
      const charts = await axisReport(page);
      const height = charts.reduce((sum, chart) => sum + chart.height, 0);
      assert.ok(height >= 450, `charts ${height} px high in all`);
      for (const chart of charts) {
        assert.ok(chart.width >= 0.85 * 1600, `${chart.names} is ${chart.width} px wide`);
        const [x, ...ys] = chart.axes;
        for (const y of ys) {
          assert.ok(y.labels.length >= 2, `${chart.names}: ${y.labels.length} y labels`);
          assert.equal(new Set(y.labels).size, y.labels.length, `distinct: ${y.labels}`);
          assert.ok(
            y.labels.every((label) => /^-?[\d.]+[kMGTµnpm]?$/.test(label)),
            `${y.labels}`,
          );
          assert.ok(y.widest <= y.size - 6, `${chart.names}: labels ${y.widest} px in ${y.size}`);
          assert.ok(y.labels.every((label) => label.length <= 7), `short: ${y.labels}`);
        }
        if (chart === charts.at(-1)) {
          assert.ok(x && x.labels.length >= 3, "the bottom chart has x labels");
          assert.ok(
            x.labels.every((label) => /^\d\d:\d\d:\d\d(\.\d+)?(\n\d{4}-\d\d-\d\d)?$/.test(label)),
            `wall-clock x labels: ${x.labels}`,
          );
          assert.ok(x.widest < x.spacing, `x labels ${x.widest} px apart ${x.spacing}`);
          assert.ok(x.lastRight <= chart.width, `the last x label ends at ${x.lastRight}`);
        }
      }
      const freeChart = charts.find((chart) => chart.names.includes("free"));
      assert.ok(
        freeChart?.axes[1]?.labels.every((label) => label.endsWith("M")),
        `SI suffixes: ${freeChart?.axes[1]?.labels}`,
      );
    }

    await t.step(
      "a legend click hides a series, the URL remembers, a second shows it",
      async () => {
        const toggle = page.getByRole("button", { name: "free", exact: true });
        assert.equal(await toggle.getAttribute("aria-pressed"), "true");
        await toggle.click();
        assert.equal(await toggle.getAttribute("aria-pressed"), "false");
        let state = await waitForPage(
          page,
          (state) => !state.groups.flat().includes("free"),
          "free to leave the charts",
        );
        assert.equal(state.series.find((s) => s.name === "free")?.hidden, true);
        assert.match(page.url(), /[?&]hide=free(&|$)/);
        await toggle.click();
        state = await waitForPage(page, (s) => s.groups.flat().includes("free"), "free back");
        assert.doesNotMatch(page.url(), /hide=/);
      },
    );

    await t.step(
      "window, split, hidden series and y range round-trip through the URL",
      async () => {
        await page.getByRole("button", { name: "Split" }).click();
        await page.getByRole("button", { name: "us", exact: true }).click();
        await page.getByRole("textbox", { name: "Window" }).fill("30");
        await page.getByRole("textbox", { name: "Window" }).press("Enter");
        await page.getByRole("textbox", { name: "Y range" }).fill("0:100");
        await page.getByRole("textbox", { name: "Y range" }).press("Enter");
        const before = await waitForPage(
          page,
          (state) => !state.split && state.chart?.yMin === 0,
          "one chart with y from 0",
        );
        const url = new URL(page.url());
        assert.equal(url.searchParams.get("split"), "0");
        assert.equal(url.searchParams.get("window"), "30");
        assert.equal(url.searchParams.get("y"), "0:100");
        assert.deepEqual(url.searchParams.getAll("hide"), ["us"]);

        const { page: again } = await browser.newPage();
        await again.goto(url.href);
        const after = await waitForPage(
          again,
          (state) => state.series.length === 17 && state.chart?.data[0]?.length === 60,
          "the bookmarked view",
        );
        assert.equal(after.split, false);
        assert.equal(after.series.find((s) => s.name === "us")?.hidden, true);
        assert.equal(await again.getByRole("textbox", { name: "Window" }).inputValue(), "30");
        assert.equal(await again.getByRole("textbox", { name: "Y range" }).inputValue(), "0:100");
        const scale = await again.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const u = (globalThis as any).liveplot.chart;
          return [u.scales.y.min, u.scales.y.max];
        });
        assert.deepEqual(scale, [0, 100]);
        // 30 points of 60: the view starts at the 31st sample.
        const xs = after.chart?.data[0] ?? [];
        assert.ok(
          after.view.from >= (xs[29] ?? 0) && after.view.from <= (xs[31] ?? 0),
          `30 points: ${after.view.from} in ${xs.slice(28, 33)} of ${xs.length}`,
        );
        assert.equal(before.view.following, true);
        await again.close();
        // Back to the defaults for the next steps.
        await page.goto(server.url.href);
      },
    );

    await t.step("the combined view puts a series on a second y axis", async () => {
      // The page just reloaded: let it split by itself before asking for one chart.
      await waitForPage(page, (state) => state.split && state.series.length === 17, "split");
      await page.getByRole("button", { name: "Split" }).click();
      await waitForPage(page, (state) => !state.split, "one chart");
      await page.getByRole("button", { name: "Second axis for free" }).click();
      await waitForPage(
        page,
        (state) => state.series.find((s) => s.name === "free")?.y2 === true,
        "y2",
      );
      // The chart is rebuilt on the next frame: wait for its second axis.
      await page.waitForFunction(
        // deno-lint-ignore no-explicit-any
        () => (globalThis as any).liveplot.chart?.axes.length === 3,
        null,
        { timeout: 10_000 },
      );
      const axes = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const u = (globalThis as any).liveplot.chart;
        return {
          // deno-lint-ignore no-explicit-any
          scales: u.axes.map((axis: any) => axis.scale),
          // deno-lint-ignore no-explicit-any
          free: u.series.find((series: any) => series.label === "free").scale,
          y2: [u.scales.y2.min, u.scales.y2.max],
          y: [u.scales.y.min, u.scales.y.max],
        };
      });
      assert.deepEqual(axes.scales, ["x", "y", "y2"]);
      assert.equal(axes.free, "y2");
      assert.ok(axes.y2[0] > 20e6 && axes.y[1] < 20e6, `free alone on y2: ${JSON.stringify(axes)}`);
      assert.deepEqual(new URL(page.url()).searchParams.getAll("y2"), ["free"]);
      await page.getByRole("button", { name: "Second axis for free" }).click();
      await page.goto(server.url.href);
    });

    assert.deepEqual(problems, []);
  },
});
