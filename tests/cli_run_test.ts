import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };
import { EXAMPLES } from "../cli/usage.ts";
import {
  type Cli,
  controlMessages,
  isRunning,
  record,
  ROOT,
  runCli,
  shellEnv,
  socketUrl,
  spawnCli,
  START_FLAGS,
  startTestServer,
  underScript,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";

/** A process started in its own group, with its output gathered as text. */
function spawnIn(cwd: string, command: string, args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
    clearEnv: true,
    env: shellEnv(env),
  }).spawn();
  const output = { stdout: "", stderr: "" };
  const reading = Promise.all(
    (["stdout", "stderr"] as const).map(async (name) => {
      for await (const text of child[name].pipeThrough(new TextDecoderStream())) {
        output[name] += text;
      }
    }),
  );
  /** liveplot's own pid: the first `pid=` in its log. */
  const liveplotPid = () => Number(/ pid=(\d+)/.exec(output.stderr)?.[1]);
  const stop = async () => {
    try {
      Deno.kill(liveplotPid() || child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    const status = await withTimeout(child.status, 10_000, `${command} to exit`);
    await reading;
    return status;
  };
  return { child, output, liveplotPid, stop };
}

async function usingTempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "liveplot-cli-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** `deno task start -- ARGS` with this checkout's deno.json, as from a user's own folder. */
function startTask(...args: string[]): string[] {
  return ["task", "--config", `${ROOT}deno.json`, "start", "--", ...args];
}

Deno.test("a mistyped flag is one line naming the closest flag, exit 2, both ways", async () => {
  await using folder = await usingTempDir();
  const direct = await runCli(["--windw", "10s"]);
  assert.equal(direct.code, 2);
  assert.equal(
    direct.stderr,
    'liveplot: Unknown option "--windw": did you mean --window? (see liveplot --help)\n',
  );
  const task = spawnIn(folder.path, Deno.execPath(), startTask("--windw", "10s"));
  const status = await withTimeout(task.child.status, 15_000, "deno task to exit");
  await task.stop();
  assert.equal(status.code, 2);
  const lines = task.output.stderr.split("\n").filter((line) => line.startsWith("liveplot"));
  assert.deepEqual(lines, [
    'liveplot: Unknown option "--windw": did you mean --window? (see liveplot --help)',
  ]);
  assert.ok(!task.output.stderr.includes("Cannot start command"), task.output.stderr);
  assert.ok(!task.output.stderr.includes("Usage:"), task.output.stderr);
});

Deno.test("deno task start from another folder runs ./script and records there", async () => {
  await using folder = await usingTempDir();
  await Deno.writeTextFile(`${folder.path}/sensor.sh`, "echo 1 2\necho 3 4\nsleep 30\n");
  await Deno.chmod(`${folder.path}/sensor.sh`, 0o755);
  const task = spawnIn(
    folder.path,
    Deno.execPath(),
    startTask("--port", "0", "--no-open", "--record", "rec.lpr", "./sensor.sh"),
  );
  try {
    await waitFor(
      () => /\t3 4\n/.test(readOrEmpty(`${folder.path}/rec.lpr`)),
      15_000,
      "rec.lpr in the user's folder to hold the script's lines",
    );
  } finally {
    await task.stop();
  }
  assert.ok(!task.output.stderr.includes("not found"), task.output.stderr);
});

function readOrEmpty(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

Deno.test("a failing command's last stderr lines and exit code reach the status on /data", async () => {
  await using server = await startTestServer({
    source: {
      kind: "command",
      command: "sh",
      args: ["-c", "echo boom: sensor not found >&2; exit 3"],
    },
  });
  const socket = new WebSocket(socketUrl(server.url, "/data"));
  const { messages, closed } = record(socket);
  await waitFor(
    () => controlMessages(messages).some((message) => message.state === "ended"),
    10_000,
    "the command to end",
  );
  const ended = controlMessages(messages).find((message) => message.state === "ended");
  assert.deepEqual(ended?.stderr, ["boom: sensor not found"]);
  assert.equal(ended?.exitCode, 3);
  socket.close();
  await closed;
});

/** liveplot with `args` (its port and browser left out), stopped once its source has ended. */
async function runToEnd(args: string[]): Promise<Cli> {
  const cli = spawnCli(["--port", "0", "--no-open", ...args]);
  await cli.url;
  await waitForLine(cli.stderr, "source-ended", 10_000, "the end");
  await cli.stop();
  return cli;
}

Deno.test("a command's stderr is logged as events, escaped; a failure is a warning under --quiet", async () => {
  const script = String
    .raw`printf 'level=error event=request-failed note=forged\n\033]0;title\007\n' >&2; exit 3`;
  const cli = await runToEnd(["--quiet", "--", "sh", "-c", script]);
  assert.ok(cli.stderr.every((line) => line.startsWith("level=")), cli.stderr.join("\n"));
  assert.ok(!cli.stderr.some((line) => line.startsWith("level=error")), "no forged event");
  assert.ok(!cli.stderr.join("\n").includes("\x1b"), "no terminal control reaches the log");
  assert.match(
    cli.stderr.join("\n"),
    /^level=warn event=source-ended command=sh child=\d+ code=3 stderr=.*title/m,
  );
});

Deno.test("a stderr line of 2 MB is logged cut at 4 KiB with its length, and is why the command ended", async () => {
  const script = "head -c 2000000 /dev/zero | tr '\\0' x >&2; echo >&2; exit 4";
  const cli = await runToEnd(["--", "sh", "-c", script]);
  const cut = `${"x".repeat(4096)}…(2000000 bytes)`;
  assert.ok(
    cli.stderr.some((line) =>
      /^level=info event=source-stderr child=\d+ line=/.test(line) &&
      line.endsWith(`line="${cut}"`)
    ),
    cli.stderr.map((line) => line.slice(0, 120)).join("\n"),
  );
  assert.match(
    cli.stderr.find((line) => line.includes("event=source-ended")) ?? "",
    /^level=warn event=source-ended command=sh child=\d+ code=4 stderr=x{200}… note=/,
  );
});

Deno.test("a command's 20,000 stderr lines are logged bounded: the first, a count a second, the last; --verbose every one", async () => {
  const script = "seq 1 20000 >&2; exit 5";
  const stderrOf = (cli: Cli) =>
    cli.stderr.filter((line) => line.includes(" event=source-stderr "));
  const cli = await runToEnd(["--", "sh", "-c", script]);
  const logged = stderrOf(cli);
  assert.ok(logged.length < 200, `${logged.length} source-stderr lines`);
  const whole = logged.flatMap((line) => / line=(\d+)$/.exec(line)?.[1] ?? []).map(Number);
  const suppressed = logged.map((line) => Number(/ suppressed=(\d+) /.exec(line)?.[1] ?? 0));
  assert.deepEqual(whole.slice(0, 3), [1, 2, 3]);
  assert.equal(whole.at(-1), 20000);
  assert.equal(whole.length + suppressed.reduce((sum, count) => sum + count, 0), 20000);
  assert.match(
    cli.stderr.join("\n"),
    /event=source-ended command=sh child=\d+ code=5 stderr=20000 /,
  );
  const verbose = await runToEnd(["--verbose", "--", "sh", "-c", script]);
  assert.equal(stderrOf(verbose).filter((line) => / line=\d+$/.test(line)).length, 20000);
});

Deno.test("stderr lines that come after the command's exit still reach the status", async () => {
  // A child the command left behind (off its stdout) holds stderr open past the exit's grace,
  // then writes. Without a terminal (`--no-pty`), where what the command leaves behind lives on.
  await using server = await startTestServer({
    pty: false,
    source: {
      kind: "command",
      command: "sh",
      args: [
        "-c",
        "echo first >&2; (exec >/dev/null; sleep 1; echo after the exit >&2) & exit 3",
      ],
    },
  });
  const socket = new WebSocket(socketUrl(server.url, "/data"));
  const { messages, closed } = record(socket);
  const stderrOf = () =>
    controlMessages(messages).filter((message) => message.type === "status").at(-1)?.stderr;
  await waitFor(
    () => (stderrOf() as string[] | undefined)?.includes("after the exit") === true,
    10_000,
    "the late line in the status",
  );
  const status = controlMessages(messages).filter((message) => message.type === "status").at(-1);
  assert.deepEqual(status?.stderr, ["first", "after the exit"]);
  assert.equal(status?.state, "ended");
  assert.equal(status?.exitCode, 3);
  socket.close();
  await closed;
});

Deno.test("a stop of vmstat the user asked for is info, and the first pid is liveplot's", async () => {
  // Directly with the start task's permissions, and through `deno task start` itself.
  for (const options of [{ denoArgs: START_FLAGS }, { task: true }]) {
    const cli = spawnCli(["--port", "0", "--no-open", "vmstat", "1"], options);
    await cli.url;
    await waitForLine(cli.stderr, "format-detected", 10_000, "vmstat's first lines");
    const status = await cli.stop();
    assert.equal(status.code, 0);
    const log = cli.stderr.join("\n");
    assert.ok(!log.includes("source-killed"), log);
    assert.match(log, /level=info event=source-stopped command=vmstat/);
    const firstPid = Number(/ pid=(\d+)/.exec(log)?.[1]);
    if (options.denoArgs) assert.equal(firstPid, cli.process.pid, log);
    else assert.match(log, new RegExp(`event=start .* pid=${firstPid}\\b`), log);
  }
});

Deno.test({
  name: "with no way to find the command under script (no /proc, no pgrep), a stop is as quiet",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // PATH leads nowhere, so pgrep cannot run; the start task's permissions keep /proc closed.
    const cli = spawnCli(["--port", "0", "--no-open", "/usr/bin/vmstat", "1"], {
      denoArgs: START_FLAGS,
      env: { PATH: "/nonexistent" },
    });
    await cli.url;
    const { command: vmstat } = await underScript(cli);
    assert.ok(vmstat > 0, "vmstat runs under script");
    assert.equal((await cli.stop()).code, 0);
    const log = cli.stderr.join("\n");
    assert.ok(!log.includes("source-killed"), log);
    assert.match(log, /level=info event=source-stopped/);
    await waitFor(() => !isRunning(vmstat), 5000, "vmstat to end with its terminal");
  },
});

Deno.test("deno task install puts liveplot on the PATH; it runs from any folder, offline", async () => {
  await using root = await usingTempDir();
  await using folder = await usingTempDir();
  // Nothing can be downloaded (every request goes to a closed port): what is cached must do.
  const closed = "http://127.0.0.1:9";
  const offline = { DENO_INSTALL_ROOT: root.path, HTTP_PROXY: closed, HTTPS_PROXY: closed };
  const install = await withTimeout(
    new Deno.Command(Deno.execPath(), {
      args: ["task", "--cwd", ROOT, "install"],
      clearEnv: true,
      env: shellEnv(offline),
      stdout: "piped",
      stderr: "piped",
    }).output(),
    60_000,
    "deno task install",
  );
  assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
  const shim = await Deno.readTextFile(`${root.path}/bin/liveplot`);
  for (const flag of START_FLAGS) assert.ok(shim.includes(flag), `installed with ${flag}`);

  const path = `${root.path}/bin:${Deno.env.get("PATH")}`;
  const env = { ...offline, PATH: path, PORT: "0", BROWSER: "true" };
  const version = spawnIn(folder.path, `${root.path}/bin/liveplot`, ["--version"], env);
  assert.equal((await withTimeout(version.child.status, 15_000, "--version")).code, 0);
  await version.stop();
  assert.equal(version.output.stdout, `liveplot ${manifest.version}\n`);

  // Every example of --help, as written, in that order (the replay plays the recording).
  for (const { command } of EXAMPLES) {
    const run = spawnIn(folder.path, "/bin/sh", ["-c", command], env);
    try {
      await waitFor(
        () => run.output.stdout.includes("liveplot listening on") && run.liveplotPid() > 0,
        15_000,
        `"${command}" to listen`,
      );
      if (command.includes("--record")) {
        await waitFor(
          () => /\n[\d.]+\t.*\d\n/.test(readOrEmpty(`${folder.path}/today.lpr`)),
          15_000,
          "a recorded line",
        );
      }
    } finally {
      await run.stop();
      try {
        Deno.kill(-run.child.pid, "SIGKILL");
      } catch {
        // The pipeline has ended.
      }
    }
    assert.ok(!run.output.stderr.includes("level=error"), `${command}: ${run.output.stderr}`);
  }
});

Deno.test("with an empty Deno cache (another user, a DENO_DIR) the page's files are served, offline", async () => {
  await using cache = await usingTempDir();
  const closed = "http://127.0.0.1:9";
  await using cli = spawnCli(["--port", "0", "--no-open"], {
    env: { DENO_DIR: cache.path, HTTP_PROXY: closed, HTTPS_PROXY: closed },
  });
  const url = await cli.url;
  for (const path of ["/", "/static/app.js", "/static/uplot.js", "/static/uplot.css"]) {
    const answer = await fetch(new URL(path, url));
    assert.equal(answer.status, 200, `${path}: ${cli.stderr.join("\n")}`);
    await answer.body?.cancel();
  }
  assert.ok(!cli.stderr.some((line) => line.includes("level=error")), cli.stderr.join("\n"));
});

Deno.test("a short token is logged as a warning at start, and liveplot serves", async () => {
  const cli = spawnCli(["--port", "0", "--no-open", "--token", "abc"]);
  await cli.url;
  await waitForLine(cli.stderr, "start", 5000, "the start line");
  assert.ok(
    cli.stderr.some((line) =>
      line.startsWith("level=warn event=token-short") && line.includes("push token")
    ),
    cli.stderr.join("\n"),
  );
  assert.equal((await cli.stop()).code, 0);
});
