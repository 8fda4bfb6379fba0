import assert from "node:assert/strict";
import {
  captureLog,
  closeSocket,
  controlMessages,
  dataLines,
  FIXTURES,
  record,
  runCli,
  socketUrl,
  spawnCli,
  startPiped,
  startTestServer,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";

const encoder = new TextEncoder();

function viewer(url: URL) {
  const socket = new WebSocket(socketUrl(url, "/data"));
  const recorded = record(socket);
  return {
    socket,
    messages: recorded.messages,
    lines: () => dataLines(recorded.messages),
    opened: withTimeout(
      new Promise((resolve) => socket.addEventListener("open", resolve, { once: true })),
      5000,
      "the viewer to connect",
    ),
  };
}

/** Process ids whose process group is `group`, from /proc (Linux). */
async function processGroupMembers(group: number): Promise<number[]> {
  const members: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // Fields after the command name in parentheses: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === group && fields[0] !== "Z") members.push(Number(entry.name));
  }
  return members;
}

Deno.test("stdin: lines written to liveplot's standard input reach a WebSocket viewer", async () => {
  const cli = spawnCli(["--port", "0", "--no-open", "--x", "index", "-"], { stdin: "piped" });
  const url = await cli.url;
  const seen = viewer(url);
  await seen.opened;
  const writer = cli.process.stdin.getWriter();
  await writer.write(encoder.encode("1 10\n2 20\n"));
  await waitFor(() => seen.lines().length === 4, 5000, "the first two samples");
  await writer.write(encoder.encode("3 30\n"));
  await waitFor(() => seen.lines().length === 6, 5000, "a live sample");
  assert.deepEqual(seen.lines(), ["0 0 1", "1 0 10", "0 1 2", "1 1 20", "0 2 3", "1 2 30"]);
  await writer.close();
  await waitFor(
    () => controlMessages(seen.messages).some((m) => m.state === "ended"),
    5000,
    "the end of input to be told",
  );
  await closeSocket(seen.socket);
  assert.equal((await cli.stop()).code, 0);
});

Deno.test("stdin: x is the arrival time by default, in seconds", async () => {
  const cli = spawnCli(["--port", "0", "--no-open", "-"], { stdin: "piped" });
  const url = await cli.url;
  const seen = viewer(url);
  await seen.opened;
  const before = Date.now() / 1000;
  const writer = cli.process.stdin.getWriter();
  await writer.write(encoder.encode("7\n"));
  await waitFor(() => seen.lines().length === 1, 5000, "one sample");
  const [series, x, y] = (seen.lines()[0] ?? "").split(" ");
  assert.equal(series, "0");
  assert.equal(y, "7");
  assert.ok(Number(x) >= before - 1 && Number(x) <= Date.now() / 1000 + 1, `x=${x} is now`);
  assert.equal(controlMessages(seen.messages)[0]?.x, "time");
  await writer.close();
  await closeSocket(seen.socket);
  await cli.stop();
});

Deno.test("command: viewers get the header's names, the points in order and exit code 3", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({
    source: { kind: "command", command: `${FIXTURES}header_then_exit.sh`, args: ["0.5"] },
    x: { kind: "index" },
  }, { log });
  const seen = viewer(server.url);
  await seen.opened;
  await waitFor(
    () => controlMessages(seen.messages).some((m) => m.state === "ended"),
    10_000,
    "the command to end",
  );
  const expected = Array.from(
    { length: 20 },
    (_, i) => [`0 ${i} ${i}`, `1 ${i} ${i * 2}`, `2 ${i} ${i * 3}`],
  ).flat();
  assert.deepEqual(seen.lines(), expected);
  const controls = controlMessages(seen.messages);
  const meta = controls.filter((m) => m.type === "meta").at(-1);
  assert.deepEqual(meta?.series, [
    { id: 0, name: "alpha" },
    { id: 1, name: "beta" },
    { id: 2, name: "gamma" },
  ]);
  const ended = controls.find((m) => m.state === "ended");
  assert.equal(ended?.exitCode, 3);
  assert.ok(lines.some((line) => line.includes("event=source-ended") && line.includes("code=3")));
  // It keeps serving the data it has.
  const late = viewer(server.url);
  await late.opened;
  await waitFor(() => late.lines().length === 60, 5000, "the late viewer's window");
  await closeSocket(seen.socket);
  await closeSocket(late.socket);
});

Deno.test("deno task start -- runs a command source with the start task's own permissions", async () => {
  const cli = spawnCli(
    ["--port", "0", "--no-open", "--x", "index", "--", "sh", `${FIXTURES}header_then_exit.sh`],
    { task: true },
  );
  const url = await cli.url;
  const seen = viewer(url);
  await seen.opened;
  await waitFor(() => seen.lines().length === 60, 10_000, "the command's 20 samples");
  assert.ok(seen.lines().includes("2 19 57"), "the last sample of the third column");
  await closeSocket(seen.socket);
  assert.equal((await cli.stop()).code, 0);
});

