import assert from "node:assert/strict";
import {
  createControlStripper,
  findExecutable,
  shellQuote,
  stripTerminalControls,
  unbufferedCommand,
} from "../stream/unbuffer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Line arrival must follow the print by no more than this, as a median. */
const MAX_DELAY_SECONDS = 0.2;

/**
 * Lines came one by one: the median within `MAX_DELAY_SECONDS` of its print, and every line
 * before the next was printed (300 ms later; a loaded machine may stall one line briefly).
 */
function assertLineByLine(delays: number[]): void {
  const sorted = [...delays].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  assert.ok(median <= MAX_DELAY_SECONDS, `median delay ${median} s of ${delays.join(", ")}`);
  for (const delay of delays) assert.ok(delay < 0.3, `delay ${delay} s of ${delays.join(", ")}`);
}

/**
 * Prints 5 lines 300 ms apart, each with the uptime at which it was printed
 * (from /proc/uptime: mawk has no clock finer than a second, and calling a
 * command would flush its output). mawk block-buffers a pipe.
 */
const MAWK_PROGRAM = `BEGIN {
  for (i = 0; i < 5; i++) {
    getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ");
    print i, a[1]; s = a[1];
    while (a[1] - s < 0.3) { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ") }
  }
}`;

/** A C-style printf loop: perl's stdio buffers a pipe and ignores stdbuf. */
const PERL_PROGRAM = `use Time::HiRes qw(time sleep);
for my $i (0..4) { printf("%d %.3f\\n", $i, time()); sleep(0.3); }`;

function uptime(): number {
  return Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
}

