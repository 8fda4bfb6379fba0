/**
 * The page's layout in a real Chromium with vmstat-like input (17 columns
 * of very different ranges): split chosen, labels readable (read through
 * uPlot's API, not a screenshot), the window filled, the legend as a
 * control, URL state, dark mode, a 390 px phone and awkward series names.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  type Browser,
  launchBrowser,
  readPage,
  sleep,
  startFedServer,
  waitForPage,
} from "./browser.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };

const VMSTAT_HEADER =
  "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n" +
  " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n";
const VMSTAT_NAMES = VMSTAT_HEADER.split("\n")[1]?.trim().split(/\s+/) ?? [];

/** One vmstat-like sample: `free` around 22 million, cpu columns 0–100. */
function vmstatLine(i: number): string {
  return [
    i % 3,
    i % 2,
    0,
    22_000_000 + 1000 * (i % 17),
    1_200_000 + 40 * i,
    10_500_000 + 700 * (i % 13),
    0,
    0,
    (37 * i) % 500,
    (91 * i) % 800,
    900 + (i % 50),
    1800 + (i % 90),
    10 + (i % 7),
    3 + (i % 2),
    85 - (i % 9),
    i % 2,
    0,
  ].join(" ") + "\n";
}

/** Feeds `count` samples spread over about `ms` milliseconds. */
async function feedVmstat(write: (text: string) => Promise<void>, count: number, ms: number) {
  await write(VMSTAT_HEADER);
  for (let i = 0; i < count; i++) {
    await write(vmstatLine(i));
    await sleep(ms / count);
  }
}

/** What each chart's axes show, measured in the page. */
interface AxisReport {
  names: string[];
  axes: {
    scale: string;
    labels: string[];
    /** Widest label, in CSS pixels, in the axis font. */
    widest: number;
    /** The axis gutter (width for y, height for x). */
    size: number;
    /** Smallest distance between neighbouring tick positions, in CSS pixels. */
    spacing: number;
    /** Right edge of the last label (centred on its tick), in CSS pixels from the chart's left. */
    lastRight: number;
    /** Left edge of the first label, in CSS pixels from the chart's left. */
    firstLeft: number;
  }[];
  /** The plot area's left edge, in CSS pixels. */
  left: number;
  /** The x range shown. */
  x: [number, number];
  width: number;
  height: number;
}

function axisReport(page: Page): Promise<AxisReport[]> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const { liveplot, document, devicePixelRatio } = globalThis as any;
    const context = document.createElement("canvas").getContext("2d");
    // deno-lint-ignore no-explicit-any
    return liveplot.charts.map((u: any, index: number) => ({
      names: liveplot.groups[index],
      width: u.width,
      height: u.height,
      // deno-lint-ignore no-explicit-any
      axes: u.axes.filter((axis: any) => axis.show !== false).map((axis: any) => {
        context.font = axis.font[0];
        const labels: string[] = axis._values ?? [];
        const widest = Math.max(
          0,
          ...labels.flatMap((label) =>
            String(label).split("\n").map((line) => context.measureText(line).width)
          ),
        );
        const positions = (axis._splits ?? []).map((value: number) =>
          u.valToPos(value, axis.scale, false)
        );
        let spacing = Infinity;
        for (let i = 1; i < positions.length; i++) {
          spacing = Math.min(spacing, Math.abs(positions[i] - positions[i - 1]));
        }
        const lastLabel = String(labels.at(-1) ?? "").split("\n")[0] ?? "";
        const lastRight = (u.bbox.left / devicePixelRatio) + (positions.at(-1) ?? 0) +
          context.measureText(lastLabel).width / 2;
        const firstLabel = String(labels[0] ?? "").split("\n")[0] ?? "";
        const firstLeft = (u.bbox.left / devicePixelRatio) + (positions[0] ?? 0) -
          context.measureText(firstLabel).width / 2;
        return {
          scale: axis.scale,
          labels,
          widest,
          size: axis._size,
          spacing,
          lastRight,
          firstLeft,
        };
      }),
      left: u.bbox.left / devicePixelRatio,
      x: [u.scales.x.min, u.scales.x.max],
    }));
  });
}

