/**
 * A pushed stream between pushes (stream/push_status.ts): the page says the
 * writer finished once a push has ended and none came for a few seconds, and
 * is live again with the next one; many short pushes a second never make it
 * say so in between. Real curl, a real server, Chromium for the page.
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser, waitForPage } from "./browser.ts";
import { controlMessages, openRecorded, socketUrl, startTestServer, waitFor } from "./helpers.ts";
import { WRITER_FINISHED, WRITER_QUIET_MS } from "../stream/push_status.ts";

const TOKEN = "push-token-for-the-status";
const AUTH = `Authorization: Bearer ${TOKEN}`;

/** `curl -sT -` into `url`, its standard input left open for the test to write. */
function curlPush(url: URL) {
  const curl = new Deno.Command("curl", {
    args: ["-sS", "-T", "-", "-H", AUTH, url.href],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = curl.stdin.getWriter();
  const encoder = new TextEncoder();
  return {
    write: (text: string) => writer.write(encoder.encode(text)),
    /** Ends the body (curl finishes) and resolves with curl's answer. */
    async end(): Promise<string> {
      await writer.close();
      const { stdout, code } = await curl.output();
      assert.equal(code, 0, "curl finished");
      return new TextDecoder().decode(stdout);
    },
  };
}

/** `curl -d LINE`: one short push, one line. */
async function curlLine(url: URL, line: string): Promise<void> {
  const { code, stdout } = await new Deno.Command("curl", {
    args: ["-sS", "-d", line, "-H", AUTH, url.href],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stdout));
}

Deno.test({
  name:
    "curl -T - into a stream: the page says the writer finished after it ends, live again with the next push",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    const url = new URL("/s/lab", server.url);
    const first = curlPush(url);
    await first.write("1\n2\n");
    await waitFor(() => (server.streams.get("lab")?.hub.pointCount ?? 0) === 2, 10_000, "2 points");

    await using browser = await launchBrowser();
    const { page, problems } = await browser.newPage();
    await page.goto(url.href);
    await waitForPage(page, (state) => state.series[0]?.points === 2, "the pushed points");
    const answer = await first.end();
    assert.match(answer, /"taken":2/);
    const ended = performance.now();
    await waitForPage(
      page,
      (state) => state.status.includes(WRITER_FINISHED),
      "the page to say the writer finished",
    );
    // Not at once: a push a second apart keeps the stream live (curl's exit may lag the answer).
    assert.ok(performance.now() - ended >= WRITER_QUIET_MS / 2, "said after the quiet time");

    const second = curlPush(url);
    await second.write("3\n");
    await waitForPage(
      page,
      (state) => state.series[0]?.points === 3 && !state.status.includes("waiting"),
      "live again with the next push",
    );
    await second.end();
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "ten one-line curl -d pushes a second keep the stream live: one waiting once they stop",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    const url = new URL("/s/burst", server.url);
    await curlLine(url, "0");
    const { socket, messages } = await openRecorded(socketUrl(server.url, "/s/burst/data"));
    const states = () =>
      controlMessages(messages).filter((m) => m.type === "status").map((m) => m.state);
    // Longer than the quiet time, so a stream that said waiting after each push would show it.
    const until = performance.now() + 2 * WRITER_QUIET_MS;
    for (let i = 1; performance.now() < until; i++) {
      await curlLine(url, String(i));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(!states().includes("waiting"), `live throughout: ${states()}`);
    await waitFor(() => states().includes("waiting"), 3 * WRITER_QUIET_MS, "waiting once quiet");
    assert.equal(states().filter((state) => state === "waiting").length, 1, `${states()}`);
    const waiting = controlMessages(messages).find((m) => m.state === "waiting");
    assert.equal(waiting?.detail, WRITER_FINISHED);
    // The index says so too, for a script.
    const index = await fetch(new URL("/s/", server.url), {
      headers: { accept: "application/json" },
    }).then((answer) => answer.json());
    assert.deepEqual(
      index.streams.map((s: { state: string; detail: string }) => [s.state, s.detail]),
      [["waiting", WRITER_FINISHED]],
    );
    socket.close();
  },
});
