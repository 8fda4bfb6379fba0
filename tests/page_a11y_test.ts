/**
 * The page as a screen reader and a narrow window meet it, in a real
 * Chromium: the live region speaks only when a state changes (never with the
 * counters), the chart area is a named, described control that takes its keys,
 * and so does the page after a button was clicked, and a 200-character series name neither widens the legend nor the `/s/`
 * table past the window.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser, readPage, sleep, startFedServer, waitForPage } from "./browser.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };

/**
 * Counts, from before the page's first script, every change inside a live
 * region (`role=status|alert|log`, `aria-live` other than off), and keeps
 * the regions' texts after each change.
 */
function watchLiveRegions() {
  // deno-lint-ignore no-explicit-any
  const window = globalThis as any;
  const LIVE = '[role="status"], [role="alert"], [role="log"], [aria-live]:not([aria-live="off"])';
  window.__live = { changes: 0, texts: [] as string[] };
  // deno-lint-ignore no-explicit-any
  new window.MutationObserver((records: any[]) => {
    for (const record of records) {
      const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const region = target?.closest?.(LIVE);
      if (!region) continue;
      window.__live.changes++;
      window.__live.texts.push(region.textContent);
    }
  }).observe(window.document, { subtree: true, childList: true, characterData: true });
}

/** The live regions' changes so far. */
function liveChanges(page: Page): Promise<{ changes: number; texts: string[] }> {
  // deno-lint-ignore no-explicit-any
  return page.evaluate(() => (globalThis as any).__live);
}

/** Whether `selector` sits inside a live region. */
function inLiveRegion(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((selector) => {
    // deno-lint-ignore no-explicit-any
    const element = (globalThis as any).document.querySelector(selector);
    return Boolean(element.closest(
      '[role="status"], [role="alert"], [role="log"], [aria-live]:not([aria-live="off"])',
    ));
  }, selector);
}

