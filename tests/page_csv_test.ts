/**
 * The CSV button's file against the server's export of the same points, in
 * a real Chromium against the real server fed by a real push: time x is
 * written with the same digits (microseconds when they are not zero).
 *
 * @module
 */

import assert from "node:assert/strict";
import { downloadOf, launchBrowser, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

const TOKEN = "page-csv-token-0123456789";

/** The x column of a CSV text, header left out. */
function xColumn(csv: string): string[] {
  return csv.split(/\r?\n/).slice(1).filter((line) => line !== "").map((line) =>
    line.split(",")[0]!
  );
}

Deno.test({
  name: "the CSV button writes time x as the server's export does, microseconds and all",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, window: { seconds: 60 } });
    // 100 lines in one body: their arrival times lie within a millisecond or two.
    const lines = Array.from({ length: 100 }, (_, i) => `v=${i + 1}\n`).join("");
    const answer = await fetch(new URL("/s/burst", server.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: lines,
    });
    assert.deepEqual(await answer.json(), { taken: 100, headers: 0, blank: 0, skipped: 0 });
    const exported = await fetch(new URL("/s/burst.csv", server.url)).then((r) => r.text());
    const serverXs = xColumn(exported);
    assert.equal(serverXs.length, 100);
    assert.ok(
      serverXs.some((x) => /\.\d{6}Z$/.test(x)),
      `the server writes microseconds: ${serverXs.slice(0, 3)}`,
    );

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(new URL("/s/burst", server.url).href);
    await waitForPage(page, (state) => state.series[0]?.points === 100, "the 100 points");
    const csv = await downloadOf(page, () => page.getByRole("button", { name: "CSV" }).click());
    const pageXs = xColumn(new TextDecoder().decode(csv.bytes));
    assert.deepEqual(pageXs, serverXs);
    assert.deepEqual(problems, []);
  },
});
