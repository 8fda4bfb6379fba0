import assert from "node:assert/strict";
import { CUT_SHORT } from "../stream/replay.ts";
import {
  controlMessages,
  MAIN,
  record,
  runCli,
  shellEnv,
  socketUrl,
  spawnCli,
  START_FLAGS,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";

const encoder = new TextEncoder();

/** Waits until the server's `/data.csv` has `rows` data rows, and returns it. */
async function csvOnceComplete(url: URL, rows: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const csv = await (await fetch(new URL("/data.csv", url))).text();
    if (csv.trim().split("\n").length === rows + 1) return csv;
    assert.ok(Date.now() < deadline, `a CSV export of ${rows} rows, not:\n${csv}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("a recorded session replayed at max speed exports the very same CSV", async () => {
  const dir = await Deno.makeTempDir();
  const recording = `${dir}/session.lpr`;
  const live = spawnCli(["--port", "0", "--no-open", "--record", recording, "-"], {
    stdin: "piped",
  });
  const liveUrl = await live.url;
  const writer = live.process.stdin.getWriter();
  await writer.write(encoder.encode("temp,hum\n21.5,40\n21.75,\n"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await writer.write(encoder.encode("22,41.5\n22.25,42\n"));
  const liveCsv = await csvOnceComplete(liveUrl, 4);
  await writer.close();
  assert.equal((await live.stop()).code, 0);

  const text = await Deno.readTextFile(recording);
  assert.match(text, /^# liveplot recording v1\n# session \d{4}-\d\d-\d\dT[\d:.]+Z\n/);
  assert.match(text, /\n\d+\.\d+\t21\.75,\n/, "each line with its arrival time");

  const replay = spawnCli(["--port", "0", "--no-open", "--replay", recording, "--speed", "max"]);
  const replayCsv = await csvOnceComplete(await replay.url, 4);
  assert.equal(replayCsv, liveCsv);
  assert.match(liveCsv, /^x,temp,hum\r\n/);
  assert.equal((await replay.stop()).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a recording that cannot be written is one line; liveplot goes on, or stops when required", async () => {
  const lenient = spawnCli(["--port", "0", "--no-open", "--record", "/dev/full", "-"], {
    stdin: "piped",
  });
  const url = await lenient.url;
  const writer = lenient.process.stdin.getWriter();
  await writer.write(encoder.encode("1\n2\n"));
  await waitForLine(lenient.stderr, "record-failed", 5000);
  const response = await fetch(new URL("/test", url));
  assert.equal(await response.text(), "Yes this is a test!");
  assert.equal(lenient.stderr.filter((line) => line.includes("record-failed")).length, 1);
  await writer.close();
  assert.equal((await lenient.stop()).code, 0);

  const strict = spawnCli(
    ["--port", "0", "--no-open", "--record", "/dev/full", "--record-required", "-"],
    { stdin: "piped" },
  );
  await strict.url;
  const strictWriter = strict.process.stdin.getWriter();
  await strictWriter.write(encoder.encode("1\n2\n"));
  const status = await withTimeout(strict.process.status, 5000, "liveplot to stop");
  assert.equal(status.code, 1);
  await strictWriter.close().catch(() => {});
  await strict.stop();
});

Deno.test("--replay of a missing file is one clear line and exit code 1", async () => {
  const { code, stderr } = await runCli(["--port", "0", "--no-open", "--replay", "/no/such.lpr"]);
  assert.equal(code, 1);
  assert.match(stderr.trim(), /^Cannot replay "\/no\/such\.lpr": not found$/);
});

Deno.test("--replay /dev/zero says it is not a recording, at once, exit code 1", async () => {
  const { code, stderr } = await runCli(["--port", "0", "--no-open", "--replay", "/dev/zero"]);
  assert.equal(code, 1);
  assert.match(stderr.trim(), /^Cannot replay "\/dev\/zero": not a recording \(/);
});

/** Runs liveplot to its end with `deno task start`'s permissions, as a user runs it. */
async function runAsStarted(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await withTimeout(
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...START_FLAGS, MAIN, "--port", "0", "--no-open", ...args],
      stdin: "null",
      clearEnv: true,
      env: shellEnv(),
    }).output(),
    15_000,
    `liveplot ${args.join(" ")} to exit`,
  );
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("a device or /proc file is refused as a recording in liveplot's words; an empty name is a usage error", async () => {
  for (
    const [args, line] of [
      [
        ["--record", "/dev/stdout", "--record-required", "-"],
        'Cannot open recording "/dev/stdout": liveplot records to regular files only, ' +
        "not devices or /proc",
      ],
      [
        ["--replay", "/dev/stdin"],
        'Cannot replay "/dev/stdin": liveplot replays regular files only, not devices or /proc',
      ],
      [
        ["--replay", "/proc/self/status"],
        'Cannot replay "/proc/self/status": liveplot replays regular files only, not devices ' +
        "or /proc",
      ],
    ] as const
  ) {
    const { code, stderr } = await runAsStarted([...args]);
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr.split("\n").filter((text) => !text.startsWith("level=")).join("\n"),
      `${line}\n`,
    );
    assert.ok(!stderr.includes("allow-all"), stderr);
  }
  // An empty name is a bad command line, not the folder ("is a directory").
  for (const flag of ["--record", "--replay"]) {
    const rest = flag === "--record" ? ["--record-required", "-"] : [];
    const { code, stderr } = await runAsStarted([flag, "", ...rest]);
    assert.equal(code, 2);
    assert.equal(stderr, `liveplot: ${flag} must name a file, not "" (see liveplot --help)\n`);
  }
});

Deno.test("a recording's line cut by a crash stays skipped once another --record appends to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-cut-" });
  const file = `${dir}/a.lpr`;
  // A crash cut "x=123" to "x=1".
  await Deno.writeTextFile(
    file,
    "# liveplot recording v1\n# session 2026-12-04T12:00:00.000Z\n" +
      "1796646000.1\tx=123\n1796646000.2\tx=1",
  );
  const live = spawnCli([
    "--port",
    "0",
    "--no-open",
    "--record",
    file,
    "--",
    "sh",
    "-c",
    "echo x=124",
  ], {
    denoArgs: START_FLAGS,
  });
  await live.url;
  await waitFor(() => Deno.readTextFileSync(file).endsWith("\tx=124\n"), 10_000, "x=124 recorded");
  assert.equal((await live.stop()).code, 0);

  const replay = spawnCli(["--port", "0", "--no-open", "--replay", file, "--speed", "max"], {
    denoArgs: START_FLAGS,
  });
  const url = await replay.url;
  const { messages, closed } = record(new WebSocket(socketUrl(url, "/data")));
  const ended = () => controlMessages(messages).find((message) => message.state === "ended");
  await waitFor(() => ended() !== undefined, 10_000, "the replay to end");
  const csv = await (await fetch(new URL("/data.csv", url))).text();
  assert.equal((await replay.stop()).code, 0);
  await closed;
  await Deno.remove(dir, { recursive: true });
  const values = csv.trim().split("\r\n").slice(1).map((row) => row.split(",").at(-1));
  assert.deepEqual(values, ["123", "124"], csv);
  const status = controlMessages(messages).filter((message) => message.type === "status").at(-1);
  assert.equal(status?.skipped, 1);
  assert.deepEqual(
    (status?.recentSkipped as { line: string; reason: string }[]).map(({ reason }) => reason),
    [CUT_SHORT],
  );
});
