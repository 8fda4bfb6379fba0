/**
 * `--scrape URL`: the exposition parser on its edge cases, rates, resets and
 * means against an endpoint the test serves, and Debian's node exporter.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describeError } from "../log.ts";
import { parseExposition } from "../stream/formats/prometheus.ts";
import { parseScrapeSpec } from "../stream/source_spec.ts";
import {
  captureLog,
  controlMessages,
  FIXTURES,
  openRecorded,
  socketUrl,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { freeTcpPort, seriesValues, startNodeExporter } from "./services.ts";

function fixture(name: string): string {
  return Deno.readTextFileSync(`${FIXTURES}prometheus/${name}`);
}

/**
 * A metrics endpoint answering `bodyAt(n)` to its nth request (from 0), in Prometheus' text
 * format; `scrapes()` counts the requests so far.
 */
function metricsEndpoint(bodyAt: (scrape: number) => string) {
  let scrape = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(bodyAt(scrape++), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      }),
  );
  return Object.assign(server, { scrapes: () => scrape });
}

/** A server scraping `endpoint`'s /metrics ten times a second. */
function scrapeOf(endpoint: Deno.HttpServer<Deno.NetAddr>) {
  const url = `http://127.0.0.1:${endpoint.addr.port}/metrics`;
  return startTestServer({ source: { kind: "scrape", url, everySeconds: 0.1 } });
}

Deno.test("OpenMetrics: escapes, NaN, ±Inf, timestamps in seconds, families, # EOF ends it", () => {
  const { samples, skipped, openMetrics } = parseExposition(fixture("openmetrics.txt"));
  assert.equal(openMetrics, true);
  const info = samples[0]!;
  assert.deepEqual(info.labels, [
    ["version", "1.2.3"],
    ["path", "C:\\temp\\x"],
    ["quote", 'say "hi"'],
    ["multi", "a\nb"],
  ]);
  const temperatures = samples.filter((sample) => sample.family === "temperature_celsius");
  assert.deepEqual(temperatures.map((sample) => sample.value), [21.5, NaN, Infinity, -Infinity]);
  assert.equal(temperatures[0]!.timestamp, 1795636800.25);
  const requests = samples.find((sample) => sample.name === "http_requests_total")!;
  assert.equal(requests.family, "http_requests");
  assert.equal(requests.type, "counter");
  assert.equal(requests.timestamp, 1795636800.5);
  const buckets = samples.filter((sample) => sample.name === "rpc_seconds_bucket");
  assert.deepEqual(buckets.map((sample) => sample.labels[0]![1]), ["0.1", "1", "+Inf"]);
  assert.ok(buckets.every((sample) => sample.type === "histogram"));
  assert.equal(samples.find((sample) => sample.name === "gc_seconds_sum")!.value, 0.15);
  assert.deepEqual(skipped, [{
    line: "not a sample line",
    reason: "not name{labels} value [timestamp]",
  }]);
  assert.ok(!samples.some((sample) => sample.name === "after_eof"));
});

Deno.test("Prometheus text format: millisecond timestamps, untyped and typeless are gauges", () => {
  const { samples, openMetrics } = parseExposition(fixture("text_format.txt"));
  assert.equal(openMetrics, false);
  assert.equal(samples[0]!.timestamp, 1795636800);
  assert.equal(samples[0]!.type, "unknown");
  assert.equal(samples.find((sample) => sample.name === "jobs_total")!.type, "counter");
  assert.equal(samples.find((sample) => sample.name === "plain_without_type")!.type, "unknown");
});

