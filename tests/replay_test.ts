import assert from "node:assert/strict";
import { csvChunks } from "../stream/csv_export.ts";
import { History } from "../stream/history.ts";
import { CUT_MARK, openRecorder, RECORDING_HEADER } from "../stream/recorder.ts";
import { readableText } from "../stream/escapes.ts";
import { CUT_SHORT, openReplay, type ReplayBatch, ReplayError } from "../stream/replay.ts";
import {
  captureLog,
  controlMessages,
  record,
  socketUrl,
  startTestServer,
  waitFor,
  withTimeout,
} from "./helpers.ts";

async function usingTempFile(text?: string): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempFile({ prefix: "liveplot-replay-" });
  if (text !== undefined) await Deno.writeTextFile(path, text);
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path) };
}

/** Plays a whole recording, noting when each batch came (ms since the start). */
async function play(
  path: string,
  speed: number | "max",
  signal?: AbortSignal,
  maxWaitMs?: number,
) {
  const started = performance.now();
  const batches: (ReplayBatch & { at: number })[] = [];
  const malformed: number[] = [];
  const replay = await openReplay(path, {
    speed,
    signal,
    maxWaitMs,
    onMalformed: (lineNumber) => malformed.push(lineNumber),
  });
  await withTimeout(
    (async () => {
      for await (const batch of replay) batches.push({ ...batch, at: performance.now() - started });
    })(),
    20_000,
    "the replay to end",
  );
  return {
    batches,
    lines: batches.flatMap((batch) => batch.lines),
    arrivals: batches.flatMap((batch) => batch.arrivals),
    elapsed: performance.now() - started,
    malformed,
  };
}

function recording(arrivals: number[], sessionsAt: number[] = []): string {
  const lines = [RECORDING_HEADER, "# session 2026-01-01T00:00:00.000Z"];
  arrivals.forEach((arrival, index) => {
    if (sessionsAt.includes(index)) lines.push("# session 2026-01-02T00:00:00.000Z");
    lines.push(`${arrival}\tline ${index}`);
  });
  return lines.join("\n") + "\n";
}

Deno.test("a replay gives back exactly the recorded lines and arrival times", async () => {
  await using file = await usingTempFile();
  await Deno.remove(file.path);
  const base = Date.now() / 1000;
  const arrivals = Array.from({ length: 5000 }, (_, index) => base + index * 1e-7 + index / 3);
  const lines = arrivals.map((_, index) => index % 7 === 0 ? `tab\there ${index}` : `${index} 1 2`);
  const recorder = await openRecorder(file.path, { log: captureLog().log });
  for (let index = 0; index < lines.length; index += 100) {
    recorder.record(lines.slice(index, index + 100), arrivals.slice(index, index + 100));
  }
  await recorder.close();
  const replayed = await play(file.path, "max");
  assert.deepEqual(replayed.lines, lines);
  assert.deepEqual(replayed.arrivals, arrivals, "arrivals round-trip bit for bit");
  assert.deepEqual(replayed.malformed, []);
});

Deno.test("speed N keeps the recorded pace divided by N", async () => {
  await using file = await usingTempFile(
    recording(Array.from({ length: 11 }, (_, index) => 1000 + index / 10)),
  );
  const { batches, elapsed, lines } = await play(file.path, 4);
  assert.equal(lines.length, 11);
  assert.ok(elapsed >= 245, `a 1 s recording at 4x took ${elapsed} ms`);
  assert.ok(elapsed < 1000, `a 1 s recording at 4x took ${elapsed} ms`);
  // Each line waits for its time after the replay's own start, which is after `play` began
  // and before the first batch reached us (a busy machine can delay that one alone).
  for (const batch of batches) {
    const due = (batch.arrivals[0]! - 1000) * 1000 / 4;
    assert.ok(batch.at >= due - 2, `line at ${batch.arrivals[0]} came ${batch.at} ms in`);
  }
});

Deno.test("speed max does not wait; the gap between sessions is never waited", async () => {
  await using long = await usingTempFile(recording([0, 500, 1000]));
  const fast = await play(long.path, "max");
  assert.deepEqual(fast.arrivals, [0, 500, 1000]);
  assert.ok(fast.elapsed < 5000, `took ${fast.elapsed} ms`);

  // 0.3 s within each session, an hour between them.
  await using sessions = await usingTempFile(recording([0, 0.3, 3600, 3600.3], [2]));
  const paced = await play(sessions.path, 1);
  assert.deepEqual(paced.arrivals, [0, 0.3, 3600, 3600.3]);
  assert.ok(paced.elapsed >= 590, `two 0.3 s sessions took ${paced.elapsed} ms`);
  assert.ok(paced.elapsed < 3000, `two 0.3 s sessions took ${paced.elapsed} ms`);
});

Deno.test("an abort ends a replay in the middle of a wait", async () => {
  await using file = await usingTempFile(recording([0, 60]));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const { lines, elapsed } = await play(file.path, 1, controller.signal);
  assert.deepEqual(lines, ["line 0"]);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
});

