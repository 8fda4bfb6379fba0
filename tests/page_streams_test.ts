/**
 * A named stream's page, fed by pushes, with `--read-token`: the page at
 * `/s/NAME?token=…` passes the token on to its socket and history queries.
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

const TOKEN = "push-token-for-the-page";
const READ = "read-token-for-the-page";

Deno.test({
  name: "GET /s/NAME shows the pushed stream; with --read-token only a page that has it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, readToken: READ });
    const push = (body: string) =>
      fetch(new URL("/s/lab", server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body,
      }).then((answer) => answer.json());
    assert.deepEqual(await push("temp,hum\n21.5,40\n21.7,41\n"), {
      taken: 2,
      headers: 1,
      blank: 0,
      skipped: 0,
    });

    const refused = await fetch(new URL("/s/lab", server.url));
    assert.equal(refused.status, 401, "no token, no page");
    await refused.body?.cancel();

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(new URL(`/s/lab?token=${READ}`, server.url).href);
    await waitForPage(
      page,
      (state) =>
        state.series.map((series) => series.name).join() === "temp,hum" &&
        state.series.every((series) => series.points === 2),
      "the stream's two series with their window",
    );
    assert.equal(await page.title(), "liveplot: lab");
    assert.deepEqual(await push("21.9,42\n"), {
      taken: 1,
      headers: 0,
      blank: 0,
      skipped: 0,
    });
    const live = await waitForPage(
      page,
      (state) => state.series.every((series) => series.points === 3),
      "a pushed point live",
    );
    assert.equal(live.connection, "connected");
    assert.equal(live.protocol, "liveplot-f64", "the page takes binary data frames");
    // The links to the other pages carry the token on: without it they answer 401.
    await page.getByRole("link", { name: "Streams" }).click();
    await page.waitForSelector("#streams tr");
    assert.equal(new URL(page.url()).search, `?token=${READ}`);
    await page.getByRole("link", { name: "Main page" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    assert.equal(new URL(page.url()).search, `?token=${READ}`);
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "/s/ lists streams in natural order: multi2 before multi10",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    const names = ["multi10", "multi2", "b", "multi1", "a10b", "multi9", "a9b"];
    for (const name of names) {
      const answer = await fetch(new URL(`/s/${name}`, server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: "1\n",
      });
      assert.equal(answer.status, 200, name);
      await answer.body?.cancel();
    }
    const natural = ["a9b", "a10b", "b", "multi1", "multi2", "multi9", "multi10"];
    const listed = await fetch(new URL("/s/", server.url), {
      headers: { accept: "application/json" },
    }).then((answer) => answer.json());
    assert.deepEqual(listed.streams.map((stream: { name: string }) => stream.name), natural);

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(new URL("/s/", server.url).href);
    await page.waitForSelector("#streams tr");
    const rows = await page.locator("#streams tr td:first-child a").allTextContents();
    assert.deepEqual(rows, natural);
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "the demo's / and /data link to /s/ as every page does, the read token kept",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, readToken: READ });
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    for (const path of ["/", "/data"]) {
      await page.goto(new URL(`${path}?token=${READ}`, server.url).href);
      await page.getByRole("button", { name: "Start Plot" }).waitFor({ timeout: 10_000 });
      const link = page.getByRole("link", { name: "Streams" });
      assert.equal(await link.isVisible(), true, `${path}: the Streams link is shown`);
      await link.click();
      await page.waitForURL((url) => url.pathname === "/s/", { timeout: 10_000 });
      assert.equal(new URL(page.url()).search, `?token=${READ}`);
      await page.locator("#empty").waitFor({ timeout: 10_000 });
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name:
    "60 streams, one empty: its page lists the other 59 in a box that scrolls, the chart keeps its room",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    const push = async (name: string, body: string) => {
      const answer = await fetch(new URL(`/s/${name}`, server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body,
      });
      assert.equal(answer.status, 200, name);
      await answer.body?.cancel();
    };
    for (let i = 0; i < 59; i++) await push(`m${i}`, `v\n${i}\n${i + 1}\n`);
    // A header alone makes a stream with no point yet.
    await push("empty", "v\n");

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    const layout = () =>
      page.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { document, innerHeight } = globalThis as any;
        const height = (id: string) => document.getElementById(id).getBoundingClientRect().height;
        const list = document.getElementById("streams-here");
        return {
          chart: height("placeholder"),
          controlsBottom: document.getElementById("controls").getBoundingClientRect().bottom,
          innerHeight,
          links: list.querySelectorAll("a").length,
          listScrolls: list.scrollHeight > list.clientHeight,
        };
      });
    await page.goto(new URL("/s/m0", server.url).href);
    await waitForPage(page, (state) => state.series[0]?.points === 2, "a stream with points");
    const full = await layout();
    await page.goto(new URL("/s/empty", server.url).href);
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).document.querySelectorAll("#streams-here a").length === 59,
      null,
      { timeout: 15_000 },
    );
    const empty = await layout();
    assert.equal(empty.links, 59);
    assert.ok(empty.listScrolls, "the list scrolls in its box");
    assert.ok(
      empty.controlsBottom <= empty.innerHeight,
      `the status line stays in the window: ${JSON.stringify(empty)}`,
    );
    assert.ok(
      empty.chart >= full.chart / 2,
      `the chart keeps its room: ${empty.chart} px, ${full.chart} px with points`,
    );
    assert.deepEqual(problems, []);
  },
});
