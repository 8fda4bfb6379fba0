/**
 * The page in a real Chromium: the seed's demo, a browser without
 * WebSocket, a command's named series live, and reconnecting after a
 * server restart. One browser for the file; nothing here writes to docs/
 * (`deno task screenshots` does).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Browser,
  launchBrowser,
  nextFrame,
  paintedPixels,
  readPage,
  startFedServer,
  waitForPage,
} from "./browser.ts";
import { FIXTURES, startTestServer } from "./helpers.ts";

// Playwright keeps pipes to Chromium that outlive a single test step.
const browserTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "the page",
  ...browserTest,
  async fn(t) {
    await using browser: Browser = await launchBrowser();

    await t.step(
      "the demo keeps the seed's look: Start Plot, 100 points, a filled red line",
      async () => {
        await using server = await startTestServer();
        const { page, problems } = await browser.newPage();
        await page.goto(server.url.href);
        assert.equal(await page.textContent("h3"), "Plot of Random Numbers");
        assert.equal(await paintedPixels(page), 0, "nothing is drawn before Start Plot");
        // No x axis yet: the plot stops short of the canvas's foot, so the lowest y label fits.
        const foot = await page.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const { liveplot, devicePixelRatio } = globalThis as any;
          const u = liveplot.chart;
          return (u.ctx.canvas.height - u.bbox.top - u.bbox.height) / devicePixelRatio;
        });
        assert.ok(foot >= 6, `${foot} px below the plot for the "0" label`);
        assert.ok(await page.getByRole("button", { name: "Start Plot" }).isVisible());
        for (const name of ["Pause", "Live", "Split", "CSV", "PNG"]) {
          assert.equal(
            await page.getByRole("button", { name, exact: true }).isVisible(),
            false,
            `the demo shows no ${name} button`,
          );
        }

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
        assert.ok(
          ys?.length === 100 && ys.every((y) => y !== null && y >= 0 && y < 1),
          "y values are the stream's",
        );
        assert.equal(first.chart?.yMin, 0, "the y axis starts at 0");
        await nextFrame(page);
        assert.ok(await paintedPixels(page) > 2000, "the filled line is drawn");
        assert.match(first.status, /done · 100 points/);
        const box = await page.locator("#placeholder canvas").boundingBox();
        assert.ok(
          box && box.width >= 800 && box.width <= 900 && box.height === 300,
          "the seed's size",
        );

        await page.click("text=Start Plot");
        const second = await waitForPage(
          page,
          (state) =>
            state.connection === "done" && state.chart?.data[1]?.length === 100 &&
            JSON.stringify(state.chart.data[1]) !== JSON.stringify(ys),
          "a fresh stream after the second Start Plot",
        );
        assert.equal(second.received, 100, "a second Start Plot starts a fresh stream");
        assert.deepEqual(problems, []);
        await page.close();
      },
    );

    await t.step("with nothing plotted yet, the page says why", async () => {
      await using server = await startFedServer({ format: "series-x-y" });
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      const hint = page.locator("#hint");
      await hint.waitFor({ state: "visible" });
      assert.match(await hint.textContent() ?? "", /waiting for the first line.*stdbuf -oL/);
      await server.write("hello world\n");
      await page.locator("#hint", { hasText: "hello world" }).waitFor();
      assert.match(
        await hint.textContent() ?? "",
        /^Nothing plotted yet: 1 line skipped, for example "hello world" \(.+\)\.$/,
      );
      await server.write("a 1 2\n");
      await hint.waitFor({ state: "hidden" });
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step("a browser without WebSocket is told so", async () => {
      await using server = await startTestServer();
      const { page, problems } = await browser.newPage(() => {
        Reflect.deleteProperty(globalThis, "WebSocket");
      });
      await page.goto(server.url.href);
      assert.equal(
        (await page.textContent("body"))?.trim(),
        "ERROR: This browser does not support Web Sockets",
      );
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step(
      "a command's three named series, live on a time axis, with no Start Plot",
      async () => {
        await using server = await startTestServer({
          source: { kind: "command", command: `${FIXTURES}waves.sh`, args: [] },
          format: "columns",
        });
        const { page, problems } = await browser.newPage();
        await page.goto(server.url.href);
        const state = await waitForPage(
          page,
          (state) => state.series.length === 3 && state.received >= 3 * 100,
          "three series and 100 samples, without a click",
        );
        assert.deepEqual(state.series.map((series) => series.name), ["sine", "cosine", "sawtooth"]);
        assert.equal(await page.textContent("h3"), `liveplot: ${FIXTURES}waves.sh`);
        assert.equal(await page.getByRole("button", { name: "Start Plot" }).isVisible(), false);
        assert.deepEqual(state.chart?.labels, ["time", "sine", "cosine", "sawtooth"]);
        assert.equal(state.chart?.timeAxis, true);
        assert.equal(state.split, false, "ranges within 100× stay on one chart");
        for (const name of ["sine", "cosine", "sawtooth"]) {
          assert.ok(state.legend.includes(name), name);
        }
        assert.match(
          state.status,
          /^connected · \d+ points.* · 1 line skipped \(last: "warming up: 3 waves"/,
        );
        await page.locator("#status", { hasText: "points/s" }).waitFor();
        const xLabels: string[] = await page.evaluate(() =>
          // deno-lint-ignore no-explicit-any
          (globalThis as any).liveplot.chart.axes[0]._values
        );
        assert.ok(
          xLabels.every((label) => /^\d\d:\d\d:\d\d(\.\d+)?(\n\d{4}-\d\d-\d\d)?$/.test(label)),
          `wall-clock x labels: ${JSON.stringify(xLabels)}`,
        );

        await page.getByRole("button", { name: "Pause" }).click();
        assert.equal(
          await page.getByRole("button", { name: "Pause" }).getAttribute("aria-pressed"),
          "true",
        );
        const paused = await readPage(page);
        await waitForPage(
          page,
          (now) => now.received > paused.received + 30,
          "points while paused",
        );
        assert.deepEqual(
          (await readPage(page)).chart?.data,
          paused.chart?.data,
          "a paused chart holds",
        );
        assert.match((await readPage(page)).status, /paused/);
        await page.getByRole("button", { name: "Pause" }).click();
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
        await page.close();
      },
    );

    await t.step(
      "the page reconnects when the server restarts and takes the new window",
      async () => {
        const first = await startFedServer({ x: { kind: "index" } });
        const port = Number(first.url.port);
        await first.write("1\n2\n3\n");
        const { page, problems } = await browser.newPage();
        await page.goto(first.url.href);
        await waitForPage(page, (state) => state.received === 3, "the first server's 3 points");
        await first[Symbol.asyncDispose]();
        const down = await waitForPage(
          page,
          (state) => state.connection === "reconnecting",
          "the page to notice",
        );
        assert.match(down.status, /reconnecting/);
        await waitForPage(
          page,
          (state) => /next try in \ds/.test(state.status),
          "the status to say when the next try is",
        );

        await using restarted = await startFedServer({ x: { kind: "index" }, port });
        await restarted.write("7\n8\n");
        const state = await waitForPage(
          page,
          (state) =>
            state.connection === "connected" && JSON.stringify(state.chart?.data[1]) === "[7,8]",
          "the page to reconnect and take the new window",
          15_000,
        );
        assert.equal(state.series[0]?.points, 2, "the old session's points are gone");
        // The failed attempts while the server was down are the only console noise allowed:
        // a socket refused or reset (a request in flight when the first server went away).
        assert.deepEqual(
          problems.filter((problem) =>
            !problem.includes("WebSocket connection") &&
            !/ERR_CONNECTION_(RESET|REFUSED)/.test(problem)
          ),
          [],
        );
        await page.close();
      },
    );
  },
});
