import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import {
  captureLog,
  closeOutcome,
  closeSocket,
  nextMessage,
  openRawSocket,
  openSocket,
  rawExchange,
  socketUrl,
  spawnCli,
  startTestServer,
  upgradeHeaders,
  waitFor,
} from "./helpers.ts";

const encoder = new TextEncoder();

async function residentMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** A raw upgrade request to `path` from `forwardedFor` (as a proxy would say). */
function upgradeFrom(port: number, path: string, forwardedFor: string): Promise<string> {
  const headers = upgradeHeaders({ host: `127.0.0.1:${port}`, "x-forwarded-for": forwardedFor });
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return rawExchange(port, `GET ${path} HTTP/1.1\r\n${lines}\r\n`, 1000);
}

Deno.test("viewers that stop reading are gone within two ping intervals; as many new ones are served", async () => {
  // The unit-suite size; `deno task soak` runs the same with 500.
  const clients = 50;
  const cli = spawnCli(
    ["--port", "0", "--no-open", "--max-clients", String(clients), "--ping-interval", "1", "-"],
    { stdin: "piped" },
  );
  const url = await cli.url;
  const port = Number(url.port);
  const writer = cli.process.stdin.getWriter();
  let feeding = true;
  const feed = (async () => {
    for (let i = 0; feeding; i++) {
      await writer.write(encoder.encode(`${i} ${i % 7}\n`));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    const before = await residentMiB(cli.process.pid);
    const stalled = await Promise.all(
      Array.from({ length: clients }, () => openRawSocket(port, "/data")),
    );
    const refused = await rawExchange(
      port,
      `GET /data HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${
        Object.entries(upgradeHeaders()).map(([name, value]) => `${name}: ${value}\r\n`).join("")
      }\r\n`,
    );
    assert.match(refused, /^HTTP\/1\.1 503/, "every slot is taken");

    // Bound: a missed pong after two intervals, then at most one interval for the close.
    const started = Date.now();
    const fresh = await Promise.all(
      Array.from({ length: clients }, () => waitForAdmission(socketUrl(url, "/data"), 15_000)),
    );
    const waited = Date.now() - started;
    assert.ok(waited <= 3000 + 2500, `all slots came free in ${waited} ms (bound 3 s)`);
    const outcomes = await Promise.all(stalled.map((raw) => closeOutcome(raw, 5000)));
    for (const outcome of outcomes) {
      assert.notEqual(outcome.kind, "timeout", "each stalled viewer's connection ended");
    }
    for (const raw of stalled) raw[Symbol.dispose]();
    await Promise.all(fresh.map((socket) => nextDataFrame(socket)));
    const after = await residentMiB(cli.process.pid);
    assert.ok(after - before < 64, `memory ${before.toFixed(0)} → ${after.toFixed(0)} MiB`);
    await Promise.all(fresh.map((socket) => closeSocket(socket)));
  } finally {
    feeding = false;
    await feed.catch(() => {});
    await writer.close().catch(() => {});
    await cli.stop();
  }
  const errors = cli.stderr.filter((line) => line.startsWith("level=error"));
  assert.deepEqual(errors, []);
});

Deno.test("a viewer whose TCP window is closed is reset, as no close frame can reach it", async () => {
  const cli = spawnCli(
    ["--port", "0", "--no-open", "--max-clients", "1", "--ping-interval", "2", "--window", "100000"]
      .concat(["--max-queue", "64KiB", "-"]),
    { stdin: "piped" },
  );
  const url = await cli.url;
  const writer = cli.process.stdin.getWriter();
  try {
    using stalled = await openRawSocket(Number(url.port), "/data");
    // About 6 MiB on the wire: more than the kernel buffers of a peer that does not read.
    const line = Array.from({ length: 64 }, (_, i) => String(1e12 + i)).join(" ") + "\n";
    const started = Date.now();
    for (let i = 0; i < 30; i++) await writer.write(encoder.encode(line.repeat(100)));
    const fed = Date.now() - started;
    const admitted = await waitForAdmission(socketUrl(url, "/data"), 15_000);
    const waited = Date.now() - started;
    // Dropped for its queue (1013) or for a missed pong (1001), its close frame waits
    // behind unread bytes: only a reset can end it.
    const outcome = await closeOutcome(stalled, 5000);
    assert.equal(outcome.kind, "reset", JSON.stringify(outcome));
    // Bound: two ping intervals and a close grace (one interval), after the last byte fed.
    const bound = fed + 3 * 2000;
    assert.ok(waited < bound + 1500, `the slot came free after ${waited} ms (bound ${bound} ms)`);
    await closeSocket(admitted);
  } finally {
    await writer.close().catch(() => {});
    await cli.stop();
  }
});

/** Opens a WebSocket, retrying while the server answers 503. */
async function waitForAdmission(url: string, timeoutMs: number): Promise<WebSocket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await openSocket(url, 2000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Waits for a frame of data lines (not a JSON control frame). */
async function nextDataFrame(socket: WebSocket): Promise<void> {
  for (;;) {
    const message = await nextMessage(socket, 5000);
    if (typeof message === "string" && !message.startsWith("{")) return;
  }
}

Deno.test("an /echo client that never reads is closed with 1008, then reset with its queue", async () => {
  const { log, lines } = captureLog();
  // A 2 s ping interval makes the close grace 2 s; the queue bound acts first.
  await using server = await startTestServer({ pingIntervalSeconds: 2 }, { log });
  const port = Number(server.url.port);
  using flooder = await openRawSocket(port, "/echo");
  const message = new Uint8Array(512 * 1024);
  const started = Date.now();
  // Send until the server stops taking them: kernel buffers first, then the queue bound.
  let sendError: unknown;
  const sending = (async () => {
    for (let i = 0; i < 200; i++) await flooder.send(2, message);
  })().catch((error) => sendError = error);
  await waitFor(
    () => lines.some((line) => line.includes("event=echo-dropped")),
    10_000,
    "the echo-dropped line",
  );
  await waitFor(() => server.connections.size === 0, 5000, "the flooder's slot to be freed");
  const freed = Date.now() - started;
  // Its unread echoes are discarded with the connection: a reset, not a close frame.
  const outcome = await closeOutcome(flooder, 5000);
  // The reset reaches whichever call is pending: the blocked send, or else the read.
  await sending;
  const reset = outcome.kind === "reset" ||
    outcome.kind === "eof" && sendError instanceof Deno.errors.ConnectionReset;
  assert.ok(reset, `reset, not ${JSON.stringify(outcome)} (send: ${sendError})`);
  assert.ok(freed < 10_000, `freed after ${freed} ms`);
  assert.match(
    lines.find((line) => line.includes("event=echo-dropped")) ?? "",
    /reason="not reading" queued=\d+ limit=1048576/,
  );
  const healthy = await openSocket(socketUrl(server.url, "/echo"));
  healthy.send("still echoing");
  assert.equal(await nextMessage(healthy), "still echoing");
  await closeSocket(healthy);
});

Deno.test("--max-clients-per-ip refuses one address over it with 503 and Retry-After, logged once", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer(
    { maxClientsPerAddress: 2, trustProxy: true },
    { log },
  );
  const port = Number(server.url.port);
  const headers = { "x-forwarded-for": "203.0.113.7" };
  const first = await openRawSocket(port, "/echo", headers);
  const second = await openRawSocket(port, "/echo", headers);
  for (let i = 0; i < 3; i++) {
    const answer = await upgradeFrom(port, "/echo", "203.0.113.7");
    assert.match(answer, /^HTTP\/1\.1 503/);
    assert.match(answer, /retry-after: 30/i);
    assert.match(answer, /x-content-type-options: nosniff/i);
  }
  const overLimit = lines.filter((line) => line.includes("event=address-over-limit"));
  assert.equal(overLimit.length, 1, lines.join("\n"));
  assert.match(overLimit[0] ?? "", /address=203\.0\.113\.7 limit=2/);
  assert.ok(!lines.some((line) => line.includes("event=upgrade-refused")), "no line per refusal");

  using _other = await openRawSocket(port, "/echo", { "x-forwarded-for": "198.51.100.1" });
  first[Symbol.dispose]();
  await waitFor(() => server.connections.countFor("203.0.113.7") === 1, 5000, "a freed seat");
  using _third = await openRawSocket(port, "/echo", headers);
  assert.equal(server.connections.countFor("203.0.113.7"), 2);
  second[Symbol.dispose]();
});

Deno.test("loopback is exempt from --max-clients-per-ip, and X-Forwarded-For counts only with --trust-proxy", async () => {
  await using server = await startTestServer({ maxClientsPerAddress: 1 });
  const port = Number(server.url.port);
  const sockets = await Promise.all(
    Array.from({ length: 3 }, () => openSocket(socketUrl(server.url, "/echo"))),
  );
  // Without --trust-proxy the header is the client's word: ignored, so still loopback.
  using _claimed = await openRawSocket(port, "/echo", { "x-forwarded-for": "203.0.113.7" });
  using _again = await openRawSocket(port, "/echo", { "x-forwarded-for": "203.0.113.7" });
  assert.equal(server.connections.size, 5);
  await Promise.all(sockets.map((socket) => closeSocket(socket)));
});

Deno.test({
  name: "repeated warnings fold into one summary line per kind per second; errors never fold",
  async fn() {
    const lines: string[] = [];
    const log = createLogger("normal", (line) => lines.push(line));
    for (let i = 0; i < 1000; i++) log.warn("websocket-error", { reason: `bad ${i}` });
    for (let i = 0; i < 10; i++) log.warn("upgrade-refused", { status: 503 });
    for (let i = 0; i < 5; i++) log.error("request-failed", { error: `bug ${i}` });
    for (let i = 0; i < 3; i++) log.info("start", { i });
    assert.deepEqual(lines.filter((line) => line.includes("websocket-error")), [
      'level=warn event=websocket-error reason="bad 0"',
    ]);
    assert.equal(lines.filter((line) => line.includes("upgrade-refused")).length, 1);
    assert.equal(lines.filter((line) => line.includes("request-failed")).length, 5);
    assert.equal(lines.filter((line) => line.includes("event=start")).length, 3);
    await waitFor(() => lines.some((line) => line.includes("suppressed=")), 2000, "the summaries");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(lines.includes("level=warn event=websocket-error suppressed=999 period=1s"));
    assert.ok(lines.includes("level=warn event=upgrade-refused suppressed=9 period=1s"));
    // A quiet second ends the fold: the next one is written whole again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const count = lines.length;
    log.warn("websocket-error", { reason: "later" });
    assert.equal(lines.length, count + 1);
    assert.equal(lines.at(-1), "level=warn event=websocket-error reason=later");
    await new Promise((resolve) => setTimeout(resolve, 1100));
  },
});

Deno.test("200 bad frames make one websocket-error line and a summary per second, not 200", async () => {
  const { log, lines } = captureLog({ fold: true });
  await using server = await startTestServer({}, { log });
  const port = Number(server.url.port);
  const started = Date.now();
  for (let i = 0; i < 200; i++) {
    using raw = await openRawSocket(port, "/echo");
    await raw.send(3, new Uint8Array([1]));
    assert.notEqual((await closeOutcome(raw, 3000)).kind, "timeout");
  }
  const seconds = Math.ceil((Date.now() - started) / 1000);
  const errorLines = () => lines.filter((line) => line.includes("event=websocket-error"));
  // Every bad frame is accounted for: written, or counted in a summary.
  const accounted = () =>
    errorLines().reduce(
      (sum, line) => sum + Number(/suppressed=(\d+)/.exec(line)?.[1] ?? 1),
      0,
    );
  await waitFor(() => accounted() === 200, 3000, "all 200 accounted for");
  assert.ok(errorLines().length <= 2 + seconds, errorLines().join("\n"));
  await new Promise((resolve) => setTimeout(resolve, 1100));
});
