/**
 * What the page shows at a glance, in a real Chromium against the real
 * server: a failing command's stderr and exit code (escaped), no rate once
 * the source ended, the window's span, names with bidi controls shown
 * visibly and long ones cut with the full name on hover, a CSV export that
 * cannot run formulas, the `/s/` index page, and an empty page that lists
 * the server's other streams (also on a viewer-only `--redis` process).
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser, startFedServer, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";
import { startRedis } from "./redis_server.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "page-items-token-0123456789";

Deno.test({
  name: "the page at a glance",
  ...browserTest,
  async fn(t) {
    await using browser = await launchBrowser();

    await t.step("a failing command: its stderr (as text) and exit code; no rate", async () => {
      await using server = await startTestServer({
        source: {
          kind: "command",
          command: "sh",
          args: ["-c", "echo 1; echo 2; echo '<b>boom</b>: sensor not found' >&2; exit 3"],
        },
      });
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      await page.waitForFunction(
        // deno-lint-ignore no-explicit-any
        () => /exit code 3/.test((globalThis as any).document.getElementById("status").textContent),
        null,
        { timeout: 10_000 },
      );
      await page.waitForFunction(
        // deno-lint-ignore no-explicit-any
        () => /boom/.test((globalThis as any).document.getElementById("stderr").textContent),
        null,
        { timeout: 10_000 },
      );
      const shown = await page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { document } = globalThis as any;
        const stderr = document.getElementById("stderr");
        return {
          stderr: stderr?.textContent ?? "",
          hidden: stderr?.hidden,
          markup: stderr?.querySelector("b") !== null,
          status: document.getElementById("status")?.textContent ?? "",
          span: document.getElementById("span")?.textContent ?? "",
        };
      });
      assert.match(shown.stderr, /<b>boom<\/b>: sensor not found/);
      assert.equal(shown.hidden, false);
      assert.equal(shown.markup, false, "stderr is text, never markup");
      assert.doesNotMatch(shown.status, /points\/s/, "no rate after the source ended");
      assert.equal(shown.span, "last 200 points");
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step(
      "a waiting source: the status and the empty page say what it waits for",
      async () => {
        await using server = await startFedServer();
        const { page, problems } = await browser.newPage();
        await page.goto(server.url.href);
        await waitForPage(page, (state) => state.connection === "connected", "connected");
        const hub = server.streams.get(server.streams.summaries()[0]?.name ?? "")?.hub;
        assert.ok(hub, "the main stream");
        hub.report({ state: "waiting", detail: "waiting for /dev/ttyACM0" });
        await waitForPage(
          page,
          (state) => /connected · waiting for \/dev\/ttyACM0 · 0 points/.test(state.status),
          "the status to say what the source waits for",
        );
        await page.locator("#hint", { hasText: "Nothing plotted yet: waiting for /dev/ttyACM0." })
          .waitFor({ timeout: 10_000 });
        assert.deepEqual(problems, []);
        await page.close();
      },
    );

    await t.step("names: bidi controls shown, long ones cut with the whole on hover", async () => {
      await using server = await startFedServer();
      // The server keeps 200 characters of a name; shown visibly, these 130 take 400.
      const long = "\u200b".repeat(30) + "n".repeat(100);
      const shownLong = "⟨U+200B⟩".repeat(30) + "n".repeat(100);
      const names = ["\u202Egnp.exe\u202C", "=HYPERLINK(1)", long];
      for (let i = 0; i < 3; i++) {
        await server.write(JSON.stringify(Object.fromEntries(names.map((n) => [n, i]))) + "\n");
      }
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      await waitForPage(page, (state) => state.series.length === 3, "three series");
      const bidi = page.getByRole("button", { name: "⟨U+202E⟩gnp.exe⟨U+202C⟩", exact: true });
      assert.ok(await bidi.isVisible(), "the override is spelled out");
      const cut = page.locator("#legend li .name").nth(2);
      const label = await cut.textContent() ?? "";
      assert.equal(Array.from(label).length, 200);
      assert.ok(label.endsWith("…"));
      const title = await page.locator("#legend li .toggle").nth(2).getAttribute("title");
      assert.equal(title, `Show or hide ${shownLong}`);
      const csv: string = await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.csv()
      );
      assert.equal(csv.split("\n")[0], `x,\u202Egnp.exe\u202C,'=HYPERLINK(1),${long}`);
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step("temperature and pressure get a chart each, not one flat axis", async () => {
      await using server = await startFedServer();
      for (let i = 0; i < 5; i++) {
        await server.write(JSON.stringify({ temperature: 20 + i / 10, pressure: 1013 - i }) + "\n");
      }
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      const state = await waitForPage(
        page,
        (state) => state.split && state.groups.length === 2,
        "a split of two charts",
      );
      assert.deepEqual(state.groups, [["pressure"], ["temperature"]]);
      await page.waitForFunction(
        // deno-lint-ignore no-explicit-any
        () => (globalThis as any).document.getElementById("split").ariaPressed === "true",
        null,
        { timeout: 10_000 },
      );
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step("/s/ is a page like the others; an empty page lists other streams", async () => {
      await using server = await startFedServer({ token: TOKEN });
      const pushed = await fetch(new URL("/s/lab", server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: "temp\n21.5\n",
      });
      assert.equal(pushed.status, 200);
      await pushed.body?.cancel();
      const { page, problems } = await browser.newPage();
      await page.goto(new URL("/s/", server.url).href);
      assert.equal(await page.title(), "liveplot streams");
      const link = page.getByRole("link", { name: "lab", exact: true });
      await link.waitFor({ timeout: 10_000 });
      assert.equal(await link.getAttribute("href"), "/s/lab");
      assert.equal(await page.getByRole("link", { name: "Main page" }).getAttribute("href"), "/");
      const json = await fetch(new URL("/s/", server.url), {
        headers: { accept: "application/json" },
      });
      assert.equal(json.headers.get("content-type"), "application/json");
      await json.body?.cancel();

      // The main stream has nothing: its page offers the streams that do.
      await page.goto(server.url.href);
      assert.equal(await page.getByRole("link", { name: "Streams" }).getAttribute("href"), "/s/");
      await page.locator("#streams-here a", { hasText: "lab" }).waitFor({ timeout: 15_000 });
      assert.match(await page.locator("#hint").textContent() ?? "", /Nothing on this stream yet/);
      assert.deepEqual(problems, []);
      await page.close();
    });

    await t.step("a viewer-only --redis process: / offers the streams, not stdbuf", async () => {
      await using redis = await startRedis();
      await using server = await startTestServer({ redis: redis.url, token: TOKEN });
      // Until the process has reached Redis a push answers 503: try again, with a deadline.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pushed = await fetch(new URL("/s/lab", server.url), {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}` },
          body: "temp\n21.5\n",
        });
        await pushed.body?.cancel();
        if (pushed.status === 200) break;
        assert.equal(pushed.status, 503, "only a store not reached yet delays a push");
        assert.ok(Date.now() < deadline, "Redis reached within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      const link = page.locator("#streams-here a", { hasText: "lab" });
      await link.waitFor({ timeout: 15_000 });
      assert.equal(await link.getAttribute("href"), "/s/lab");
      const hint = await page.locator("#hint").textContent() ?? "";
      assert.match(hint, /Nothing on this stream yet/);
      assert.doesNotMatch(hint, /stdbuf/);
      await link.click();
      await page.waitForURL(/\/s\/lab$/, { timeout: 10_000 });
      // deno-lint-ignore no-explicit-any
      await page.waitForFunction(() => (globalThis as any).liveplot, null, { timeout: 10_000 });
      await waitForPage(page, (state) => state.series[0]?.name === "temp", "the linked stream");
      // Headed from the stream's meta message: any page can serve any stream.
      assert.equal(await page.locator("#title").getAttribute("title"), "lab");
      assert.equal(await page.title(), "liveplot: lab");
      assert.deepEqual(problems, []);
      await page.close();
    });
  },
});
