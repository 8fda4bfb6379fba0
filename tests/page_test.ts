import assert from "node:assert/strict";
import { launchBrowser, nextFrame, paintedPixels, readPage, waitForPage } from "./browser.ts";
import { FIXTURES, startTestServer } from "./helpers.ts";

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
      (state) =>
        state.received === 100 && state.connection === "done" &&
        state.chart?.data[1]?.length === 100,
      "100 points drawn and the demo's close",
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
        state.connection === "done" && state.chart?.data[1]?.length === 100 &&
        JSON.stringify(state.chart.data[1]) !== JSON.stringify(ys),
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

/** Where the README's screenshot of a live command source is written. */
const LIVE_SCREENSHOT = new URL("../docs/screenshot-live.png", import.meta.url).pathname;

Deno.test({
  name: "a command source shows three named series with a legend on a time axis, live",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({
      source: { kind: "command", command: `${FIXTURES}waves.sh`, args: [] },
    });
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(server.url.href);
    const state = await waitForPage(
      page,
      (state) => state.series.length === 3 && state.received >= 3 * 100,
      "three series and 100 samples, without a click",
    );
    assert.deepEqual(state.series.map((series) => series.name), ["sine", "cosine", "sawtooth"]);
    assert.equal(await page.textContent("h3"), `liveplot: ${FIXTURES}waves.sh`);
    assert.deepEqual(state.chart?.labels, ["time", "sine", "cosine", "sawtooth"]);
    assert.equal(state.chart?.timeAxis, true);
    for (const name of ["sine", "cosine", "sawtooth"]) assert.ok(state.legend.includes(name), name);
    assert.match(state.status, /^connected · \d+ points.* · 1 line skipped/);
    await page.waitForFunction(
      "document.getElementById('status').textContent.includes('points/s')",
    );
    await nextFrame(page);
    await page.screenshot({ path: LIVE_SCREENSHOT });

    await page.click("text=Pause");
    const paused = await readPage(page);
    await waitForPage(page, (now) => now.received > paused.received + 30, "points while paused");
    assert.deepEqual(
      (await readPage(page)).chart?.data,
      paused.chart?.data,
      "a paused chart holds",
    );
    assert.match((await readPage(page)).status, /paused/);
    await page.click("text=Resume");
    await waitForPage(
      page,
      (now) => JSON.stringify(now.chart?.data) !== JSON.stringify(paused.chart?.data),
      "the chart to move again",
    );
    await waitForPage(
      page,
      (now) => now.status.includes("source ended, exit code 0"),
      "the end of the command",
    );
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "the page reconnects with backoff when the server restarts and resumes from the window",
  ...browserTest,
  async fn() {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const first = await startTestServer({ source: { kind: "stdin" }, xAxis: "index" }, {
      input: pipe.readable,
    });
    const port = Number(first.url.port);
    const writer = pipe.writable.getWriter();
    await writer.write(new TextEncoder().encode("1\n2\n3\n"));
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(first.url.href);
    await waitForPage(page, (state) => state.received === 3, "the first server's 3 points");
    await writer.close();
    await first.shutdown();
    await waitForPage(page, (state) => state.connection === "reconnecting", "the page to notice");

    const second = new TransformStream<Uint8Array, Uint8Array>();
    await using restarted = await startTestServer(
      { source: { kind: "stdin" }, xAxis: "index", port },
      { input: second.readable },
    );
    const again = second.writable.getWriter();
    await again.write(new TextEncoder().encode("7\n8\n"));
    const state = await waitForPage(
      page,
      (state) =>
        state.connection === "connected" && JSON.stringify(state.chart?.data[1]) === "[7,8]",
      "the page to reconnect and take the new window",
      15_000,
    );
    assert.equal(state.series[0]?.points, 2, "the old points are gone");
    await again.close();
    assert.ok(restarted.url.port === String(port));
    // The failed attempts while the server was down are the only console noise allowed.
    assert.deepEqual(problems.filter((problem) => !problem.includes("WebSocket connection")), []);
  },
});