/** Relative luminance of `rgb(…)`/`hsl(…)` text, computed by the browser. */
function luminances(page: Page, colors: string[]): Promise<number[]> {
  return page.evaluate((colors) => {
    // deno-lint-ignore no-explicit-any
    const { document, getComputedStyle } = globalThis as any;
    const probe = document.createElement("span");
    document.body.append(probe);
    const result = colors.map((color: string) => {
      probe.style.color = color;
      const [r, g, b] = getComputedStyle(probe).color.match(/[\d.]+/g).map(Number);
      const channel = (c: number) => {
        const v = c / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    });
    probe.remove();
    return result;
  }, colors);
}

/** Runs `check` until it passes (the page settles on its next frames), for up to `ms`. */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** The page's series colours for `count` series, in order. */
function paletteOf(page: Page, count: number): Promise<string[]> {
  return page.evaluate(async (count) => {
    const { seriesColor } = await import("/static/modules/colors.js");
    return Array.from({ length: count }, (_, i) => seriesColor(i));
  }, count);
}

Deno.test({
  name: "vmstat-like input",
  ...browserTest,
  async fn(t) {
    await using server = await startFedServer();
    const feeding = feedVmstat(server.write, 60, 1200);
    await using browser: Browser = await launchBrowser([], {
      viewport: { width: 1600, height: 900 },
    });
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await feeding;
    await waitForPage(
      page,
      (state) => state.series.length === 17 && state.series.every((s) => s.points === 60),
      "17 series of 60 points",
    );

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

    await t.step("at least 20 distinct colours, readable in light and dark", async () => {
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const palette = await paletteOf(page, 20);
        assert.equal(new Set(palette).size, 20, `${scheme}: 20 distinct colours`);
        const background = await page.evaluate(() =>
          // deno-lint-ignore no-explicit-any
          (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor
        );
        const [back = 0, ...lums] = await luminances(page, [background, ...palette]);
        assert.ok(
          scheme === "dark" ? back < 0.05 : back > 0.9,
          `${scheme} background ${background}`,
        );
        for (const [i, lum] of lums.entries()) {
          assert.ok(contrast(lum, back) >= 2.5, `${scheme}: colour ${palette[i]} on ${background}`);
        }
      }
      await page.emulateMedia({ colorScheme: "light" });
    });

    await t.step("dark mode draws light labels on a dark page", async () => {
      const { page: target } = await browser.newPage();
      await target.emulateMedia({ colorScheme: "dark" });
      await target.setViewportSize({ width: 1600, height: 900 });
      await target.goto(server.url.href);
      await waitForPage(
        target,
        (state) => state.chart !== null && state.series.length === 17,
        "dark",
      );
      const colors = await target.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { liveplot, getComputedStyle, document } = globalThis as any;
        return {
          background: getComputedStyle(document.body).backgroundColor,
          axis: liveplot.chart.axes[1].stroke(liveplot.chart, 1),
          text: getComputedStyle(document.getElementById("status")).color,
        };
      });
      const [background = 0, axis = 0, text = 0] = await luminances(target, [
        colors.background,
        colors.axis,
        colors.text,
      ]);
      assert.ok(background < 0.05, `background ${colors.background}`);
      assert.ok(contrast(axis, background) >= 7, `axis labels ${colors.axis}`);
      assert.ok(contrast(text, background) >= 4.5, `status ${colors.text}`);
      await target.close();
    });

    await t.step(
      "a 390 px phone: no sideways scrolling, charts as wide as the screen",
      async () => {
        const { page: phone } = await browser.newPage();
        await phone.setViewportSize({ width: 390, height: 844 });
        await phone.goto(server.url.href);
        await waitForPage(
          phone,
          (state) => state.chart !== null && state.series.length === 17,
          "phone",
        );
        const layout = await phone.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const { liveplot, document } = globalThis as any;
          const controls = [...document.querySelectorAll("#toolbar button, #toolbar input")];
          return {
            scrollWidth: document.documentElement.scrollWidth,
            // deno-lint-ignore no-explicit-any
            widths: liveplot.charts.map((u: any) => u.width),
            // deno-lint-ignore no-explicit-any
            offscreen: controls.filter((e: any) => e.getBoundingClientRect().right > 390).length,
          };
        });
        assert.ok(layout.scrollWidth <= 390, `page ${layout.scrollWidth} px wide`);
        assert.ok(layout.widths.every((w: number) => w >= 340 && w <= 390), `${layout.widths}`);
        assert.equal(layout.offscreen, 0, "every control on screen");
        await eventually(async () => {
          for (const chart of await axisReport(phone)) {
            for (const axis of chart.axes.slice(1)) {
              assert.ok(
                axis.widest <= axis.size - 6,
                `${chart.names}: ${axis.widest} in ${axis.size}`,
              );
            }
          }
        });
        await phone.close();
      },
    );

    await t.step("series names with braces, spaces and UTF-8 are shown as sent", async () => {
      await using server = await startFedServer();
      const names = ["a {b", "c d", "température", "日本"];
      for (let i = 0; i < 5; i++) {
        const record = Object.fromEntries(names.map((name, k) => [name, i * (k + 1)]));
        await server.write(JSON.stringify(record) + "\n");
      }
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      const state = await waitForPage(
        page,
        (state) =>
          state.series.length === 4 && state.series.every((s) => s.points === 5) &&
          state.chart?.labels.length === 5,
        "four named series",
      );
      assert.deepEqual(state.series.map((s) => s.name), names);
      for (const name of names) {
        assert.ok(await page.getByRole("button", { name, exact: true }).isVisible(), name);
      }
      assert.deepEqual(state.chart?.labels.slice(1), names);
      const csv = await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.csv()
      );
      assert.equal(csv.split("\n")[0], "time,a {b,c d,température,日本");
      assert.deepEqual(problems, []);
      await page.close();
    });

    assert.deepEqual(problems, []);
  },
});