Deno.test("--scrape: gauges, counters as rates (a reset is a gap), histogram and summary means, differing labels", async () => {
  // A real endpoint whose values step on with each scrape.
  const counters = [10, 20, 5, 15];
  await using endpoint = metricsEndpoint((scrape) => {
    const step = Math.min(scrape, counters.length - 1);
    return [
      "# TYPE jobs_total counter",
      `jobs_total{host="a",job="x"} ${counters[step]}`,
      `jobs_total{host="a",job="y"} ${step}`,
      "# TYPE depth gauge",
      `depth{host="a"} ${step * 2}`,
      // Its own timestamp, moved on only at step 2: two points, however many scrapes.
      `stamped 7 ${step < 2 ? 1_700_000_000_000 : 1_700_000_001_000}`,
      "# TYPE wait_seconds histogram",
      `wait_seconds_bucket{le="1"} ${step * 2}`,
      `wait_seconds_bucket{le="+Inf"} ${step * 2}`,
      `wait_seconds_sum ${step * 1.5}`,
      `wait_seconds_count ${step * 2}`,
      // _count before _sum, as OpenMetrics' examples and Python's client write them.
      "# TYPE rpc_seconds summary",
      `rpc_seconds_count ${step * 4}`,
      `rpc_seconds_sum ${step * 2}`,
      "",
    ].join("\n");
  });
  await using server = await scrapeOf(endpoint);
  const hub = server.hub!;
  await waitFor(() => endpoint.scrapes() > counters.length, 10_000, "every step scraped");
  // The host label is the same everywhere: left out. The job label differs: kept.
  assert.deepEqual(seriesValues(hub, "depth").slice(0, 4), [0, 2, 4, 6]);
  assert.deepEqual(seriesValues(hub, "stamped"), [7, 7], "a timestamp seen before adds nothing");
  const jobs = seriesValues(hub, 'jobs_total{job="x"}');
  // 10 → 20 is a rate; 20 → 5 a reset (no point); 5 → 15 a rate; then no change (0).
  assert.equal(jobs.length >= 2, true, String(jobs));
  assert.ok(jobs[0]! > 0 && jobs[1]! > 0, String(jobs));
  assert.ok(jobs.every((rate) => rate >= 0), String(jobs));
  assert.ok(seriesValues(hub, 'jobs_total{job="y"}').length >= 3);
  // Each step adds 2 waits summing 1.5 s: a mean of 0.75 s.
  assert.deepEqual(seriesValues(hub, "wait_seconds:mean").slice(0, 3), [0.75, 0.75, 0.75]);
  assert.deepEqual(seriesValues(hub, "rpc_seconds:mean").slice(0, 3), [0.5, 0.5, 0.5]);
  assert.ok(seriesValues(hub, 'wait_seconds{quantile="0.5"}').length >= 3);
  assert.equal(hub.status.state, "live");
});

Deno.test("--scrape: histogram quantiles count the +Inf bucket, as histogram_quantile does", async () => {
  // Each scrape adds 10000 observations: 2000 up to 0.1, 4000 up to 0.5, 3000 up to 1, 1000 above.
  await using endpoint = metricsEndpoint((scrape) => {
    const k = scrape + 1;
    return [
      "# TYPE h histogram",
      `h_bucket{le="0.1"} ${2000 * k}`,
      `h_bucket{le="0.5"} ${6000 * k}`,
      `h_bucket{le="1"} ${9000 * k}`,
      `h_bucket{le="+Inf"} ${10000 * k}`,
      `h_sum ${3500 * k}`,
      `h_count ${10000 * k}`,
      "",
    ].join("\n");
  });
  await using server = await scrapeOf(endpoint);
  const hub = server.hub!;
  const p99 = 'h{quantile="0.99"}';
  await waitFor(() => seriesValues(hub, p99).length >= 2, 10_000, "two intervals' quantiles");
  // Prometheus: rank 5000 of 10000 is 3000 of the 4000 in (0.1, 0.5]; rank 9000 ends the
  // bucket up to 1; rank 9900 falls in +Inf, answered with the highest finite bound.
  const expected: [string, number][] = [
    ['h{quantile="0.5"}', 0.4],
    ['h{quantile="0.9"}', 1],
    [p99, 1],
  ];
  for (const [name, value] of expected) {
    const values = seriesValues(hub, name);
    assert.ok(values.every((got) => Math.abs(got - value) < 1e-9), `${name}: ${values}`);
  }
});