Deno.test("a command that cannot be started is one clear line and exit code 1", async () => {
  const { code, stderr } = await runCli(["--port", "0", "--no-open", "--", "no-such-command-x"]);
  assert.equal(code, 1);
  assert.equal(stderr.trim(), 'Cannot start command "no-such-command-x": not found');
  // What a newcomer likely meant, said.
  const quoted = await runCli(["--port", "0", "--no-open", "--", "vmstat 1"]);
  assert.match(quoted.stderr, /"vmstat 1": not found \(a command line in one word: give its words/);
  const help = await runCli(["--port", "0", "--no-open", "help"]);
  assert.match(help.stderr, /"help": not found \(see liveplot --help\)/);
});

Deno.test({
  name: "shutdown stops a command that ignores SIGTERM, and its children, with SIGKILL",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const cli = spawnCli([
      "--port",
      "0",
      "--no-open",
      "--no-pty",
      "--",
      "sh",
      `${FIXTURES}ignore_term.sh`,
    ]);
    await cli.url;
    const started = await waitForLine(cli.stderr, "source-started", 5000);
    const pid = Number(/child=(\d+)/.exec(started)?.[1]);
    // The log line comes as the command is spawned: its sleep may not run yet.
    let members: number[] = [];
    await waitFor(
      () => {
        processGroupMembers(pid).then((list) => members = list);
        return members.length >= 2;
      },
      5000,
      "the command and its sleep to run",
    );
    const status = await cli.stop();
    assert.equal(status.code, 0);
    assert.ok(cli.stderr.some((line) => line.includes("event=source-killed")));
    assert.deepEqual(await processGroupMembers(pid), [], "nothing of the command is left");
  },
});

Deno.test({
  name: "on a pseudo-terminal too, shutdown leaves nothing of a command that ignores SIGTERM",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const cli = spawnCli(["--port", "0", "--no-open", "--", "sh", `${FIXTURES}ignore_term.sh`]);
    await cli.url;
    const started = await waitForLine(
      cli.stderr,
      /event=source-started .*unbuffered=script( |$)/,
      5000,
      "the source-started line",
    );
    const script = Number(/child=(\d+)/.exec(started)?.[1]);
    let members: number[] = [];
    await waitFor(
      () => {
        const children = Deno.readTextFileSync(`/proc/${script}/task/${script}/children`).trim();
        members = children.split(/\s+/).filter(Boolean).map(Number);
        return members.length > 0;
      },
      5000,
      "the command under script",
    );
    const command = members[0] as number;
    await waitFor(
      () => {
        processGroupMembers(command).then((list) => members = list);
        return members.length >= 2;
      },
      5000,
      "the command and its sleep",
    );
    assert.equal((await cli.stop()).code, 0);
    assert.deepEqual(await processGroupMembers(command), [], "nothing of the command is left");
  },
});

Deno.test("a source that never pauses does not starve pages, /test or viewers", async () => {
  // Disposed however the test ends: `yes` under `script` must not outlive a failure.
  await using cli = spawnCli(["--port", "0", "--no-open", "--", "yes", "1 2 3"]);
  const url = await cli.url;
  const seen = countingViewer(url);
  await seen.opened;
  // Starved would be never; on a machine loaded by the rest of the suite an answer may take
  // a second or two, so the bound is generous and the test counts answers, not milliseconds.
  for (let i = 0; i < 20; i++) {
    const response = await withTimeout(fetch(new URL("/test", url)), 5000, "/test under load");
    assert.equal(await response.text(), "Yes this is a test!");
    const page = await withTimeout(fetch(url), 5000, "the page under load");
    assert.equal(page.status, 200);
    await page.body?.cancel();
  }
  const before = seen.data();
  // Behind on a busy machine, a viewer may get the reduced stream (latest values, 4 a second):
  // not starved is more points, not every point. Starved would be never, so the deadline is
  // what a test process sharing a busy CI machine may take to read them (seen past 10 s).
  await waitFor(
    () => seen.data() > before + 3 || seen.closedCode() !== undefined,
    30_000,
    "more points for the viewer",
  );
  if (seen.closedCode() !== undefined) {
    // A test process too busy to read is dropped as a slow viewer (1013): the server is not
    // starving anyone, and a new viewer is served.
    assert.equal(seen.closedCode(), 1013, "the only close is a slow viewer's");
    const again = countingViewer(url);
    await again.opened;
    await waitFor(() => again.data() > 3, 30_000, "points for a new viewer");
    await closeSocket(again.socket);
  }
  await closeSocket(seen.socket);
  assert.equal((await cli.stop()).code, 0);
});

/**
 * A viewer of `/data` that counts its data messages and keeps none: a source that never
 * pauses sends about 80 MB of text a second, which a viewer that kept it all (`viewer`)
 * could not hold for long in a busy test process.
 */
function countingViewer(url: URL) {
  const socket = new WebSocket(socketUrl(url, "/data"));
  let data = 0;
  let closedCode: number | undefined;
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string" && !event.data.startsWith("{")) data++;
  });
  socket.addEventListener("close", (event) => closedCode = event.code);
  return {
    socket,
    data: () => data,
    closedCode: () => closedCode,
    opened: withTimeout(
      new Promise((resolve) => socket.addEventListener("open", resolve, { once: true })),
      5000,
      "the viewer to connect",
    ),
  };
}

