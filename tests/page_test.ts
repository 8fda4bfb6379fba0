import assert from "node:assert/strict";
import { launchBrowser, nextFrame, paintedPixels, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

/** Where the README's screenshot is written. */
const SCREENSHOT = new URL("../docs/screenshot.png", import.meta.url).pathname;

// Playwright keeps pipes to Chromium that outlive a single test step.
const browserTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "the page plots the demo's 100 points after Start Plot, with no console errors",
  ...browserTest,
  async fn() {
    await using server = await startTestServer();
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    assert.equal(await page.textContent("h3"), "Plot of Random Numbers");
    assert.equal(await paintedPixels(page), 0, "nothing is drawn before Start Plot");

    await page.click("text=Start Plot");
    const first = await waitForPage(
      page,
      (state) => state.received === 100 && state.connection === "done",
      "100 points and the demo's close",
    );
    const [xs, ys] = first.chart?.data ?? [];
    assert.deepEqual(xs, Array.from({ length: 100 }, (_, i) => i));
    assert.ok(ys?.length === 100 && ys.every((y) => y >= 0 && y < 1), "y values are the stream's");
    assert.equal(first.chart?.yMin, 0, "the y axis starts at 0");
    await nextFrame(page);
    assert.ok(await paintedPixels(page) > 2000, "the filled line is drawn");
    assert.match(first.status, /done · 100 points/);
    await page.screenshot({ path: SCREENSHOT });

    await page.click("text=Start Plot");
    const second = await waitForPage(
      page,
      (state) =>
        state.connection === "done" && JSON.stringify(state.chart?.data[1]) !== JSON.stringify(ys),
      "a fresh stream after the second Start Plot",
    );
    assert.equal(second.received, 100, "a second Start Plot starts a fresh stream");
    assert.equal(second.chart?.data[1]?.length, 100);
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "a browser without WebSocket is told so",
  ...browserTest,
  async fn() {
    await using server = await startTestServer();
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage(() => {
      Reflect.deleteProperty(globalThis, "WebSocket");
    });
    await page.goto(server.url.href);
    assert.equal(
      (await page.textContent("body"))?.trim(),
      "ERROR: This browser does not support Web Sockets",
    );
    assert.deepEqual(problems, []);
  },
});
