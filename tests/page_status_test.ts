/**
 * The status line and the empty page's hint, in a real Chromium against the
 * real server fed by real pushes: points per second counted from when points
 * arrive (not from when the page opened), and why nothing is plotted when a
 * stream got only header lines.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser, sleep, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "page-status-token-0123456789";

/** Pushes `body` into stream `name` and answers the counts. */
async function push(base: URL, name: string, body: string): Promise<Record<string, number>> {
  const answer = await fetch(new URL(`/s/${name}`, base), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body,
  });
  assert.equal(answer.status, 200, `push to ${name}`);
  return await answer.json();
}

/** Pushes one line every 100 ms (on a fixed beat) until `until` settles; answers the count. */
/** Points pushed so far by `pushTenASecond`, and when it began. */
const pushed = { sent: 0, start: 0 };

/** The rate the pushes reached so far: a busy machine sends fewer than 10 a second. */
function pushedRate(): number {
  return pushed.sent / ((performance.now() - pushed.start) / 1000);
}

async function pushTenASecond(base: URL, name: string, until: Promise<unknown>): Promise<number> {
  let done = false;
  until.finally(() => (done = true));
  const start = pushed.start = performance.now();
  let sent = pushed.sent = 0;
  while (!done) {
    await push(base, name, `v=${sent}\n`);
    sent = ++pushed.sent;
    await sleep(Math.max(0, start + sent * 100 - performance.now()));
  }
  return sent;
}

/** The rate the status line shows, or null. */
async function shownRate(page: Page): Promise<number | null> {
  const status = (await page.locator("#status").textContent()) ?? "";
  const match = /([\d.]+) points\/s/.exec(status);
  return match ? Number(match[1]) : null;
}

/** Waits until the status shows a rate; answers it. */
async function firstRate(page: Page): Promise<number> {
  await page.waitForFunction(
    // deno-lint-ignore no-explicit-any
    () => /points\/s/.test((globalThis as any).document.getElementById("status").textContent),
    null,
    { timeout: 10_000 },
  );
  return (await shownRate(page))!;
}

Deno.test({
  name: "points/s counts from the first point, and again after a pause, not from the page's open",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, window: { seconds: 60 } });
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    // The page is open (and joined: a stream not written yet ends its join with a waiting status)
    // before the first write.
    await page.goto(new URL("/s/ratecheck", server.url).href);
    await waitForPage(page, (state) => state.connection === "connected", "connected");
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).liveplot.joining === false,
      null,
      { timeout: 10_000 },
    );
    for (const phase of ["first points", "after a pause"]) {
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const pushing = pushTenASecond(server.url, "ratecheck", stopped);
      try {
        const rates = [await firstRate(page)];
        const actual = [pushedRate()];
        // Four more readings a second apart (the status refreshes every second).
        for (const _ of [1, 2, 3, 4]) {
          const before = await page.locator("#status").textContent();
          await page.waitForFunction(
            // deno-lint-ignore no-explicit-any
            (text) => (globalThis as any).document.getElementById("status").textContent !== text,
            before,
            { timeout: 5000 },
          );
          rates.push((await shownRate(page)) ?? NaN);
          actual.push(pushedRate());
        }
        // Against what was pushed (a busy machine pushes fewer, in bursts: 13.7 and 5.8 seen
        // for "10 a second"): within 40% from the third reading on. The first points reach the
        // page late (the first write creates the stream, and its waiting viewer joins it), so the
        // first two seconds' arrivals can span less time than their pushes did (14.1 shown for 9.9
        // pushed was seen): those readings may only be high. Counted from the page's open
        // instead, as before, the rate read 1.3-3.6 for 10 a second.
        rates.forEach((rate, i) => {
          const sent = actual[i]!;
          assert.ok(
            rate >= 0.6 * sent && (i < 2 || rate <= 1.4 * sent),
            `${phase}: the points/s pushed, ${actual.map((r) => r.toFixed(1))}, not ${rates}`,
          );
        });
      } finally {
        stop();
        await pushing;
      }
      // Quiet: the rate goes (none after 5 s without points).
      await page.waitForFunction(
        // deno-lint-ignore no-explicit-any
        () => !/points\/s/.test((globalThis as any).document.getElementById("status").textContent),
        null,
        { timeout: 10_000 },
      );
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "a stream of header lines alone says so, on a server with other streams too",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    assert.deepEqual(await push(server.url, "numbers", "1 2\n3 4\n"), {
      taken: 2,
      headers: 0,
      blank: 0,
      skipped: 0,
    });
    assert.deepEqual(await push(server.url, "allbad", "hello world\nfoo bar\n"), {
      taken: 0,
      headers: 2,
      blank: 0,
      skipped: 0,
    });
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(new URL("/s/allbad", server.url).href);
    // The page learns of the other stream (it looks on its first empty second), then says why.
    await page.locator("#streams-here a", { hasText: "numbers" }).waitFor({ timeout: 15_000 });
    const hint = await page.locator("#hint").textContent();
    assert.match(
      hint ?? "",
      /^Nothing plotted yet: 2 lines read as a header \(names, not numbers\)/,
    );
    assert.deepEqual(problems, []);
  },
});
