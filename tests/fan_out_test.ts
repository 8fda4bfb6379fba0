import assert from "node:assert/strict";
import type { RunningServer } from "../server.ts";
import { BINARY_PROTOCOL } from "../stream/frames.ts";
import { decodeFrame } from "../static/modules/socket.js";
import { Hub } from "../stream/hub.ts";
import {
  captureLog,
  closeSocket,
  controlMessages,
  dataLines,
  record,
  socketUrl,
  startPiped,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { closeOutcome, openRawSocket } from "./raw_socket.ts";

const encoder = new TextEncoder();

function connectViewer(server: RunningServer) {
  return connectViewerAt(server.url);
}

async function connectViewerAt(url: URL, protocols?: string[]) {
  const socket = new WebSocket(socketUrl(url, "/data"), protocols);
  socket.binaryType = "arraybuffer";
  const recorded = record(socket);
  await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
  return {
    socket,
    messages: recorded.messages,
    closed: recorded.closed,
    lines: () => dataLines(recorded.messages),
  };
}

Deno.test("200 concurrent viewers all receive identical points in identical order", async () => {
  await using piped = await startPiped();
  const viewers = await Promise.all(Array.from({ length: 200 }, () => connectViewer(piped.server)));
  await piped.writeLines(Array.from({ length: 500 }, (_, i) => `${i} ${i * 2}\n`));
  await waitFor(
    () => viewers.every((viewer) => viewer.lines().length === 1000),
    15_000,
    "every viewer to have 1,000 points",
  );
  const expected = viewers[0]?.lines() ?? [];
  assert.deepEqual(expected.slice(0, 4), ["0 0 0", "1 0 0", "0 1 1", "1 1 2"]);
  for (const viewer of viewers) assert.deepEqual(viewer.lines(), expected);
  assert.ok(
    (viewers[0]?.messages.length ?? 0) < 500,
    "points are batched into fewer frames than lines",
  );
  await Promise.all(viewers.map((viewer) => closeSocket(viewer.socket)));
});

/** Each series' points as `x y` texts, in the order received, from text and binary frames alike. */
function pointsBySeries(messages: readonly (string | ArrayBuffer)[]): Map<number, string[]> {
  const series = new Map<number, string[]>();
  const add = (id: number, x: number, y: number) => {
    if (!series.has(id)) series.set(id, []);
    series.get(id)!.push(`${x} ${y}`);
  };
  for (const message of messages) {
    if (typeof message !== "string") {
      // Read as the page reads them.
      const { ids, xs, ys } = decodeFrame(message);
      ids.forEach((id, i) => add(Number(id), xs[i]!, ys[i]!));
    } else if (!message.startsWith("{")) {
      for (const line of message.split("\n").slice(0, -1)) {
        const [id, x, y] = line.split(" ").map(Number);
        add(id!, x!, y!);
      }
    }
  }
  return series;
}

Deno.test("a viewer offering liveplot-f64 gets binary frames holding exactly the text viewer's points", async () => {
  await using piped = await startPiped({ window: { points: 100 } });
  const text = await connectViewer(piped.server);
  const binary = await connectViewerAt(piped.server.url, ["chat", BINARY_PROTOCOL]);
  assert.equal(text.socket.protocol, "");
  assert.equal(binary.socket.protocol, BINARY_PROTOCOL);
  // Values a text round trip would not keep unless written in full.
  const line = (i: number) => `${i * 0.1} ${-i / 3} ${1e-300 * i} ${1795644244014.123 + i}\n`;
  await piped.writeLines(Array.from({ length: 300 }, (_, i) => line(i)), 30);
  const total = (viewer: { messages: (string | ArrayBuffer)[] }) =>
    [...pointsBySeries(viewer.messages).values()].reduce((sum, xs) => sum + xs.length, 0);
  await waitFor(() => total(text) === 1200 && total(binary) === 1200, 5000, "1,200 points each");
  const expected = pointsBySeries(text.messages);
  assert.deepEqual(pointsBySeries(binary.messages), expected);
  assert.deepEqual(expected.get(1)?.slice(0, 2), ["0 0", "1 -0.3333333333333333"]);
  assert.ok(binary.messages.some((message) => message instanceof ArrayBuffer));
  assert.ok(text.messages.every((message) => typeof message === "string"));
  // JSON control frames stay text for both.
  assert.equal(controlMessages(binary.messages)[0]?.type, "meta");

  // A late joiner's window comes as one binary frame too: the last 100 points of each series.
  const late = await connectViewerAt(piped.server.url, [BINARY_PROTOCOL]);
  await waitFor(() => total(late) === 400, 5000, "the late joiner's window");
  const window = pointsBySeries(late.messages);
  for (const [id, points] of expected) assert.deepEqual(window.get(id), points.slice(-100));
  // A client offering only other subprotocols is not refused: it gets text.
  const other = await connectViewerAt(piped.server.url, ["chat"]);
  assert.equal(other.socket.protocol, "");
  await waitFor(() => dataLines(other.messages).length === 400, 5000, "the text window");
  for (const viewer of [text, binary, late, other]) await closeSocket(viewer.socket);
});

Deno.test("a late joiner gets exactly the window, then live points, with no gap or duplicate", async () => {
  await using piped = await startPiped({ window: { points: 50 } });
  const early = await connectViewer(piped.server);
  await piped.writeLines(Array.from({ length: 120 }, (_, i) => `${i}\n`), 20);
  await waitFor(() => early.lines().length === 120, 5000, "the early viewer's 120 points");

  const late = await connectViewer(piped.server);
  await waitFor(() => late.lines().length === 50, 5000, "the late joiner's window");
  await piped.writeLines(Array.from({ length: 10 }, (_, i) => `${120 + i}\n`));
  await waitFor(() => late.lines().length === 60, 5000, "the late joiner's live points");

  const expected = Array.from({ length: 60 }, (_, k) => `0 ${70 + k} ${70 + k}`);
  assert.deepEqual(late.lines(), expected);
  // A client written for the seed's format splits on "\n" and drops the last piece:
  // control frames carry no newline, so it sees no line in them.
  for (const message of late.messages) {
    if (typeof message === "string" && message.startsWith("{")) assert.ok(!message.includes("\n"));
  }
  const [meta] = controlMessages(late.messages);
  assert.equal(meta?.type, "meta", "the window is preceded by the meta frame");
  assert.equal(meta?.window, 50);
  await closeSocket(early.socket);
  await closeSocket(late.socket);
});

Deno.test("a viewer that never reads gets a reduced stream, then 1013, while the others lose nothing", async () => {
  await using piped = await startPiped({ window: { points: 1000 } });
  const fast = await connectViewer(piped.server);
  using stuck = await openRawSocket(Number(piped.server.url.port), "/data");
  // 20 columns of 12 bytes: each batch of 100 lines is a frame of about 30 KiB,
  // far under the quarter of the default 1 MiB bound where a viewer counts as behind.
  const line = `${"1234567.891 ".repeat(20)}\n`;
  let written = 0;
  let reducedSeen = false;
  const deadline = Date.now() + 20_000;
  while (piped.server.hub?.droppedCount === 0 && Date.now() < deadline) {
    await piped.writeLines(new Array(100).fill(line), 100);
    written += 100;
    reducedSeen ||= piped.server.hub?.reducedCount === 1;
  }
  assert.ok(reducedSeen, "the stuck viewer was put on a reduced stream first");
  assert.equal(piped.server.hub?.droppedCount, 1, `dropped after ${written} lines`);
  assert.equal(piped.server.hub?.viewerCount, 1, "the fast viewer is still attached");
  assert.ok(
    piped.log.some((entry) =>
      /event=viewer-dropped stream=\S+ remote=127\.0\.0\.1:\d+ reason=/.test(entry)
    ),
    "the drop names the viewer",
  );

  await piped.write("42\n");
  await waitFor(
    () => fast.lines().at(-1)?.endsWith(" 42") ?? false,
    20_000,
    "the fast viewer to get the point after the drop",
  );
  assert.equal(fast.lines().length, written * 20 + 1, "the fast viewer lost nothing");
  assert.ok(
    !fast.messages.some((m) => typeof m === "string" && m.includes('"reduced":true')),
    "the fast viewer was never reduced",
  );
  // Its 1013 waits behind what it never read: it finds the close, or the reset after the grace.
  const outcome = await closeOutcome(stuck, 20_000);
  assert.ok(
    outcome.kind === "reset" || (outcome.kind === "close" && outcome.code === 1013),
    JSON.stringify(outcome),
  );
  await closeSocket(fast.socket);
});

Deno.test("bad lines are skipped and counted; an over-long line is cut off and counted", async () => {
  await using piped = await startPiped({ maxLineBytes: 100 });
  const viewer = await connectViewer(piped.server);
  await piped.write("1 2\nthis is not 3 numbers\n");
  await piped.write(`${"9".repeat(300)}\n`);
  await piped.write("3 4\n");
  await waitFor(() => viewer.lines().length === 4, 5000, "the two good samples");
  assert.deepEqual(viewer.lines(), ["0 0 1", "1 0 2", "0 1 3", "1 1 4"]);
  await waitFor(
    () => controlMessages(viewer.messages).some((m) => m.skipped === 1 && m.truncated === 1),
    5000,
    "a status with 1 skipped and 1 cut off",
  );
  assert.equal(piped.log.filter((entry) => entry.includes("event=lines-skipped")).length, 1);
  await closeSocket(viewer.socket);
});

Deno.test("a header before the first sample names the series; repeats are skipped, not counted", async () => {
  await using piped = await startPiped();
  const viewer = await connectViewer(piped.server);
  await piped.write("procs -----memory-----\n r  b   free\n 1  0  500\n r  b   free\n 2  1  400\n");
  await waitFor(() => viewer.lines().length === 6, 5000, "two samples of three columns");
  const metas = controlMessages(viewer.messages).filter((m) => m.type === "meta");
  assert.deepEqual(metas.at(-1)?.series, [
    { id: 0, name: "r" },
    { id: 1, name: "b" },
    { id: 2, name: "free" },
  ]);
  const statuses = controlMessages(viewer.messages).filter((m) => m.type === "status");
  assert.ok(
    statuses.every((status) => status.skipped === 0),
    "a repeated header is not a bad line",
  );
  await closeSocket(viewer.socket);
});

Deno.test("the end of standard input is told to viewers and the data stays served", async () => {
  const log = captureLog();
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  await using server = await startTestServer(
    { source: { kind: "stdin" }, x: { kind: "index" } },
    { input: pipe.readable, log: log.log },
  );
  const writer = pipe.writable.getWriter();
  await writer.write(encoder.encode("5\n6\n"));
  await writer.close();
  await waitFor(() => server.hub?.status.state === "ended", 5000, "the source to end");
  const viewer = await connectViewer(server);
  await waitFor(() => viewer.lines().length === 2, 5000, "the window after the end");
  assert.deepEqual(viewer.lines(), ["0 0 5", "0 1 6"]);
  const status = controlMessages(viewer.messages).find((m) => m.type === "status");
  assert.equal(status?.state, "ended");
  assert.equal(status?.exitCode, null);
  await closeSocket(viewer.socket);
});

Deno.test("a stopped hub stays stopped: later points are kept, never sent", async () => {
  await using piped = await startPiped();
  const viewer = await connectViewer(piped.server);
  await piped.write("1\n");
  await waitFor(() => viewer.lines().length === 1, 5000, "the first point");
  piped.server.hub?.stop();
  await piped.write("2\n3\n");
  await waitFor(() => piped.server.hub?.pointCount === 3, 5000, "the later points to be taken");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(viewer.lines(), ["0 0 1"], "nothing sent after stop");
  await closeSocket(viewer.socket);
});

Deno.test("values that are not finite doubles are refused and counted; the rest of the row plots", async () => {
  await using piped = await startPiped();
  const viewer = await connectViewer(piped.server);
  await piped.write("1e400 5\nnan 6\n7 8\n");
  await waitFor(() => viewer.lines().length === 4, 5000, "the finite points");
  // Ids follow the order series first take a point: column 1 did first.
  assert.deepEqual(viewer.lines(), ["0 0 5", "0 1 6", "1 2 7", "0 2 8"]);
  const meta = controlMessages(viewer.messages).filter((m) => m.type === "meta").at(-1);
  assert.deepEqual(meta?.series, [{ id: 0, name: "1" }, { id: 1, name: "0" }]);
  await waitFor(
    () => controlMessages(viewer.messages).some((m) => m.type === "status" && m.refused === 1),
    5000,
    "a status counting one refused point",
  );
  const status = controlMessages(viewer.messages).filter((m) => m.type === "status").at(-1);
  assert.equal(status?.skipped, 0, "a gap is not a skipped line");
  await closeSocket(viewer.socket);
});

Deno.test("past --history the oldest points go and viewers are told where history begins", async () => {
  // 16 chunks of 4,096 points: a few chunks per series beyond the window.
  await using piped = await startPiped({ historyBytes: 16 * 66 * 1024 });
  const viewer = await connectViewer(piped.server);
  const lines = Array.from({ length: 100_000 }, (_, i) => `${i} ${-i}\n`);
  for (let i = 0; i < lines.length; i += 10_000) {
    await piped.write(lines.slice(i, i + 10_000).join(""));
  }
  await waitFor(() => piped.server.hub?.pointCount === 200_000, 10_000, "200,000 points taken");
  const history = piped.server.hub!.history;
  assert.ok(
    history.bytes <= 16 * 66 * 1024 + 2 * 66 * 1024,
    `history holds ${history.bytes} bytes`,
  );
  assert.ok(history.evicted > 0, "the oldest points went");
  const start = history.startX as number;
  assert.ok(start > 0, `history now begins at x=${start}`);
  await waitFor(
    () =>
      controlMessages(viewer.messages).some((m) => m.type === "status" && m.historyStart === start),
    5000,
    "a status saying where history begins",
  );
  const range = await (await fetch(new URL("/data/range?width=10000", piped.server.url))).json();
  assert.equal(range.historyStart, start);
  await closeSocket(viewer.socket);
});

Deno.test("after a slow pass over the viewers the next frame waits as long again after it ended", async () => {
  const { log } = captureLog();
  const hub = new Hub({ window: { points: 100 }, maxQueuedBytes: 1 << 20, log, historyBytes: 0 });
  const PASS_MS = 30;
  /** When each data frame's sending began and ended. */
  const passes: { start: number; end: number }[] = [];
  hub.attach({
    bufferedAmount: 0,
    protocol: "",
    send(data) {
      if (typeof data !== "string" || data.startsWith("{")) return;
      // A pass over thousands of sockets, in one: sending takes PASS_MS.
      const start = performance.now();
      while (performance.now() - start < PASS_MS) { /* busy, as a long pass is */ }
      passes.push({ start, end: performance.now() });
    },
    close() {},
  });
  for (let i = 0; i < 3; i++) {
    hub.add("a", i, i);
    hub.commit();
    // Each read arrives as soon as the loop is free after the previous frame.
    await waitFor(() => passes.length === i + 1, 2000, `frame ${i + 1}`);
  }
  hub.stop();
  for (let i = 1; i < passes.length; i++) {
    const gap = passes[i]!.start - passes[i - 1]!.end;
    assert.ok(gap >= PASS_MS - 2, `frame ${i + 1} began ${gap.toFixed(1)} ms after the last pass`);
  }
});

Deno.test("a joining viewer is told where history starts now, and the status as it is now", () => {
  const { log } = captureLog();
  const hub = new Hub({
    window: { points: 100 },
    maxQueuedBytes: 1 << 20,
    log,
    historyBytes: 1 << 20,
  });
  const join = () => {
    const messages: string[] = [];
    hub.attach({
      bufferedAmount: 0,
      protocol: "",
      send: (data) => void (typeof data === "string" && messages.push(data)),
      close() {},
    });
    const control = messages.filter((m) => m.startsWith("{")).map((m) => JSON.parse(m));
    return {
      meta: control.find((m) => m.type === "meta"),
      status: control.find((m) => m.type === "status"),
    };
  };
  hub.add("a", 10, 1);
  hub.add("a", 11, 2);
  hub.commit();
  const first = join();
  assert.equal(first.meta.historyStart, 10);
  assert.equal(first.status.historyStart, 10);
  // An earlier x moves where history starts, and no status or meta change says so.
  hub.add("a", 5, 3);
  hub.commit();
  const second = join();
  assert.equal(second.meta.historyStart, 5);
  assert.equal(second.status.historyStart, 5);
  assert.deepEqual(join(), second, "nothing changed: the same meta and status");
  hub.report({ skipped: 7 });
  hub.add("b", 12, 4);
  const third = join();
  assert.equal(third.status.skipped, 7);
  assert.deepEqual(third.meta.series.map((s: { name: string }) => s.name), ["a", "b"]);
  hub.stop();
});
