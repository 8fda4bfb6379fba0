/**
 * The page joining a stream, in a real Chromium against the real server: a
 * big window on a slow link comes in pieces for longer than the page's join
 * timeout, and the page keeps joining until the last piece. Through a socket
 * that drops some of the server's messages, as an older or foreign server
 * would not send them: no announcement, the status ends the join; neither,
 * the timeout does.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { type Browser, launchBrowser } from "./browser.ts";
import { startTestServer } from "./helpers.ts";
import { JOIN_TIMEOUT_MS } from "../static/modules/client.js";

const browserTest = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "page-join-token-0123456789";

/** Rows of 3 series pushed: a window of 3 × `ROWS` points, 16 bytes each as binary frames. */
const ROWS = 100_000;
/** Rows of a window that comes at once. */
const SMALL_ROWS = 1000;
/** The link the page reads through, in bytes a second, as Chromium counts (1 MB/s took 9 s). */
const LINK_BYTES_PER_SECOND = 2_000_000;

/** Pushes `rows` rows of series a, b and c into stream `name`, x the row's index. */
async function pushRows(base: URL, name: string, rows = ROWS): Promise<void> {
  const body = Array.from({ length: rows }, (_, i) => `a=${i} b=${i} c=${i}\n`).join("");
  const answer = await fetch(new URL(`/s/${name}?x=index`, base), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body,
  });
  assert.equal(answer.status, 200, `push to ${name}`);
  assert.equal((await answer.json()).taken, rows, "every row taken");
}

/**
 * Waits until the page's join ends; answers what the page had taken in then and when (ms since
 * the page's navigation), read in the page the moment it ends, before another message can land.
 */
async function joinEnd(page: Page, timeoutMs: number): Promise<{ received: number; at: number }> {
  const handle = await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const liveplot = (globalThis as any).liveplot;
      if (liveplot?.connection !== "connected" || liveplot.joining) return false;
      return { received: liveplot.received, at: performance.now() };
    },
    null,
    { polling: 10, timeout: timeoutMs },
  );
  return await handle.jsonValue() as { received: number; at: number };
}

Deno.test({
  name: "a join paced by a slow link past the join timeout ends with its last piece, whole",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, window: { points: ROWS } });
    await pushRows(server.url, "big");
    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    const devtools = await browser.context.newCDPSession(page);
    await devtools.send("Network.enable");
    await devtools.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: LINK_BYTES_PER_SECOND,
      uploadThroughput: -1,
    });
    await page.goto(new URL(`/s/big?token=${TOKEN}`, server.url).href);
    const end = await joinEnd(page, 60_000);
    // The link paced the join past the timeout, or this test shows nothing.
    assert.ok(end.at > JOIN_TIMEOUT_MS + 500, `the join ended ${end.at.toFixed(0)} ms in`);
    assert.equal(end.received, 3 * ROWS, "the whole window was taken in when the join ended");
    assert.deepEqual(problems, []);
  },
});

/**
 * Opens stream `name` in a page whose socket passes the real server's messages on, but those
 * `dropped` says (an older server: no announcement; a foreign one: no status either).
 */
async function openThrough(
  browser: Browser,
  server: URL,
  name: string,
  dropped: (message: string) => boolean,
): Promise<{ page: Page; problems: string[] }> {
  const opened = await browser.newPage();
  await opened.page.routeWebSocket(/\/data/, (socket) => {
    const upstream = socket.connectToServer();
    upstream.onMessage((message) => {
      if (typeof message !== "string" || !dropped(message)) socket.send(message);
    });
  });
  await opened.page.goto(new URL(`/s/${name}?token=${TOKEN}`, server).href);
  return opened;
}

Deno.test({
  name: "a server that announces no pieces ends the page's join with its status, as before",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, window: { points: ROWS } });
    await pushRows(server.url, "older", SMALL_ROWS);
    await using browser = await launchBrowser();
    const { page, problems } = await openThrough(
      browser,
      server.url,
      "older",
      (message) => message.startsWith('{"type":"join"'),
    );
    const end = await joinEnd(page, 30_000);
    assert.equal(end.received, 3 * SMALL_ROWS, "the whole window was taken in at the status");
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "a server that sends neither the announcement nor the status ends the join by the timeout",
  ...browserTest,
  async fn() {
    await using server = await startTestServer({ token: TOKEN, window: { points: ROWS } });
    await pushRows(server.url, "foreign", SMALL_ROWS);
    await using browser = await launchBrowser();
    const { page, problems } = await openThrough(
      browser,
      server.url,
      "foreign",
      (message) => message.startsWith('{"type":"join"') || message.startsWith('{"type":"status"'),
    );
    const end = await joinEnd(page, 30_000);
    assert.ok(end.at >= JOIN_TIMEOUT_MS, `the join ended ${end.at.toFixed(0)} ms in`);
    assert.equal(end.received, 3 * SMALL_ROWS, "what came is merged when the join times out");
    assert.deepEqual(problems, []);
  },
});
