import assert from "node:assert/strict";
import {
  CUT_MARK,
  openRecorder,
  type Recorder,
  RecordError,
  RECORDING_HEADER,
  SESSION_PREFIX,
} from "../stream/recorder.ts";
import { captureLog, waitFor, withTimeout } from "./helpers.ts";

const SESSION_LINE = /^# session \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function usingTempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "liveplot-record-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("a new recording: header, session line, then arrival<TAB>line exactly", async () => {
  await using dir = await usingTempDir();
  const file = `${dir.path}/session.txt`;
  const recorder = await openRecorder(file, { log: captureLog().log });
  const arrivals = [1764101043.123456, 1764101043.1234567, 1764101044];
  recorder.record(["1 2 3", "a\tb", ""], arrivals);
  await recorder.close();
  const lines = (await Deno.readTextFile(file)).split("\n");
  assert.equal(lines[0], RECORDING_HEADER);
  assert.match(lines[1]!, SESSION_LINE);
  assert.deepEqual(lines.slice(2), [
    "1764101043.123456\t1 2 3",
    "1764101043.1234567\ta\tb",
    "1764101044\t",
    "",
  ]);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, "only its owner reads it");
  }
});

Deno.test("recorded lines reach the file within a second, without a close", async () => {
  await using dir = await usingTempDir();
  const file = `${dir.path}/live.txt`;
  const recorder = await openRecorder(file, { log: captureLog().log });
  try {
    await recorder.flush();
    const started = performance.now();
    recorder.record(["42"], [1.5]);
    await waitFor(
      () => Deno.readTextFileSync(file).endsWith("1.5\t42\n"),
      1000,
      "the line in the file",
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  } finally {
    await recorder.close();
  }
});

Deno.test("an existing recording is appended to, its header kept once", async () => {
  await using dir = await usingTempDir();
  const file = `${dir.path}/again.txt`;
  for (const value of ["first", "second"]) {
    const recorder = await openRecorder(file, { log: captureLog().log });
    recorder.record([value], [value.length]);
    await recorder.close();
  }
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assert.equal(lines.length, 5);
  assert.equal(lines[0], RECORDING_HEADER);
  assert.match(lines[1]!, SESSION_LINE);
  assert.equal(lines[2], "5\tfirst");
  assert.match(lines[3]!, SESSION_LINE);
  assert.equal(lines[4], "6\tsecond");
});

Deno.test("a recording whose last line was cut short gets the cut mark and a newline before the next session", async () => {
  await using dir = await usingTempDir();
  const file = `${dir.path}/cut.lpr`;
  const before = `${RECORDING_HEADER}\n# session 2026-01-01T00:00:00.000Z\n1\t1 2\n2\t3 4.`;
  await Deno.writeTextFile(file, before);
  const recorder = await openRecorder(file, { log: captureLog().log });
  recorder.record(["5 6"], [3]);
  await recorder.close();
  const text = await Deno.readTextFile(file);
  assert.ok(text.startsWith(`${before}${CUT_MARK}\n${SESSION_PREFIX}`), JSON.stringify(text));
  assert.equal(CUT_MARK, "\x1b\\\x18");
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(3, 4), [`2\t3 4.${CUT_MARK}`]);
  assert.match(lines[4]!, SESSION_LINE);
  assert.deepEqual(lines.slice(5), ["3\t5 6", ""]);
});

Deno.test("a file that is not a recording is refused and left alone", async () => {
  await using dir = await usingTempDir();
  const file = `${dir.path}/data.csv`;
  await Deno.writeTextFile(file, "a,b\n1,2\n");
  await assert.rejects(
    () => openRecorder(file, { log: captureLog().log }),
    (error) =>
      error instanceof RecordError &&
      error.message === `Cannot record to "${file}": it is not a liveplot recording`,
  );
  assert.equal(await Deno.readTextFile(file), "a,b\n1,2\n");
  await assert.rejects(
    () => openRecorder(`${dir.path}/missing/x.txt`, { log: captureLog().log }),
    /^RecordError: Cannot open recording ".*\/missing\/x.txt": no such directory$/,
  );
});

Deno.test({
  name: "a file the OS will not open for writing is refused with the reason",
  // sysfs refuses to create a file even for root: a real permission error.
  ignore: !existsSync("/sys/kernel"),
  fn: async () => {
    await assert.rejects(
      () => openRecorder("/sys/kernel/liveplot.txt", { log: captureLog().log }),
      /^RecordError: Cannot open recording "\/sys\/kernel\/liveplot.txt": permission denied$/,
    );
  },
});

Deno.test("a full disk is one error line; recording stops, the caller is told, nothing throws", async () => {
  const { log, lines } = captureLog();
  const failures: RecordError[] = [];
  // /dev/full fails every write with ENOSPC, as a full file system does.
  const recorder = await openRecorder("/dev/full", {
    log,
    onFailure: (error) => failures.push(error),
  });
  recorder.record(["1"], [1]);
  await waitFor(() => failures.length > 0, 2000, "the failure");
  for (let index = 0; index < 100; index++) recorder.record(["more"], [index]);
  await recorder.flush();
  await recorder.close();
  assert.equal(recorder.failed, true);
  assert.equal(failures.length, 1);
  assert.match(
    failures[0]!.message,
    /^Cannot write recording "\/dev\/full": No space left on device/,
  );
  const errors = lines.filter((line) => line.startsWith("level=error"));
  assert.equal(errors.length, 1, lines.join("\n"));
  assert.match(errors[0]!, /event=record-failed .*No space left on device.*without recording/);
});

Deno.test("a disk that does not keep up: the buffer stays bounded, drops are counted and warned once", async () => {
  await using dir = await usingTempDir();
  const fifo = `${dir.path}/slow`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0, "mkfifo");
  const { log, lines } = captureLog();
  // A pipe nobody reads yet: writes stop once its 64 KiB buffer is full.
  const reading = Deno.open(fifo, { read: true });
  const recorder: Recorder = await openRecorder(fifo, { log, maxBufferedBytes: 256 * 1024 });
  const reader = await reading;
  const line = "x".repeat(100);
  const total = 20_000;
  for (let index = 0; index < total; index++) {
    recorder.record([line], [index]);
    // Let the write loop run, and block on the full pipe.
    if (index % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(recorder.dropped > total / 2, `${recorder.dropped} dropped`);
  assert.equal(lines.filter((entry) => entry.includes("event=record-dropping")).length, 1);
  const text = await withTimeout(
    (async () => {
      const closing = recorder.close();
      const text = await new Response(reader.readable).text();
      await closing;
      return text;
    })(),
    10_000,
    "the pipe to drain",
  );
  const data = text.trimEnd().split("\n").filter((entry) => !entry.startsWith("#"));
  assert.equal(data.length, total - recorder.dropped, "every line not dropped is written");
  // Whole lines, in order; the dropped ones are simply missing.
  let previous = -1;
  for (const entry of data) {
    const [arrival, rest] = entry.split("\t");
    assert.equal(rest, line);
    assert.ok(Number(arrival) > previous, `${arrival} after ${previous}`);
    previous = Number(arrival);
  }
  assert.ok(text.startsWith(`${RECORDING_HEADER}\n${SESSION_PREFIX}`));
  assert.ok(lines.some((entry) => entry.includes(`event=record-dropped`)));
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