Deno.test("malformed lines are skipped and reported; comments and blank lines are not", async () => {
  const text = `${RECORDING_HEADER}\n1\ta\nno tab\n\n# note\nx\tb\n2\tc\n`;
  await using file = await usingTempFile(text);
  const { lines, arrivals, malformed } = await play(file.path, "max");
  assert.deepEqual(lines, ["a", "c"]);
  assert.deepEqual(arrivals, [1, 2]);
  assert.deepEqual(malformed, [3, 6]);
});

Deno.test("a file that is not a recording, or is missing, cannot be replayed", async () => {
  await using file = await usingTempFile("1,2\n3,4\n");
  await assert.rejects(
    () => openReplay(file.path, { speed: 1 }),
    (error) =>
      error instanceof ReplayError &&
      error.message.startsWith(`Cannot replay "${file.path}": not a recording (`),
  );
  await assert.rejects(
    () => openReplay("/nonexistent/recording.txt", { speed: "max" }),
    /^ReplayError: Cannot replay "\/nonexistent\/recording.txt": not found$/,
  );
  await assert.rejects(
    () => openReplay(file.path, { speed: 0 }),
    /speed must be a positive number/,
  );
});

Deno.test("a session replayed at max into a new history exports the same CSV, byte for byte", async () => {
  await using file = await usingTempFile();
  await Deno.remove(file.path);
  // Lines `a b`: two series, x the line's arrival, as the columns reader does with arrival x.
  const store = (lines: string[], arrivals: number[], history: History) => {
    lines.forEach((line, index) => {
      line.split(" ").forEach((field, series) =>
        history.append(series, arrivals[index]!, Number(field))
      );
    });
  };
  const live = new History({ maxBytes: 1 << 30, windowPoints: 100 });
  const recorder = await openRecorder(file.path, { log: captureLog().log });
  let arrival = Date.now() / 1000;
  for (let read = 0; read < 200; read++) {
    const lines = Array.from(
      { length: 50 },
      (_, index) => `${Math.sin(read + index)} ${read * index}`,
    );
    const arrivals = lines.map(() => (arrival += 0.0000123));
    store(lines, arrivals, live);
    recorder.record(lines, arrivals);
  }
  await recorder.close();
  const replayed = new History({ maxBytes: 1 << 30, windowPoints: 100 });
  for await (const { lines, arrivals } of await openReplay(file.path, { speed: "max" })) {
    store(lines, arrivals, replayed);
  }
  const csv = (history: History) =>
    [...csvChunks({ history, names: ["a", "b"], xKind: "time" })].join("");
  assert.equal(replayed.points, 20_000);
  assert.equal(csv(replayed), csv(live));
  assert.deepEqual(
    replayed.range(1, -Infinity, Infinity, 100),
    live.range(1, -Infinity, Infinity, 100),
  );
});

Deno.test("arrivals that are not finite, out of range or going back are skipped and reported", async () => {
  // Line 2 is the first after the header; 1.5 goes back 0.5 s, within the tolerance.
  const arrivals = ["1", "-5", "1e308", "Infinity", "2", "0.5", "1.5"];
  const text = [RECORDING_HEADER, ...arrivals.map((arrival, i) => `${arrival}\tline ${i}`)];
  await using file = await usingTempFile(text.join("\n") + "\n");
  const { lines, arrivals: played, malformed } = await play(file.path, "max");
  assert.deepEqual(lines, ["line 0", "line 4", "line 6"]);
  assert.deepEqual(played, [1, 2, 1.5]);
  assert.deepEqual(malformed, [3, 4, 5, 7]);
});

Deno.test("a gap past the longest wait plays as that wait, even one past a timer's range", async () => {
  // 35 days: past 2^31-1 ms, which a timer would take as 1 ms (and warn).
  await using file = await usingTempFile(recording([0, 35 * 86_400, 35 * 86_400 + 0.1]));
  // A busy machine: the thread is held past the gap's end, so its timer fires 100 ms late.
  const busy = setTimeout(() => {
    const until = performance.now() + 200;
    while (performance.now() < until) { /* busy */ }
  }, 200);
  const { lines, batches, elapsed } = await play(file.path, 1, undefined, 300);
  clearTimeout(busy);
  assert.deepEqual(lines, ["line 0", "line 1", "line 2"]);
  assert.ok(elapsed >= 290, `the gap played in ${elapsed} ms, not the 300 ms cap`);
  assert.ok(elapsed < 5000, `the gap played in ${elapsed} ms, not the 300 ms cap`);
  const gapAfter = batches.at(-1)!.at - batches[1]!.at;
  assert.ok(gapAfter >= 90, `the 100 ms after the gap played in ${gapAfter} ms`);
});

Deno.test("/dev/zero is not a recording, said at once without reading it all", async () => {
  await assert.rejects(
    () => withTimeout(openReplay("/dev/zero", { speed: "max" }), 5000, "the header check"),
    (error) =>
      error instanceof ReplayError &&
      error.message.startsWith('Cannot replay "/dev/zero": not a recording'),
  );
});