Deno.test("--scrape http://user:pass@…: Basic auth sent, the password shown as *** everywhere", async () => {
  let scrape = 0;
  let authorized = 0;
  await using endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      // The first answer fails, for the status to name the URL.
      if (scrape++ === 0) return new Response("no", { status: 500 });
      if (request.headers.get("authorization") !== `Basic ${btoa("ann:s3cret")}`) {
        return new Response("who?", { status: 401 });
      }
      authorized++;
      return new Response("up 1\n");
    },
  );
  const { log, lines } = captureLog();
  const shown = `http://ann:***@127.0.0.1:${endpoint.addr.port}/metrics`;
  await using server = await startTestServer({
    source: {
      kind: "scrape",
      url: `http://ann:s3cret@127.0.0.1:${endpoint.addr.port}/metrics`,
      everySeconds: 0.1,
    },
  }, { log });
  const hub = server.hub!;
  const failed = `Cannot scrape ${shown}: HTTP 500 Internal Server Error; retrying`;
  await waitFor(() => hub.status.detail === failed, 10_000, "the failure in the status");
  const index = await (await fetch(new URL("/s/", server.url), {
    headers: { accept: "application/json" },
  })).text();
  assert.equal(JSON.parse(index).streams[0].detail, failed);
  await waitFor(() => seriesValues(hub, "up").length > 0, 10_000, "a value with the login");
  assert.ok(authorized > 0);
  const page = await (await fetch(server.url)).text();
  assert.equal(/<title>(.*)<\/title>/.exec(page)?.[1], `liveplot: scrape of ${shown}`);
  const viewer = await openRecorded(socketUrl(server.url, "/data"));
  try {
    await waitFor(
      () => controlMessages(viewer.messages).some((m) => m.type === "meta"),
      5000,
      "meta",
    );
    const meta = controlMessages(viewer.messages).find((m) => m.type === "meta")!;
    assert.equal(meta.title, `scrape of ${shown}`);
  } finally {
    viewer.socket.close();
    await viewer.closed;
  }
  assert.ok(lines.some((line) => line.includes(`scrape=${shown}`)), lines.join("\n"));
  for (const text of [index, page, ...lines]) assert.ok(!text.includes("s3cret"), text);
  // A URL refused at start is shown the same way.
  assert.throws(
    () => parseScrapeSpec("ftp://ann:s3cret@host/m"),
    /not "ftp:\/\/ann:\*\*\*@host\/m"/,
  );
});

Deno.test("--scrape node exporter: load as a gauge, CPU seconds as rates per cpu and mode", async () => {
  const { log, lines } = captureLog();
  await using exporter = await startNodeExporter(freeTcpPort());
  await using server = await startTestServer({
    source: {
      kind: "scrape",
      url: `http://127.0.0.1:${exporter.port}/metrics`,
      everySeconds: 0.2,
      match: '^node_load1$|^node_cpu_seconds_total\\{cpu="0",mode="(idle|user)"\\}$',
    },
  }, { log });
  const hub = server.hub!;
  const idle = 'node_cpu_seconds_total{cpu="0",mode="idle"}';
  await waitFor(() => seriesValues(hub, idle).length >= 2, 15_000, "two idle rates");
  assert.deepEqual(hub.names.toSorted(), [
    'node_cpu_seconds_total{cpu="0",mode="idle"}',
    'node_cpu_seconds_total{cpu="0",mode="user"}',
    "node_load1",
  ]);
  // A second of CPU time per second at most (with the kernel's tick rounding).
  assert.ok(seriesValues(hub, idle).every((rate) => rate >= 0 && rate <= 1.5));
  assert.ok(seriesValues(hub, "node_load1").every((load) => load >= 0));
  assert.ok(lines.some((line) => line.includes("event=source-connected scrape=")));
});

