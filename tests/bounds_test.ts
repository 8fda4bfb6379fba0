import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import {
  captureLog,
  closeSocket,
  nextMessage,
  openRecorded,
  openSocket,
  record,
  socketUrl,
  spawnCli,
  startTestServer,
  waitFor,
  waitForLine,
} from "./helpers.ts";
import { closeOutcome, openRawSocket, rawExchange, upgradeHeaders } from "./raw_socket.ts";

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

/** Lines of 64 columns: wide frames fill a stalled peer's kernel buffers quickly. */
const WIDE = 64;

/** A line of `WIDE` values, the first `marker`. */
function wideLine(marker: number): string {
  return [marker, ...Array.from({ length: WIDE - 1 }, (_, i) => 1e9 + i)].join(" ") + "\n";
}

/**
 * The first column of each data line with series 0 (the marker) a text viewer
 * got so far. Each message is scanned once: a big join's 300,000 lines are not
 * split again on every poll.
 */
function markerReader(messages: readonly (string | ArrayBuffer)[]): () => number[] {
  const found: number[] = [];
  let scanned = 0;
  return () => {
    for (; scanned < messages.length; scanned++) {
      const message = messages[scanned];
      if (typeof message !== "string" || message.startsWith("{")) continue;
      for (const line of message.split("\n")) {
        if (line.startsWith("0 ")) found.push(Number(line.split(" ")[2]));
      }
    }
    return found;
  };
}

Deno.test("stalled viewers keep memory bounded and flat; a healthy one keeps its rate; slots come back", async () => {
  // The suite's size; `deno task soak` runs 300 of a slow source and 100 of a full-speed one.
  const stalledCount = 30;
  // A stalled socket keeps up to about twice its budget until its peer goes (its queued bytes
  // and Deno's own copy of each message): a 512 KiB budget stays inside the 1.6 MiB.
  const cli = spawnCli(
    ["--port", "0", "--no-open", "--max-clients", String(stalledCount + 1), "--history", "0"]
      .concat(["--max-queue", "512KiB", "--window", "100", "--x", "time", "-"]),
    { stdin: "piped" },
  );
  const url = await cli.url;
  const port = Number(url.port);
  const writer = cli.process.stdin.getWriter();
  let marker = 0;
  /** Lines per write; 20 ms apart. */
  let batch = 100;
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      let text = "";
      for (let i = 0; i < batch; i++) text += wideLine(marker++);
      await writer.write(encoder.encode(text));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const healthy = await openSocket(socketUrl(url, "/data"));
  const markers = markerReader(record(healthy).messages);
  try {
    await waitFor(() => markers().length > 0, 10_000, "the healthy viewer's first data");
    // Warm: the window full and the feed running for a while before the baseline.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const before = await residentMiB(cli.process.pid);
    const stalled = await Promise.all(
      Array.from({ length: stalledCount }, () => openRawSocket(port, "/data")),
    );
    const refused = await upgradeFrom(port, "/data", "203.0.113.9");
    assert.match(refused, /^HTTP\/1\.1 503/, "every slot is taken");
    assert.match(refused, /retry-after: \d+/i);
    // The CLI folds repeated warnings: a summary line counts the ones it left out.
    const dropped = () =>
      cli.stderr.filter((line) => line.includes("event=viewer-dropped"))
        .reduce((sum, line) => sum + Number(/suppressed=(\d+)/.exec(line)?.[1] ?? 1), 0);
    await waitFor(
      () => dropped() >= stalledCount,
      60_000,
      `all ${stalledCount} stalled viewers to pass their budget`,
    );
    // Steady now: a slower feed that any reader keeps up with, memory sampled as it runs.
    batch = 10;
    const from = marker;
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      samples.push(await residentMiB(cli.process.pid));
    }
    const to = marker;
    const bound = 32 + 1.6 * stalledCount;
    const peak = Math.max(...samples);
    assert.ok(
      peak - before <= bound,
      `RSS ${before.toFixed(0)} → ${peak.toFixed(0)} MiB (bound +${bound.toFixed(0)})`,
    );
    const [first = 0, ...rest] = samples;
    assert.ok(
      Math.max(...rest) - first <= 8,
      `RSS flat once the stalled are dropped: ${samples.map((mib) => mib.toFixed(0)).join(", ")}`,
    );
    await waitFor(() => markers().includes(to - 1), 10_000, "the healthy viewer's latest");
    const seen = new Set(markers());
    const missed = Array.from({ length: to - from }, (_, i) => from + i).filter((m) =>
      !seen.has(m)
    );
    assert.deepEqual(missed, [], "the healthy viewer got every line of the steady feed");
    assert.equal(dropped(), stalledCount, "only the stalled viewers were dropped");

    // The stalled peers go: every slot is back within 5 s.
    const closedAt = Date.now();
    for (const raw of stalled) raw[Symbol.dispose]();
    const fresh = await Promise.all(
      Array.from({ length: stalledCount }, () => waitForAdmission(socketUrl(url, "/data"), 5000)),
    );
    const waited = Date.now() - closedAt;
    assert.ok(waited <= 5000, `all slots back ${waited} ms after the peers closed`);
    await Promise.all(fresh.map((socket) => closeSocket(socket)));
  } finally {
    feeding = false;
    await feed.catch(() => {});
    await closeSocket(healthy).catch(() => {});
    await writer.close().catch(() => {});
    await cli.stop();
  }
  const errors = cli.stderr.filter((line) => line.startsWith("level=error"));
  assert.deepEqual(errors, []);
});