/** Runs `argv` as liveplot runs a command and returns each line with its arrival (`clock()`). */
async function linesWithArrival(
  spawn: { command: string; args: string[]; env?: Record<string, string> },
  clock: () => number,
): Promise<{ line: string; arrival: number }[]> {
  const child = new Deno.Command(spawn.command, {
    args: spawn.args,
    env: spawn.env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: { line: string; arrival: number }[] = [];
  let carry = "";
  for await (const chunk of stripTerminalControls(child.stdout)) {
    const arrival = clock();
    const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
    carry = parts.pop() ?? "";
    for (const line of parts) lines.push({ line, arrival });
  }
  await child.status;
  return lines;
}

function delays(lines: { line: string; arrival: number }[]): number[] {
  return lines.map(({ line, arrival }) => arrival - Number(line.split(" ")[1]));
}

const haveMawk = findExecutable("mawk") !== undefined;
const haveProc = (() => {
  try {
    return Deno.statSync("/proc/uptime").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "mawk through the unbuffered command: each line arrives within 200 ms of its print",
  ignore: !haveMawk || !haveProc || Deno.build.os !== "linux",
  async fn() {
    const spawn = unbufferedCommand("mawk", [MAWK_PROGRAM]);
    assert.equal(spawn.method, "script");
    const lines = await linesWithArrival(spawn, uptime);
    assert.deepEqual(lines.map(({ line }) => line.split(" ")[0]), ["0", "1", "2", "3", "4"]);
    assertLineByLine(delays(lines));

    // The same program on a plain pipe holds its lines to the end: the check above can fail.
    const plain = await linesWithArrival({ command: "mawk", args: [MAWK_PROGRAM] }, uptime);
    assert.equal(plain.length, 5);
    assert.ok(Math.max(...delays(plain)) > 1, `plain pipe delays ${delays(plain)}`);
  },
});

Deno.test({
  name: "a perl printf loop (stdbuf cannot help it) arrives line by line through script",
  ignore: findExecutable("perl") === undefined || findExecutable("script") === undefined,
  async fn() {
    const now = () => Date.now() / 1000;
    const lines = await linesWithArrival(unbufferedCommand("perl", ["-e", PERL_PROGRAM]), now);
    assert.equal(lines.length, 5);
    assertLineByLine(delays(lines));
    const plain = await linesWithArrival({ command: "perl", args: ["-e", PERL_PROGRAM] }, now);
    assert.ok(Math.max(...delays(plain)) > 1, `plain pipe delays ${delays(plain)}`);
  },
});

Deno.test({
  name: "arguments reach the command exactly; its exit code and stderr come back apart",
  ignore: Deno.build.os !== "linux" || findExecutable("script") === undefined,
  async fn() {
    const words = ["a b", "it's", "$HOME", "`id`", "$$", "$&", "\\n", "ü €"];
    const spawn = unbufferedCommand("printf", ["%s\\n", ...words]);
    const lines = await linesWithArrival(spawn, () => 0);
    assert.deepEqual(lines.map(({ line }) => line), words);

    const failing = unbufferedCommand("sh", ["-c", "echo out; echo oops >&2; exit 3"]);
    const child = new Deno.Command(failing.command, {
      args: failing.args,
      env: failing.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [status, output, errors] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, 3);
    // stderr stays apart from the data, as without a terminal.
    assert.equal(output, "out\r\n");
    assert.equal(errors, "oops\n");
  },
});

Deno.test({
  name: "colours a program prints on a terminal never reach the lines",
  ignore: Deno.build.os !== "linux" || findExecutable("script") === undefined,
  async fn() {
    const spawn = unbufferedCommand("printf", ["\\033[1;31mred\\033[0m 1\\n\\033]0;title\\a2\\n"]);
    const lines = await linesWithArrival(spawn, () => 0);
    assert.deepEqual(lines.map(({ line }) => line), ["red 1", "2"]);
  },
});

Deno.test("without script the command runs under stdbuf -oL, and as given without either", () => {
  const none = () => undefined;
  const onlyStdbuf = (name: string) => name === "stdbuf" ? "/usr/bin/stdbuf" : undefined;
  const both = (name: string) => `/usr/bin/${name}`;
  assert.deepEqual(unbufferedCommand("awk", ["{print}"], { os: "linux", find: onlyStdbuf }), {
    command: "/usr/bin/stdbuf",
    args: ["-oL", "awk", "{print}"],
    method: "stdbuf",
    env: {},
  });
  assert.deepEqual(unbufferedCommand("awk", ["x"], { os: "linux", find: none }), {
    command: "awk",
    args: ["x"],
    method: "none",
    env: {},
  });
  assert.deepEqual(unbufferedCommand("awk", ["a b"], { os: "darwin", find: both }), {
    command: "/usr/bin/script",
    args: ["-q", "/dev/null", "awk", "a b"],
    method: "script",
    env: {},
  });
  assert.deepEqual(unbufferedCommand("awk", ["a b"], { os: "linux", find: both }), {
    command: "/bin/sh",
    args: [
      "-c",
      'exec /usr/bin/script -qfec "$1" /dev/null 3>&2 2>/dev/null',
      "sh",
      "exec awk 'a b' 2>&3 3>&-",
    ],
    method: "script",
    env: { SHELL: "/bin/sh" },
  });
  assert.equal(unbufferedCommand("cmd", [], { os: "windows", find: both }).method, "none");
});

Deno.test("shell quoting survives quotes, dollars and backslashes", async () => {
  const words = ["plain", "a b", "it's", "'", "$HOME", "a\\b", "", "x\ny"];
  const script = `printf '%s|' ${words.map(shellQuote).join(" ")}`;
  const output = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
  assert.equal(decoder.decode(output.stdout), words.map((word) => `${word}|`).join(""));
});

Deno.test("control sequences are removed even when split across chunks, byte by byte", () => {
  const input = "\x1b[1;31mred\x1b[0m 1\r\n" + // CSI colours, a terminal's \r\n
    "\x1b]0;a title\x07two\r\n" + // OSC title ended by BEL
    "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\r\n" + // OSC ended by ESC \
    "\x1b(Bthree\x1b[K\x1b[2;5H\r\n" + // charset, erase, cursor move
    "50%\r60%\r70%\n" + // a line redrawn in place
    "tab\there\x07\x08\r\r\n"; // bell and backspace dropped, \r\r\n is one newline
  const expected = "red 1\ntwo\nlink\nthree\n50%\n60%\n70%\ntab\there\n";
  const whole = createControlStripper();
  assert.equal(decoder.decode(whole(encoder.encode(input))), expected);
  const bytes = encoder.encode(input);
  const byByte = createControlStripper();
  let output = "";
  for (const byte of bytes) output += decoder.decode(byByte(Uint8Array.of(byte)), { stream: true });
  assert.equal(output, expected);
});

Deno.test("UTF-8 text passes the control filter untouched", () => {
  const text = "temp (°C) 21.5 µs 😀 ü\n";
  assert.equal(decoder.decode(createControlStripper()(encoder.encode(text))), text);
});

Deno.test({
  name: "stopping script's process group (SIGTERM or SIGKILL) ends the command on the terminal",
  ignore: Deno.build.os !== "linux" || findExecutable("script") === undefined,
  async fn() {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const spawn = unbufferedCommand("sh", ["-c", "echo $$; exec sleep 100"]);
      const child = new Deno.Command(spawn.command, {
        args: spawn.args,
        env: spawn.env,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
        detached: true,
      }).spawn();
      const reader = child.stdout.getReader();
      const first = await reader.read();
      const pid = Number(decoder.decode(first.value).trim());
      assert.ok(pid > 0, "the command's pid");
      Deno.kill(-child.pid, signal);
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
      // The command is gone (or a zombie waiting for init) within a second.
      const deadline = Date.now() + 1000;
      let state = "";
      while (Date.now() < deadline) {
        const ps = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] })
          .output();
        state = decoder.decode(ps.stdout).trim();
        if (state === "" || state.startsWith("Z")) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(state === "" || state.startsWith("Z"), `${signal}: command state ${state}`);
    }
  },
});