/** Every line of a replay at full speed, and each line skipped: number, text, reason. */
async function replayAtMax(
  path: string,
): Promise<{ lines: string[]; skipped: [number, string, string][] }> {
  const skipped: [number, string, string][] = [];
  const replay = await openReplay(path, {
    speed: "max",
    onMalformed: (...args) => skipped.push(args),
  });
  const lines: string[] = [];
  for await (const batch of replay) lines.push(...batch.lines);
  return { lines, skipped };
}

/** The last status a viewer of a replay of `path` (at full speed) hears, once it has ended. */
async function statusAtEnd(path: string): Promise<Record<string, unknown> | undefined> {
  await using server = await startTestServer({ source: { kind: "replay", path, speed: "max" } });
  // Recorded from the start: the window and status come as soon as it opens.
  const socket = new WebSocket(socketUrl(server.url, "/data"));
  const { messages, closed } = record(socket);
  await waitFor(
    () => controlMessages(messages).some((message) => message.state === "ended"),
    5000,
    "the replay to end",
  );
  socket.close();
  await closed;
  return controlMessages(messages).filter((message) => message.type === "status").at(-1);
}

Deno.test("a replayed line that cannot be played is counted as skipped, with why", async () => {
  const text = `${RECORDING_HEADER}\n1\t1 2\nno tab\n-5\t3 4\n\n# note\n2\t5 6\n`;
  await using file = await usingTempFile(text);
  const status = await statusAtEnd(file.path);
  assert.equal(status?.skipped, 2);
  const reasons = (status?.recentSkipped as { reason: string }[]).map(({ reason }) => reason);
  assert.deepEqual(reasons, ["no arrival time", "arrival time out of range"]);
});

Deno.test("a last line without its newline is cut short: skipped and counted, with why", async () => {
  const text = `${RECORDING_HEADER}\n1\t1 2\n2\t3 4\n3\t5 6.2`;
  await using file = await usingTempFile(text);
  const { lines, skipped } = await replayAtMax(file.path);
  assert.deepEqual(lines, ["1 2", "3 4"]);
  assert.deepEqual(skipped, [[4, "3\t5 6.2", CUT_SHORT]]);
  // On the page too: the status counts it, with the reason.
  const status = await statusAtEnd(file.path);
  assert.equal(status?.skipped, 1);
  assert.deepEqual(status?.recentSkipped, [{ line: "3\t5 6.2", reason: CUT_SHORT }]);
});

Deno.test("a recording cut short and recorded to again keeps its sessions apart", async () => {
  // The first session's last line lost its end (a crash, a full disk); an hour later, another.
  await using file = await usingTempFile(recording([0, 0.2]) + "0.3\t3");
  const recorder = await openRecorder(file.path, { log: captureLog().log });
  recorder.record(["4", "5"], [3600, 3600.2]);
  await recorder.close();
  const { lines, arrivals, malformed, elapsed } = await play(file.path, 1, undefined, 3000);
  // The cut line stays skipped: "3" may have been "31" or "3.25" before the crash.
  assert.deepEqual(lines, ["line 0", "line 1", "4", "5"]);
  assert.deepEqual(arrivals, [0, 0.2, 3600, 3600.2]);
  assert.deepEqual(malformed, [5]);
  // Two sessions of 0.2 s each: the hour between them is not waited.
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
});

Deno.test("a line cut short stays skipped, as cut short, however many sessions follow it", async () => {
  // Two crashes, each mid-line, each followed by another session; then a clean one.
  await using file = await usingTempFile(`${recording([1])}2\tx=12`);
  for (const [value, arrival, cut] of [["x=20", 3, "4\tx=3"], ["x=30", 5, ""]] as const) {
    const recorder = await openRecorder(file.path, { log: captureLog().log });
    recorder.record([value], [arrival]);
    await recorder.close();
    await Deno.writeTextFile(file.path, cut, { append: true });
  }
  const { lines, skipped } = await replayAtMax(file.path);
  assert.deepEqual(lines, ["line 0", "x=20", "x=30"]);
  assert.deepEqual(skipped, [[4, "2\tx=12", CUT_SHORT], [7, "4\tx=3", CUT_SHORT]]);
  // On the page: counted, each with the line as it was cut and the reason.
  const status = await statusAtEnd(file.path);
  assert.equal(status?.skipped, 2);
  assert.deepEqual(status?.recentSkipped, [
    { line: "2\tx=12", reason: CUT_SHORT },
    { line: "4\tx=3", reason: CUT_SHORT },
  ]);
});

Deno.test("no line a source reads as text ends with the cut mark: a skipped line is never data", () => {
  // Whatever a cut line held when the crash came (an escape sequence begun, a string not ended),
  // the mark leaves it no text, so no input line that gave points live can end with it.
  const ends = ["", "x=1", "x=1\x1b", "x=1\x1b[", "x=1\x1b[0;3", "x=1\x1b]0;title", "x=1\x1bP"]
    .concat(["x=1\x1b]0;t\x1b", "x=1\x1b(", "\u00e9", "x=1\x07", "x=1\x1b\\"]);
  for (const end of ends) {
    assert.equal(readableText(`${end}${CUT_MARK}`), undefined, JSON.stringify(end));
  }
});