/**
 * A program that block-buffers a pipe, as C's stdio does: after a second (for the viewer to
 * join), perl prints a line every 500 ms, each with the time it was printed. (awk would not
 * do: it flushes before every `system()` and command `getline`.)
 */
/**
 * Prints `I LATE` six times and after each waits until the test, seeing line
 * I on the page's socket, creates `DIR/go-I`; past `LIMIT` seconds it goes on
 * and the next line says LATE 1. perl's stdio block-buffers a pipe.
 */
const HANDSHAKE_PROGRAM = "my ($dir, $limit) = @ARGV; my $late = 0; for my $i (0..5) { " +
  'printf "%d %d\\n", $i, $late; $late = 0; my $start = time; ' +
  'until (-e "$dir/go-$i") { if (time - $start > $limit) { $late = 1; last } sleep 0.01 } }';

/** Runs the handshake program under liveplot (`args` first) and returns each line's LATE. */
async function lateness(args: string[], limit: number): Promise<number[]> {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-handshake-" });
  const perl = ["perl", "-MTime::HiRes=time,sleep", "-e", HANDSHAKE_PROGRAM, dir, String(limit)];
  const cli = spawnCli(["--port", "0", "--no-open", "--x", "index", ...args, "--", ...perl]);
  try {
    const seen = viewer(await cli.url);
    const late = new Map<number, number>();
    seen.socket.addEventListener("message", (event) => {
      for (const line of dataLines([event.data])) {
        const [series, x, y] = line.split(" ").map(Number) as [number, number, number];
        // Series 0 is I, series 1 LATE, both at x = the line's index.
        if (series === 1) late.set(x, y);
        if (series === 0) Deno.writeTextFileSync(`${dir}/go-${y}`, "go\n");
      }
    });
    await seen.opened;
    await waitFor(
      () => controlMessages(seen.messages).some((m) => m.state === "ended"),
      10_000 + 6_000 * limit,
      "the program to end",
    );
    await closeSocket(seen.socket);
    assert.equal((await cli.stop()).code, 0);
    return [...late.entries()].sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a program that block-buffers a pipe is plotted line by line: each line before the next",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Each line reached the page (and was answered) before the program printed the next.
    assert.deepEqual(await lateness([], 10), [0, 0, 0, 0, 0, 0]);
    // Without the terminal the same program's lines all come at its end: the test can fail.
    assert.deepEqual(await lateness(["--no-pty"], 0.3), [0, 1, 1, 1, 1, 1]);
  },
});

Deno.test("lines that arrive in one read get distinct, increasing arrival times", async () => {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  await using server = await startTestServer(
    { source: { kind: "stdin" }, window: { points: 100_000 } },
    { input: pipe.readable },
  );
  const writer = pipe.writable.getWriter();
  const body = Array.from({ length: 100_000 }, (_, i) => `${i + 1}\n`).join("");
  await writer.write(encoder.encode(body));
  await waitFor(() => (server.hub?.pointCount ?? 0) === 100_000, 10_000, "100,000 points");
  const seen = viewer(server.url);
  await seen.opened;
  await waitFor(() => seen.lines().length === 100_000, 10_000, "the window of 100,000 points");
  const xs = seen.lines().map((line) => Number(line.split(" ")[1]));
  for (let i = 1; i < xs.length; i++) {
    assert.ok((xs[i] as number) > (xs[i - 1] as number), `x ${i} after x ${i - 1}`);
  }
  assert.equal(new Set(xs).size, 100_000, "100,000 distinct x");
  assert.ok((xs.at(-1) as number) - (xs[0] as number) < 1, "spread over less than a second");
  const csv = await (await fetch(new URL("/data.csv", server.url))).text();
  const exported = new Set(csv.trim().split("\r\n").slice(1).map((row) => row.split(",")[0]));
  assert.equal(exported.size, 100_000, "100,000 distinct x in the CSV export (to the µs)");
  await closeSocket(seen.socket);
  await writer.close();
});

Deno.test("with the port in use, the command is never started", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/started`;
  const { code, stderr } = await runCli([
    "--port",
    String(port),
    "--no-open",
    "--",
    "sh",
    "-c",
    `touch ${marker}; echo 1`,
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /Cannot listen on 127\.0\.0\.1:\d+: port \d+ is already in use/);
  assert.ok(!stderr.includes("source-started"), stderr);
  await assert.rejects(Deno.stat(marker), Deno.errors.NotFound, "the command did not run");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lines of words are counted as header lines in the status, for the page's hint", async () => {
  await using piped = await startPiped({ x: { kind: "auto" } });
  const hub = piped.server.hub!;
  await piped.write("hello world\ntemperature is high\n");
  await waitFor(() => hub.status.headers === 2, 5000, "two header lines");
  assert.equal(hub.pointCount, 0);
  await piped.write("1 2\n");
  await waitFor(() => hub.pointCount === 2, 5000, "the first numbers");
  assert.equal(hub.status.headers, 2);
});