Deno.test("--scrape of an endpoint that is down: waiting with why, and live once it answers", async () => {
  const port = freeTcpPort();
  const { log, lines } = captureLog();
  await using server = await startTestServer({
    source: { kind: "scrape", url: `http://127.0.0.1:${port}/metrics`, everySeconds: 0.1 },
  }, { log });
  const hub = server.hub!;
  await waitFor(() => hub.status.state === "waiting", 10_000, "the waiting state");
  // What fetch calls `fetch failed` is said as the MQTT source says it.
  const url = `http://127.0.0.1:${port}/metrics`;
  assert.equal(hub.status.detail, `Cannot scrape ${url}: connection refused; retrying`);
  // A script sees it too, without a WebSocket: GET /s/ as JSON.
  const index = await fetch(new URL("/s/", server.url), {
    headers: { accept: "application/json" },
  });
  const [listed] = (await index.json()).streams;
  assert.deepEqual([listed.state, listed.detail], ["waiting", hub.status.detail]);
  const endpoint = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    () => new Response("up 1\n"),
  );
  try {
    await waitFor(() => seriesValues(hub, "up").length > 0, 10_000, "a value once it is up");
    assert.equal(hub.status.state, "live");
  } finally {
    await endpoint.shutdown();
  }
  assert.deepEqual(lines.filter((line) => line.includes("event=source-scrape-failed")), [
    `level=warn event=source-scrape-failed scrape=${url} error="connection refused"`,
  ]);
});

Deno.test("describeError: a real fetch's `fetch failed` is its cause's detail; other errors as before", async () => {
  const port = freeTcpPort();
  const refused = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    () => assert.fail(`something answered on port ${port}`),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof TypeError && refused.message === "fetch failed", String(refused));
  assert.equal(describeError(refused), "connection refused");
  const missing = await Deno.readTextFile(`${FIXTURES}no-such-file`).catch((error) => error);
  assert.equal(describeError(missing), "not found");
  const folder = await Deno.readTextFile(FIXTURES).catch((error) => error);
  assert.equal(describeError(folder), "is a directory");
  assert.equal(
    describeError(new Error("HTTP 500 Internal Server Error")),
    "HTTP 500 Internal Server Error",
  );
  // Only a generic message is looked behind, and only so far: a cycle ends.
  const own = new Error("Cannot open: Busy", { cause: refused });
  assert.equal(describeError(own), "Cannot open: Busy");
  const cycle = new TypeError("fetch failed");
  cycle.cause = cycle;
  assert.equal(describeError(cycle), "fetch failed");
  // Deno's file errors name the call and path, which the caller's message names already.
  const readOnly = new Error("Read-only file system (os error 30): open '/tmp/ro/rec.lpr'");
  assert.equal(describeError(readOnly), "Read-only file system (os error 30)");
});

Deno.test("--scrape of an endpoint that never answers: waiting, saying how long it waited", async () => {
  const { log, lines } = captureLog();
  const stalled = Promise.withResolvers<void>();
  await using endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      await stalled.promise;
      return new Response("up 1\n");
    },
  );
  const url = `http://127.0.0.1:${endpoint.addr.port}/metrics`;
  try {
    await using server = await startTestServer({
      source: { kind: "scrape", url, everySeconds: 0.2 },
    }, { log });
    const hub = server.hub!;
    await waitFor(() => hub.status.state === "waiting", 10_000, "the waiting state");
    assert.equal(hub.status.detail, `Cannot scrape ${url}: no answer within 200 ms; retrying`);
    assert.deepEqual(lines.filter((line) => line.includes("event=source-scrape-failed")), [
      `level=warn event=source-scrape-failed scrape=${url} error="no answer within 200 ms"`,
    ]);
  } finally {
    stalled.resolve();
  }
});
