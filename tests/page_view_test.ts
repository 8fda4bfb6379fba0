/**
 * Looking around while live, in a real Chromium against the real server:
 * drag and wheel zoom, pan, Live and double-click, Pause that loses
 * nothing, CSV and PNG downloads, the server's y range, scrollback through
 * the range query and gap fill after a dropped connection.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  type Browser,
  downloadOf,
  launchBrowser,
  nextFrame,
  readPage,
  sleep,
  startFedServer,
  waitForPage,
} from "./browser.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };

/** Sample i of the test stream: y = (i * 37) % 1000. */
function line(i: number): string {
  return `${(i * 37) % 1000}\n`;
}

/** The x range of the first chart's plot area in page coordinates. */
async function plotBox(page: Page) {
  const box = await page.locator("#placeholder .u-over").first().boundingBox();
  assert.ok(box, "a plot area");
  return box;
}

/** Drags across the plot from `a` to `b` (fractions of its width). */
async function drag(page: Page, a: number, b: number, modifier?: "Shift") {
  const box = await plotBox(page);
  const y = box.y + box.height / 2;
  if (modifier) await page.keyboard.down(modifier);
  await page.mouse.move(box.x + box.width * a, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((a + b) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * b, y, { steps: 4 });
  await page.mouse.up();
  if (modifier) await page.keyboard.up(modifier);
}

/**
 * The x range of the first chart. A fixed view is drawn on the page's next frame: wait
 * (with a deadline) until the chart shows it.
 */
async function xScale(page: Page): Promise<[number, number]> {
  await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const { chart, view } = (globalThis as any).liveplot;
      return view.following || (chart.scales.x.min === view.from && chart.scales.x.max === view.to);
    },
    null,
    { timeout: 10_000 },
  );
  // Following: the frames after a change draw the newest range.
  await nextFrame(page);
  await nextFrame(page);
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const u = (globalThis as any).liveplot.chart;
    return [u.scales.x.min, u.scales.x.max];
  });
}

/** Every point the page holds for series `name`. */
function pointsOf(page: Page, name: string): Promise<[number[], number[]]> {
  return page.evaluate((name) => {
    // deno-lint-ignore no-explicit-any
    return (globalThis as any).liveplot.points(name);
  }, name);
}

/** Asserts xs are first, first + 1, … with y = line(x). */
function assertContiguous(xs: number[], ys: number[], what: string) {
  for (let i = 1; i < xs.length; i++) {
    assert.equal(xs[i], (xs[0] ?? 0) + i, `${what}: no gap or duplicate at ${xs[i - 1]}`);
  }
  for (let i = 0; i < xs.length; i++) {
    assert.equal(ys[i], ((xs[i] ?? 0) * 37) % 1000, `${what}: y at ${xs[i]}`);
  }
}

