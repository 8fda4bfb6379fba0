/**
 * Ingest per network source, end to end on loopback: messages (or
 * datagrams) a second and CPU per 1M points of the liveplot side, for
 * `--mqtt` against a real Mosquitto (published by `mosquitto_pub -l`, one
 * message a line, from its own process) and `--udp` (sent by a child Deno
 * process). liveplot runs in this process with its real source and hub and
 * no viewer; the figure is taken from the first point to the last.
 *
 * ```sh
 * deno run -A bench/cases/ingest_sources.ts           # 200,000 messages a source
 * deno run -A bench/cases/ingest_sources.ts 50000     # fewer
 * deno run -A bench/cases/ingest_sources.ts 50000 udp # one source: mqtt or udp
 * ```
 *
 * Bounded: each case stops after 60 s, and every service it starts is stopped.
 *
 * @module
 */

import process from "node:process";
import { DEFAULTS, type SourceSpec } from "../../config.ts";
import { createLogger } from "../../log.ts";
import { startServer } from "../../server.ts";
import { freeTcpPort, freeUdpPort, startMosquitto } from "../../tests/services.ts";

const MESSAGES = Number(Deno.args[0] ?? 200_000);
const CASE_TIMEOUT_MS = 60_000;

interface Result {
  source: string;
  messages: number;
  taken: number;
  seconds: number;
  cpuSecondsPerMillion: number;
}

/** Runs liveplot on `source`, starts `send`, and times the points until `expected` or the deadline. */
async function measure(
  name: string,
  source: SourceSpec,
  expected: number,
  send: () => Promise<void>,
): Promise<Result> {
  const server = await startServer(
    { ...DEFAULTS, port: 0, open: false, source, maxIngestRate: 10_000_000 },
    { log: createLogger("quiet") },
  );
  try {
    const hub = server.hub!;
    const deadline = Date.now() + CASE_TIMEOUT_MS;
    // Wait for the subscription (MQTT) or the socket (UDP) before sending.
    while (hub.status.state === "connecting" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sending = send();
    while (hub.pointCount === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let last = hub.pointCount;
    let lastAt = performance.now();
    // Done at `expected` points, or when nothing came for a second (datagrams lost on loopback).
    while (
      hub.pointCount < expected && Date.now() < deadline && performance.now() - lastAt < 1000
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (hub.pointCount !== last) {
        last = hub.pointCount;
        lastAt = performance.now();
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (lastAt - started) / 1000;
    await sending;
    const taken = hub.pointCount;
    return {
      source: name,
      messages: expected,
      taken,
      seconds,
      cpuSecondsPerMillion: (cpu.user + cpu.system) / 1e6 / (taken / 1e6),
    };
  } finally {
    await server.shutdown();
  }
}

async function mqttCase(): Promise<Result> {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-bench-mqtt-" });
  const port = freeTcpPort();
  await using _broker = await startMosquitto(dir, port);
  try {
    return await measure(
      "mqtt (a number a message, QoS 0)",
      { kind: "mqtt", broker: `mqtt://127.0.0.1:${port}`, topic: "bench/#" },
      MESSAGES,
      async () => {
        const publisher = new Deno.Command("mosquitto_pub", {
          args: ["-h", "127.0.0.1", "-p", String(port), "-t", "bench/value", "-l"],
          stdin: "piped",
          stdout: "null",
          stderr: "null",
        }).spawn();
        const writer = publisher.stdin.getWriter();
        const lines = Array.from({ length: MESSAGES }, (_, index) => `${index % 1000}.5\n`);
        await writer.write(new TextEncoder().encode(lines.join("")));
        await writer.close();
        await publisher.status;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function udpCase(): Promise<Result> {
  const port = await freeUdpPort();
  const sender = `
    import dgram from "node:dgram";
    const socket = dgram.createSocket("udp4");
    for (let i = 0; i < ${MESSAGES}; i++) {
      await new Promise((resolve) => socket.send("value=" + (i % 1000) + ".5", ${port}, "127.0.0.1", resolve));
    }
    socket.close();
  `;
  return await measure(
    "udp (one pair a datagram)",
    { kind: "udp", hostname: "127.0.0.1", port },
    MESSAGES,
    async () => {
      await new Deno.Command(Deno.execPath(), {
        args: ["eval", sender],
        stdout: "null",
        stderr: "inherit",
      }).output();
    },
  );
}

if (import.meta.main) {
  console.log(`ingest per source, ${MESSAGES} messages each, Deno ${Deno.version.deno}`);
  const only = Deno.args[1];
  const cases = { mqtt: mqttCase, udp: udpCase };
  for (const [name, run] of Object.entries(cases)) {
    if (only !== undefined && name !== only) continue;
    const result = await run();
    const rate = Math.round(result.taken / result.seconds);
    console.log(
      `${result.source}: ${rate.toLocaleString("en")} messages/s ` +
        `(${result.taken} of ${result.messages} in ${result.seconds.toFixed(2)} s), ` +
        `${result.cpuSecondsPerMillion.toFixed(2)} CPU s per 1M points`,
    );
  }
}
