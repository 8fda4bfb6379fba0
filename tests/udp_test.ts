/**
 * `--udp [HOST:]PORT`: datagrams of lines from the test, the rate bound, and
 * a port that is taken.
 *
 * @module
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { SourceStartError } from "../stream/source.ts";
import { captureLog, spawnCli, startTestServer, waitFor, withTimeout } from "./helpers.ts";
import { freeUdpPort, seriesValues } from "./services.ts";

/** Sends each datagram to 127.0.0.1:`port`, one after another. */
async function send(port: number, datagrams: string[]): Promise<void> {
  const socket = dgram.createSocket("udp4");
  try {
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) =>
        socket.send(datagram, port, "127.0.0.1", (error) => error ? reject(error) : resolve())
      );
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

Deno.test("--udp: each datagram's lines plot; PlotJuggler's JSON works as is; waiting, then live", async () => {
  const port = await freeUdpPort();
  const { log, lines } = captureLog();
  await using server = await startTestServer({
    source: { kind: "udp", hostname: "127.0.0.1", port },
    format: "json",
  }, { log });
  const hub = server.hub!;
  assert.equal(hub.status.state, "waiting");
  assert.equal(hub.status.detail, `waiting for datagrams on udp 127.0.0.1:${port}`);
  await send(port, [
    '{"motor": {"rpm": 1200, "temp": 40.5}}',
    '{"motor": {"rpm": 1250, "temp": 41}}\n{"motor": {"rpm": 1300, "temp": 41.5}}\n',
  ]);
  await waitFor(() => seriesValues(hub, "motor.rpm").length === 3, 5000, "three rpm points");
  assert.deepEqual(seriesValues(hub, "motor.rpm"), [1200, 1250, 1300]);
  assert.deepEqual(seriesValues(hub, "motor.temp"), [40.5, 41, 41.5]);
  assert.equal(hub.status.state, "live");
  assert.ok(lines.some((line) => line.includes(`event=source-started udp=127.0.0.1:${port}`)));
});

Deno.test("--udp: statsd gauges, counters and timers plot as series named by the metric", async () => {
  const port = await freeUdpPort();
  await using server = await startTestServer({
    source: { kind: "udp", hostname: "127.0.0.1", port },
  });
  const hub = server.hub!;
  const gauges = Array.from({ length: 10 }, (_, index) => `cpu:${index + 1.5}|g`);
  await send(port, gauges);
  await waitFor(() => seriesValues(hub, "cpu").length === 10, 5000, "ten gauges");
  assert.deepEqual(seriesValues(hub, "cpu"), [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5]);
  assert.deepEqual([hub.status.headers, hub.status.skipped], [0, 0]);
  // Several lines a datagram; a counter sampled at 0.1 stands for ten.
  await send(port, ["requests:1|c|@0.1\nlatency:12.5|ms\nlatency:14|ms|@0.5\n", "requests:2|c"]);
  await waitFor(() => seriesValues(hub, "requests").length === 2, 5000, "the counters");
  assert.deepEqual(seriesValues(hub, "requests"), [10, 2]);
  assert.deepEqual(seriesValues(hub, "latency"), [12.5, 14]);
  assert.deepEqual(hub.names, ["cpu", "requests", "latency"]);
});

Deno.test("--udp: datagrams past --max-ingest-rate are dropped whole and counted as skipped", async () => {
  const port = await freeUdpPort();
  await using server = await startTestServer({
    source: { kind: "udp", hostname: "127.0.0.1", port },
    maxIngestRate: 10,
  });
  const hub = server.hub!;
  const datagrams = Array.from({ length: 60 }, (_, index) => `n=${index}`);
  await send(port, datagrams);
  await waitFor(
    () => hub.pointCount + hub.status.skipped === datagrams.length,
    5000,
    "every datagram taken or counted",
  );
  // A second's worth (10) is let through at once; the rest of a burst is dropped.
  assert.ok(hub.pointCount >= 10 && hub.pointCount < 30, `${hub.pointCount} taken`);
  assert.equal(hub.status.recentSkipped.at(-1)?.reason, "over --max-ingest-rate: datagram dropped");
});

Deno.test("--udp on a port that is taken is one clear line at start", async () => {
  const taken = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
  const { port } = taken.address();
  try {
    await assert.rejects(
      startTestServer({ source: { kind: "udp", hostname: "127.0.0.1", port } }),
      (error: Error) => {
        assert.ok(error instanceof SourceStartError);
        assert.equal(
          error.message,
          `Cannot listen for UDP on 127.0.0.1:${port}: the port is already in use`,
        );
        return true;
      },
    );
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
  // An address this machine does not have (TEST-NET-1): said in words, not as node's error.
  await assert.rejects(
    startTestServer({ source: { kind: "udp", hostname: "192.0.2.1", port: 5555 } }),
    /^SourceStartError: Cannot listen for UDP on 192\.0\.2\.1:5555: no such address on this machine$/,
  );
});

Deno.test("deno task start -- --udp runs with the start task's own permissions", async () => {
  const port = await freeUdpPort();
  await using cli = spawnCli(["--port", "0", "--no-open", "--udp", String(port)], { task: true });
  const url = await cli.url;
  await send(port, ["level=3"]);
  const csv = await withTimeout(
    (async () => {
      for (;;) {
        const text = await (await fetch(new URL("/data.csv", url))).text();
        if (text.includes(",3")) return text;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })(),
    15_000,
    "the datagram's value in /data.csv",
  );
  assert.match(csv, /^x,level\r\n/);
});