Deno.test({
  name: "zoom, pan, pause and export while live",
  ...browserTest,
  async fn(t) {
    await using server = await startFedServer({
      x: { kind: "index" },
      window: { points: 50 },
      yRange: [0, 1000],
    });
    let written = 0;
    const writeLines = async (count: number) => {
      let text = "";
      for (let i = 0; i < count; i++) text += line(written++);
      await server.write(text);
    };
    await writeLines(300);
    await using browser: Browser = await launchBrowser([], {
      viewport: { width: 1200, height: 700 },
    });
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await waitForPage(
      page,
      (state) => state.series[0]?.points === 50 && state.chart?.data[0]?.length === 50,
      "the window of 50 points",
    );
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        await writeLines(2);
        await sleep(20);
      }
    })();

    await t.step("--y-range fixes the y axis; the view follows the newest 50 points", async () => {
      const state = await waitForPage(page, (s) => s.received > 60, "live points");
      const y = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const u = (globalThis as any).liveplot.chart;
        return [u.scales.y.min, u.scales.y.max];
      });
      assert.deepEqual(y, [0, 1000]);
      assert.equal(state.view.following, true);
      assert.equal(
        await page.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"),
        "true",
      );
      const [, max] = await xScale(page);
      assert.ok(max >= 300, "the view is at the moving edge");
    });

    await t.step("the Y range field shows --y-range; auto scales to the data over it", async () => {
      const field = page.locator("#y-range");
      assert.equal(await field.getAttribute("placeholder"), "0:1000");
      const yIs = (fixed: boolean) =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.chart.scales.y.max === 1000 === fixed;
      // A range that is not one is refused, saying what the field takes.
      await field.fill("50:10");
      await field.press("Enter");
      assert.equal(await field.getAttribute("aria-invalid"), "true");
      assert.match(
        await field.evaluate((input) => (input as { validationMessage: string }).validationMessage),
        /MIN:MAX/,
      );
      await field.fill("auto");
      await field.press("Enter");
      assert.equal(
        await field.evaluate((input) => (input as { validationMessage: string }).validationMessage),
        "",
      );
      await page.waitForFunction(yIs, false, { timeout: 10_000 });
      assert.equal(new URL(page.url()).searchParams.get("y"), "auto");
      await field.fill("");
      await field.press("Enter");
      await page.waitForFunction(yIs, true, { timeout: 10_000 });
      assert.equal(new URL(page.url()).searchParams.get("y"), null);
    });

    await t.step("a drag zooms and stops following; data keeps coming; Live returns", async () => {
      await drag(page, 0.3, 0.6);
      const zoomed = await waitForPage(page, (s) => !s.view.following, "a zoomed view");
      const scale = await xScale(page);
      assert.equal(
        await page.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"),
        "false",
      );
      assert.ok(scale[1] - scale[0] < 25, `zoomed to ${scale}`);
      await waitForPage(page, (s) => s.received > zoomed.received + 40, "points while zoomed");
      assert.deepEqual(await xScale(page), scale, "the zoomed view holds");
      assert.match((await readPage(page)).status, /zoomed/);

      await page.getByRole("button", { name: "Live" }).click();
      const live = await waitForPage(page, (s) => s.view.following, "following again");
      const [, max] = await xScale(page);
      assert.ok(max > scale[1] + 30, "back at the moving edge");
      assert.ok(live.view.to - live.view.from >= 45, "showing the window again");

      await drag(page, 0.2, 0.5);
      await waitForPage(page, (s) => !s.view.following, "zoomed again");
      await page.locator("#placeholder .u-over").first().dblclick();
      await waitForPage(page, (s) => s.view.following, "a double-click returns to live");
    });

    await t.step("the wheel zooms x, shift-drag and the pan buttons pan", async () => {
      const box = await plotBox(page);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const before = await xScale(page);
      await page.mouse.wheel(0, -300);
      const inState = await waitForPage(page, (s) => !s.view.following, "a wheel zoom");
      assert.ok(
        inState.view.to - inState.view.from < (before[1] - before[0]) * 0.8,
        "the wheel zoomed in",
      );
      const width = inState.view.to - inState.view.from;
      await drag(page, 0.7, 0.3, "Shift");
      const panned = await readPage(page);
      assert.ok(Math.abs(panned.view.to - panned.view.from - width) < 1e-6, "same width");
      assert.ok(panned.view.from > inState.view.from + width * 0.2, "moved right");
      await page.getByRole("button", { name: "Pan left" }).click();
      const left = await readPage(page);
      assert.ok(Math.abs(left.view.from - (panned.view.from - width / 4)) < 1e-6, "pan left");
      await page.getByRole("button", { name: "Zoom out" }).click();
      const out = await readPage(page);
      assert.ok(Math.abs(out.view.to - out.view.from - 2 * width) < 1e-6, "zoom out doubles");
      await page.getByRole("button", { name: "Live" }).click();
    });

    await t.step("Pause (space) freezes the chart; resuming shows everything", async () => {
      feeding = false;
      await feeder;
      await waitForPage(
        page,
        (s) => s.chart?.data[0]?.at(-1) === written - 1,
        "the page to catch up",
      );
      await page.locator("#placeholder").focus();
      await page.keyboard.press("Space");
      const paused = await waitForPage(page, (s) => s.view.paused, "paused");
      assert.equal(
        await page.getByRole("button", { name: "Pause" }).getAttribute("aria-pressed"),
        "true",
      );
      const before = written;
      await writeLines(40);
      await waitForPage(page, (s) => s.received === paused.received + 40, "40 points while paused");
      await sleep(100);
      assert.deepEqual((await readPage(page)).chart?.data, paused.chart?.data, "the chart holds");
      await page.keyboard.press("Space");
      const resumed = await waitForPage(
        page,
        (s) => !s.view.paused && s.chart?.data[0]?.at(-1) === written - 1,
        "the newest point after resuming",
      );
      const [xs, ys] = await pointsOf(page, "0");
      assertContiguous(xs, ys, "after resume");
      assert.ok((xs[0] ?? Infinity) <= before - 10, "the points before the pause are kept");
      assert.ok(resumed.view.following);
      assert.equal(resumed.view.to, written - 1);
    });

    await t.step("CSV downloads the points in view, PNG a picture of the chart", async () => {
      await drag(page, 0.25, 0.75);
      const state = await waitForPage(page, (s) => !s.view.following, "a zoomed view");
      const { from, to } = state.view;
      const csv = await downloadOf(page, () => page.getByRole("button", { name: "CSV" }).click());
      assert.match(csv.name, /^liveplot-.*\.csv$/);
      const lines = new TextDecoder().decode(csv.bytes).trimEnd().split("\n");
      const [xs, ys] = await pointsOf(page, "0");
      const expected = xs.flatMap((x, i) => (x >= from && x <= to ? [`${x},${ys[i]}`] : []));
      assert.equal(lines[0], "x,0");
      assert.deepEqual(lines.slice(1), expected);
      assert.ok(expected.length >= 10, `${expected.length} rows`);

      const png = await downloadOf(page, () => page.getByRole("button", { name: "PNG" }).click());
      const bytes = png.bytes;
      assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG");
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const [width, height] = [view.getUint32(16), view.getUint32(20)];
      const canvas = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const c = (globalThis as any).liveplot.chart.ctx.canvas;
        return [c.width, c.height];
      });
      assert.equal(width, canvas[0], "as wide as the chart");
      assert.ok(height > (canvas[1] ?? 0), "the chart plus title and legend");
      await page.getByRole("button", { name: "Live" }).click();
    });

    await t.step("zooming out past the window loads history from the range query", async () => {
      const first = (await pointsOf(page, "0"))[0][0] ?? 0;
      assert.ok(first > 100, `the page holds only recent points (from ${first})`);
      for (let i = 0; i < 8; i++) await page.getByRole("button", { name: "Zoom out" }).click();
      const out = await readPage(page);
      // Zooming out stops at the session's extent: from its first point (x = 0) to its newest.
      assert.equal(out.view.from, 0, `zoomed out to ${out.view.from}`);
      const newest = (await pointsOf(page, "0"))[0].at(-1) ?? 0;
      assert.ok(out.view.to <= newest, `zoomed out to ${out.view.to}, past ${newest}`);
      // Far out, history comes at the chart's pixel width, from the very first point.
      await waitForPage(page, (s) => s.chart?.data[0]?.[0] === 0, "history back to x = 0");

      // A window of 1000 points, more than the server's 50, shows every point at full detail.
      await page.getByRole("textbox", { name: "Window" }).fill("1000");
      await page.getByRole("textbox", { name: "Window" }).press("Enter");
      await waitForPage(
        page,
        (s) => s.view.following && (s.series[0]?.points ?? 0) === written,
        "every point back from history",
      );
      const [all, ys] = await pointsOf(page, "0");
      assert.equal(all[0], 0, "history reaches the first point");
      assertContiguous(all, ys, "history and live joined");
      assert.equal(new URL(page.url()).searchParams.get("window"), "1000");
    });

    await t.step("a dropped connection reconnects and fills the gap from history", async () => {
      // The 1000-point window of the step before keeps the points from before the drop.
      const before = await readPage(page);
      const lastBefore = written - 1;
      await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.drop();
      });
      await writeLines(200);
      await waitForPage(page, (s) => s.connection === "reconnecting", "the page to notice");
      const after = await waitForPage(
        page,
        (s) =>
          s.connection === "connected" && s.chart?.data[0]?.at(-1) === written - 1 &&
          s.series[0]?.points === written,
        "the page back with every point",
        10_000,
      );
      const [held, heldYs] = await pointsOf(page, "0");
      const from = held.indexOf(lastBefore - 20);
      assert.ok(from >= 0, "the points from before the drop are kept");
      assertContiguous(held.slice(from), heldYs.slice(from), "across the drop");
      assert.equal(after.received, before.received + 200, "every point counted once");
      await page.getByRole("textbox", { name: "Window" }).fill("");
      await page.getByRole("textbox", { name: "Window" }).press("Enter");
    });

    await t.step(
      "every control has its accessible name; the keyboard drives the view",
      async () => {
        for (const name of ["Pause", "Live", "Split", "CSV", "PNG", "Pan left", "Zoom in"]) {
          assert.equal(await page.getByRole("button", { name, exact: true }).count(), 1, name);
        }
        for (const name of ["Pause", "Live", "Split"]) {
          const pressed = await page.getByRole("button", { name, exact: true }).getAttribute(
            "aria-pressed",
          );
          assert.ok(pressed === "true" || pressed === "false", `${name} is a toggle`);
        }
        for (const name of ["Window", "Y range"]) {
          assert.equal(await page.getByRole("textbox", { name }).count(), 1, name);
        }
        await page.locator("#placeholder").focus();
        await page.keyboard.press("ArrowLeft");
        await waitForPage(page, (s) => !s.view.following, "← pans back");
        await page.keyboard.press("End");
        await waitForPage(page, (s) => s.view.following, "End returns to live");
        // Tab reaches the toolbar's controls in order.
        await page.getByRole("button", { name: "Pause" }).focus();
        await page.keyboard.press("Tab");
        assert.equal(await page.evaluate("document.activeElement.id"), "live");
        await page.keyboard.press("Enter");
        assert.equal(
          await page.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"),
          "true",
        );
      },
    );

    await t.step("CSV (all) links to the whole session", async () => {
      const link = page.getByRole("link", { name: "CSV (all)" });
      assert.equal(await link.getAttribute("href"), "/data.csv");
      const all = await downloadOf(page, () => link.click());
      const lines = new TextDecoder().decode(all.bytes).trimEnd().split("\n");
      assert.equal(lines.length, written + 1, "a header and every point");
    });

    assert.deepEqual(problems, []);
  },
});
