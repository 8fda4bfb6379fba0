/**
 * `--scrape URL`: what a scrape refuses, against endpoints the test serves:
 * an answer that never ends, an HTML page answered with 200, and series
 * past a stream's 64.
 *
 * @module
 */

import assert from "node:assert/strict";
import { captureLog, startTestServer, waitFor } from "./helpers.ts";
import { seriesValues } from "./services.ts";

Deno.test("--scrape of an endless answer: the read stops at 16 MiB, said once, and retried", async () => {
  const { log, lines } = captureLog();
  let scrape = 0;
  let cancelled = 0;
  const line = new TextEncoder().encode("filler 1\n".repeat(8192));
  await using endpoint = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    // Two endless answers (no length, chunk after chunk as long as they are read), then a good one.
    if (scrape++ >= 2) return new Response("up 1\n");
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(line),
      cancel: () => void cancelled++,
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  });
  const url = `http://127.0.0.1:${endpoint.addr.port}/metrics`;
  await using server = await startTestServer({
    source: { kind: "scrape", url, everySeconds: 2 },
  }, { log });
  const hub = server.hub!;
  const expected = `Cannot scrape ${url}: metrics body over 16 MiB; retrying`;
  await waitFor(() => hub.status.detail === expected, 10_000, "the refusal in the status");
  // The first answer's read was given up at the bound, well before the 2 s timeout.
  await waitFor(() => cancelled >= 1, 10_000, "the endless body cancelled");
  await waitFor(() => seriesValues(hub, "up").length > 0, 15_000, "a value once it answers well");
  assert.equal(hub.status.state, "live");
  assert.deepEqual(lines.filter((line) => line.includes("event=source-scrape-failed")), [
    `level=warn event=source-scrape-failed scrape=${url} error="metrics body over 16 MiB"`,
  ]);
});

Deno.test("--scrape of an HTML page (a login page, 200): waiting, not live with no series", async () => {
  const { log, lines } = captureLog();
  let pages = 2;
  await using endpoint = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    if (pages-- <= 0) return new Response("up 1\n");
    const html = "<!DOCTYPE html>\n<title>Sign in</title>\n<form>user 1</form>\n";
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const url = `http://127.0.0.1:${endpoint.addr.port}/metrics`;
  await using server = await startTestServer({
    source: { kind: "scrape", url, everySeconds: 0.1 },
  }, { log });
  const hub = server.hub!;
  const expected = `Cannot scrape ${url}: not a metrics exposition (text/html); retrying`;
  await waitFor(() => hub.status.detail === expected, 10_000, "the refusal in the status");
  assert.equal(hub.status.state, "waiting");
  await waitFor(() => seriesValues(hub, "up").length > 0, 10_000, "a value once it serves metrics");
  assert.equal(hub.status.state, "live");
  assert.deepEqual(hub.names, ["up"]);
  assert.deepEqual(lines.filter((line) => line.includes("event=source-scrape-failed")), [
    `level=warn event=source-scrape-failed scrape=${url} error="not a metrics exposition (text/html)"`,
  ]);
});

Deno.test("--scrape past 64 series: series-refused is logged once, with a way out for any source", async () => {
  const { log, lines } = captureLog();
  const body = Array.from({ length: 70 }, (_, i) => `gauge_${i} ${i}`).join("\n") + "\n";
  await using endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body),
  );
  await using server = await startTestServer({
    source: { kind: "scrape", url: `http://127.0.0.1:${endpoint.addr.port}/`, everySeconds: 0.1 },
  }, { log });
  const hub = server.hub!;
  await waitFor(() => hub.status.refused >= 12, 10_000, "two scrapes' refused points");
  const refused = lines.filter((line) => line.includes("event=series-refused"));
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.ok(
    refused[0]!.endsWith(
      'note="further series are refused (counted, not logged): fewer columns or topics; ' +
        '--match narrows a scrape"',
    ),
    refused[0],
  );
});
