/**
 * The window on a stream whose x is not time, in a real Chromium against the
 * real server fed by real pushes: a window given in time (the server's 60 s,
 * or `?window=30s`) applies to time x only; an index or a measured x is shown
 * by points, and the span says so.
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

const TOKEN = "page-window-token-0123456789";

Deno.test({
  name: "a time window does not cut an index or measured x: 300 of 300 points, by points",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // The command line's default window: a minute.
    await using server = await startTestServer({ token: TOKEN, window: { seconds: 60 } });
    const push = async (path: string, body: string) => {
      const answer = await fetch(new URL(path, server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body,
      });
      assert.equal(answer.status, 200, path);
      return (await answer.json()).taken;
    };
    const values = Array.from({ length: 300 }, (_, i) => i + 1);
    assert.equal(await push("/s/idx?x=index", values.map((v) => `v=${v}\n`).join("")), 300);
    const measured = "n,v\n" + values.map((v) => `${v * 2.5},${v}\n`).join("");
    assert.equal(await push("/s/measured?format=csv&x=n", measured), 300);

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    for (const path of ["/s/idx", "/s/measured", "/s/idx?window=30s"]) {
      await page.goto(new URL(path, server.url).href);
      const state = await waitForPage(
        page,
        (s) => s.series[0]?.points === 300 && (s.chart?.data[0]?.length ?? 0) > 0,
        `${path}: every point held`,
      );
      const xs = state.chart!.data[0]! as number[];
      const inView = xs.filter((x) => x >= state.view.from && x <= state.view.to).length;
      const span = await page.locator("#span").textContent();
      assert.equal(inView, 300, `${path}: ${inView} of 300 points under ${span}`);
      assert.equal(span, "last 10000 points", path);
      assert.equal(await page.locator("#window").getAttribute("placeholder"), "10000", path);
    }
    assert.deepEqual(problems, []);
  },
});