Deno.test({
  name: "the live region announces state changes, not the counters that change 4 times a second",
  ...browserTest,
  async fn() {
    await using server = await startFedServer();
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage(watchLiveRegions);
    await server.write("1\n2\n");
    await page.goto(server.url.href);
    await waitForPage(page, (s) => s.connection === "connected" && s.received >= 2, "connected");
    await page.locator("#announce", { hasText: "connected" }).waitFor();
    assert.equal(await inLiveRegion(page, "#status"), false, "the counters are no live region");

    // A live stream for 3 s: the visible counters keep changing, the live region does not.
    const before = await liveChanges(page);
    const shown = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await server.write(`${i}\n`);
      shown.add((await readPage(page)).status);
      await sleep(50);
    }
    assert.ok(shown.size >= 4, `the status line kept counting: ${[...shown].join(" | ")}`);
    assert.ok([...shown].some((text) => text.includes("points/s")), "with a rate");
    assert.deepEqual(await liveChanges(page), before, "no announcement while only counters move");

    // A dropped connection and the source's end are each said, once.
    await page.evaluate(() =>
      // deno-lint-ignore no-explicit-any
      (globalThis as any).liveplot.drop()
    );
    await page.locator("#announce", { hasText: "reconnecting" }).waitFor();
    await page.locator("#announce", { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
    await server.end();
    await page.locator("#announce", { hasText: "source ended" }).waitFor();
    const { texts } = await liveChanges(page);
    // "connecting" is said when a refresh falls between a socket's open and its opening.
    assert.deepEqual(texts.filter((text) => text !== "connecting"), [
      "connected",
      "reconnecting",
      "connected",
      "connected; source ended",
    ]);
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "the /s/ page refreshes its time without announcing it",
  ...browserTest,
  async fn() {
    await using server = await startFedServer();
    await server.write("1\n");
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage(watchLiveRegions);
    await page.goto(new URL("/s/", server.url).href);
    const first = await page.locator("#status", { hasText: "updated" }).textContent();
    assert.equal(await inLiveRegion(page, "#status"), false, "the time is no live region");
    // The list refreshes every 5 s: wait for a new time (seconds differ).
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      (first) => (globalThis as any).document.getElementById("status").textContent !== first,
      first,
      { timeout: 10_000 },
    );
    assert.deepEqual(await liveChanges(page), { changes: 0, texts: [] });
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "the chart area is an application named Chart, described by its keys, and takes them",
  ...browserTest,
  async fn() {
    await using server = await startFedServer();
    for (let i = 0; i < 50; i++) await server.write(`${i}\n`);
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await waitForPage(page, (s) => s.chart?.data[0]?.length === 50, "50 points drawn");
    assert.match(await page.locator("main").ariaSnapshot(), /^ {2}- application "Chart"$/m);

    // Chromium's own accessibility tree: the role, the name and the keys as its description.
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = await cdp.send("Accessibility.getFullAXTree") as {
      nodes: {
        role?: { value: string };
        name?: { value: string };
        description?: { value: string };
      }[];
    };
    const chart = nodes.find((node) => node.role?.value === "application");
    assert.equal(chart?.name?.value, "Chart");
    assert.match(chart?.description?.value ?? "", /← and → pan, \+ and − zoom.*Drag to zoom/);
    await cdp.detach();

    const area = page.getByRole("application", { name: "Chart" });
    await area.focus();
    await page.keyboard.press("ArrowLeft");
    await waitForPage(page, (s) => !s.view.following, "← pans away from the newest points");
    await page.keyboard.press("l");
    await waitForPage(page, (s) => s.view.following, "l follows again");
    await page.keyboard.press("Space");
    await waitForPage(page, (s) => s.view.paused, "space pauses");
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "keys act after a toolbar or legend button is clicked; space and Enter press a button",
  ...browserTest,
  async fn() {
    await using server = await startFedServer({ x: { kind: "index" } });
    for (let i = 0; i < 50; i++) await server.write(`${i} ${2 * i}\n`);
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    await waitForPage(page, (s) => s.chart?.data[0]?.length === 50, "50 points drawn");
    const width = (s: { view: { from: number; to: number } }) => s.view.to - s.view.from;

    await page.getByRole("button", { name: "Zoom in" }).click();
    const zoomed = await waitForPage(page, (s) => !s.view.following, "zoomed by the button");
    await page.keyboard.press("+");
    await waitForPage(
      page,
      (s) => width(s) < width(zoomed) * 0.75,
      "+ zooms in again with the button focused",
    );
    await page.keyboard.press("End");
    await waitForPage(page, (s) => s.view.following, "End follows with the button focused");
    // A legend button: its name hides the series; ← pans all the same.
    await page.locator("#legend .toggle").first().click();
    await waitForPage(page, (s) => s.series[0]?.hidden === true, "the series hidden");
    await page.keyboard.press("ArrowLeft");
    await waitForPage(page, (s) => !s.view.following, "← pans with the legend's button focused");
    await page.keyboard.press("l");
    await waitForPage(page, (s) => s.view.following, "l follows with the legend's button focused");
    // Space and Enter on a focused button press it, once: no shortcut on top.
    await page.getByRole("button", { name: "Zoom out" }).focus();
    await page.keyboard.press("Enter");
    await waitForPage(page, (s) => !s.view.following, "Enter presses Zoom out");
    await page.getByRole("button", { name: "Pause" }).focus();
    await page.keyboard.press("Space");
    await waitForPage(page, (s) => s.view.paused, "space presses Pause");
    await page.getByRole("button", { name: "Zoom in" }).click();
    assert.equal((await readPage(page)).view.paused, true, "once: still paused");
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "a 200-character name is cut in the legend and wraps on /s/: all fits at 1280 and 360 px",
  ...browserTest,
  async fn() {
    await using server = await startFedServer();
    const long = "L".repeat(300);
    for (let i = 0; i < 5; i++) {
      await server.write(JSON.stringify({ [long]: i, short: 10 + i, other: 20 + i }) + "\n");
    }
    // A stream with a short name and a long list of series, listed first on /s/.
    const wide = server.streams.openWriter("a-stream")!;
    wide.sink.setXKind("index");
    for (let i = 0; i < 30; i++) wide.sink.add(`series_number_${i}_with_a_long_name`, 0, i);
    wide.sink.commit();
    wide.close();
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(server.url.href);
      await waitForPage(page, (s) => /4.*14.*24/.test(s.legend), "the legend's values");
      const legend = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { document } = globalThis as any;
        const list = document.getElementById("legend");
        // deno-lint-ignore no-explicit-any
        const box = (e: any) => e.getBoundingClientRect();
        return {
          page: document.documentElement.scrollWidth,
          list: { client: list.clientWidth, scroll: list.scrollWidth, right: box(list).right },
          // deno-lint-ignore no-explicit-any
          items: [...list.querySelectorAll("li")].map((li: any) => ({
            right: box(li).right,
            value: li.querySelector(".value").textContent,
            valueRight: box(li.querySelector(".value")).right,
            valueWidth: box(li.querySelector(".value")).width,
            axisRight: box(li.querySelector(".axis")).right,
            title: li.querySelector(".toggle").title,
            nameWidth: box(li.querySelector(".name")).width,
          })),
        };
      });
      const where = `${width} px: ${JSON.stringify(legend).slice(0, 600)}`;
      assert.ok(legend.page <= width, `the page scrolls sideways at ${where}`);
      assert.ok(
        legend.list.scroll <= legend.list.client,
        `the legend scrolls sideways at ${where}`,
      );
      assert.deepEqual(legend.items.map((item) => item.value), ["4", "14", "24"], where);
      for (const item of legend.items) {
        assert.ok(item.right <= legend.list.right + 0.5, `an item runs off at ${where}`);
        assert.ok(item.valueWidth > 0 && item.valueRight <= width, `a value is cut at ${where}`);
        assert.ok(item.axisRight <= width, `a y2 button is cut at ${where}`);
      }
      const [cut] = legend.items;
      assert.ok(cut && cut.nameWidth < width * 0.9, `the long name takes ${cut?.nameWidth} px`);
      assert.ok(cut.title.includes("L".repeat(199)), `the whole name on hover: ${cut.title}`);

      await page.goto(new URL("/s/", server.url).href);
      await page.locator("#streams tr").nth(1).waitFor();
      const table = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { document } = globalThis as any;
        const index = document.getElementById("index");
        return {
          page: document.documentElement.scrollWidth,
          client: index.clientWidth,
          scroll: index.scrollWidth,
          // deno-lint-ignore no-explicit-any
          rows: [...document.querySelectorAll("#index tbody tr")].map((row: any) =>
            // deno-lint-ignore no-explicit-any
            [...row.cells].map((cell: any) => ({
              lines: (() => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                // deno-lint-ignore no-explicit-any
                const tops = [...range.getClientRects()].map((rect: any) => Math.round(rect.top));
                return new Set(tops).size;
              })(),
              text: cell.textContent.slice(0, 12),
              left: cell.getBoundingClientRect().left,
              right: cell.getBoundingClientRect().right,
            }))
          ),
        };
      });
      const there = `/s/ at ${width} px: ${JSON.stringify(table)}`;
      assert.ok(table.page <= width, `the page scrolls sideways: ${there}`);
      const byName = (name: string) => table.rows.find((row) => row[0]?.text === name) ?? [];
      const [, series] = byName("default");
      assert.match(series?.text ?? "", /^L+$/);
      if (width === 1280) {
        // Every column on screen: the table needs no sideways scrolling.
        assert.ok(table.scroll <= table.client, `the table scrolls sideways: ${there}`);
        assert.ok(table.rows.flat().every((cell) => cell.right <= width), there);
        const [short] = byName("a-stream");
        assert.equal(short?.lines, 1, `a short name beside many series stays whole: ${there}`);
      } else {
        // A phone may scroll the table's six columns sideways (its own box), as it did with
        // short names; the long name takes no more than its share.
        assert.ok(series && series.right - series.left <= 120, there);
        assert.ok(table.scroll - table.client <= 120, there);
      }
    }
    assert.deepEqual(problems, []);
  },
});