Deno.test("a big join is not a slow viewer: after 2 s unread, a reader of 7.8 MiB of window sees live points", async () => {
  // 100,000 rows of 3 series, then 10 more every 20 ms, numbered from 1e6.
  const script = "seq 100000 199999 | awk '{print $1, $1, $1}'; i=1000000; " +
    'while :; do for j in 0 1 2 3 4 5 6 7 8 9; do echo "$i $i $i"; i=$((i+1)); done; ' +
    "sleep 0.02; done";
  const cli = spawnCli([
    ..."--port 0 --no-open --window 100000 --x time".split(" "),
    ...["--", "sh", "-c", script],
  ]);
  const url = await cli.url;
  try {
    // The window is full once a live row shows up in it.
    const probe = await openSocket(socketUrl(url, "/data"));
    const probed = markerReader(record(probe).messages);
    await waitFor(() => probed().some((x) => x >= 1e6), 30_000, "live rows");
    await closeSocket(probe);

    // Listening from the start: the join's first frames may come with the open.
    const { socket: viewer, messages, closed } = await openRecorded(socketUrl(url, "/data"));
    const markers = markerReader(messages);
    // Not reading for 2 s: this process does nothing else, so its sockets stay unread.
    const until = performance.now() + 2000;
    while (performance.now() < until) { /* busy: a viewer that does not read */ }
    let closeCode: number | undefined;
    closed.then((event) => closeCode = event.code);
    let windowEnd = 0;
    await waitFor(
      () => {
        if (closeCode !== undefined) throw new Error(`closed with ${closeCode}`);
        const seen = markers();
        if (windowEnd === 0 && seen.length >= 100_000) windowEnd = seen[99_999] ?? 0;
        if (windowEnd === 0) return false;
        for (let i = 100_000; i < seen.length; i++) if (seen[i]! > windowEnd) return true;
        return false;
      },
      30_000,
      "a live row after the window",
    );
    assert.equal(closeCode, undefined);
    assert.ok(!cli.stderr.some((line) => line.includes("event=viewer-dropped")), "no drop");
    await closeSocket(viewer);
  } finally {
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

Deno.test("an /echo client that never reads is closed with 1008 once; its slot is freed when it goes", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({}, { log });
  const port = Number(server.url.port);
  const flooder = await openRawSocket(port, "/echo");
  const message = new Uint8Array(512 * 1024);
  // Send until the server stops taking them: kernel buffers first, then the queue bound.
  const sending = (async () => {
    for (let i = 0; i < 200; i++) await flooder.send(2, message);
  })().catch(() => {});
  assert.match(
    await waitForLine(lines, "echo-dropped", 20_000),
    /remote=127\.0\.0\.1:\d+ reason="not reading" queued=\d+ limit=1048576/,
  );
  const healthy = await openSocket(socketUrl(server.url, "/echo"));
  healthy.send("still echoing");
  assert.equal(await nextMessage(healthy), "still echoing");
  const goneAt = Date.now();
  flooder[Symbol.dispose]();
  await sending;
  await waitFor(() => server.connections.size === 1, 5000, "the flooder's slot to be freed");
  assert.ok(Date.now() - goneAt <= 5000);
  assert.equal(lines.filter((line) => line.includes("event=echo-dropped")).length, 1, "once");
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
    const summaries = [
      "level=warn event=websocket-error suppressed=999 period=1s",
      "level=warn event=upgrade-refused status=503 suppressed=9 period=1s",
    ];
    await waitFor(() => summaries.every((line) => lines.includes(line)), 2000, "both summaries");
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
