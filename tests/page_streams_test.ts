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
