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

/**
 * Prints 5 lines, each `I LATE`, and after each waits until the reader has
 * created `DIR/go-I`: a line held in a buffer is never answered, so after
 * `LIMIT` seconds the program goes on and says so in the next line's `LATE`
 * (1). Read line by line, every `LATE` is 0; the check has no clock of its
 * own, only the program's deadline. mawk block-buffers a pipe and has no
 * clock finer than a second (nor a sleep that would not flush): it waits on
 * /proc/uptime.
 */
const MAWK_PROGRAM = `BEGIN {
  late = 0;
  for (i = 0; i < 5; i++) {
    print i, late; late = 0; f = DIR "/go-" i;
    getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " "); s = a[1];
    while ((getline x < f) <= 0) {
      close(f);
      getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ");
      if (a[1] - s > LIMIT) { late = 1; break }
    }
    close(f);
  }
}`;

/** The same in C-style stdio: perl buffers a pipe and ignores stdbuf. */
const PERL_PROGRAM = `use Time::HiRes qw(time sleep);
my ($dir, $limit) = @ARGV; my $late = 0;
for my $i (0..4) {
  printf("%d %d\n", $i, $late); $late = 0; my $start = time();
  until (-e "$dir/go-$i") { if (time() - $start > $limit) { $late = 1; last } sleep(0.01); }
}`;

/** A line-by-line run's deadline for each answer, and a buffered run's (which it always misses). */
const ANSWER_LIMIT_SECONDS = 10;
const BUFFERED_LIMIT_SECONDS = 0.3;

/** A command as liveplot runs it (unbuffer.ts `unbufferedCommand`), or as given. */
type Spawn = { command: string; args: string[]; env?: Record<string, string> };

/** Runs `spawn`; returns its lines, each handed to `onLine` as it arrives. */
async function commandLines(
  { command, args, env }: Spawn,
  onLine: (line: string) => Promise<void> = () => Promise.resolve(),
): Promise<string[]> {
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let carry = "";
  for await (const chunk of stripTerminalControls(child.stdout)) {
    const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
    carry = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      await onLine(line);
    }
  }
  await child.status;
  return lines;
}

/**
 * Runs a handshake program (`I LATE` lines, above) as `spawn` says, answering
 * each line as it arrives; returns the lines.
 */
async function handshake(spawn: (dir: string) => Spawn): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-unbuffer-" });
  try {
    const lines = await commandLines(spawn(dir), (line) =>
      // A line in it: mawk's getline reads an empty file as not there yet.
      Deno.writeTextFile(`${dir}/go-${line.trim().split(" ")[0]}`, "go\n"));
    return lines.map((line) => line.trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  name: "mawk through the unbuffered command: each line arrives before the next is printed",
  ignore: !haveMawk || !haveProc || Deno.build.os !== "linux",
  async fn() {
    const program =
      (limit: number) => (dir: string) => ["-v", `DIR=${dir}`, "-v", `LIMIT=${limit}`];
    assert.equal(unbufferedCommand("mawk", [MAWK_PROGRAM]).method, "script");
    const lines = await handshake((dir) =>
      unbufferedCommand("mawk", [...program(ANSWER_LIMIT_SECONDS)(dir), MAWK_PROGRAM])
    );
    assert.deepEqual(lines, ["0 0", "1 0", "2 0", "3 0", "4 0"]);

    // The same program on a plain pipe holds its lines to the end: the check above can fail.
    const plain = await handshake((dir) => ({
      command: "mawk",
      args: [...program(BUFFERED_LIMIT_SECONDS)(dir), MAWK_PROGRAM],
    }));
    assert.deepEqual(plain, ["0 0", "1 1", "2 1", "3 1", "4 1"]);
  },
});

Deno.test({
  name: "a perl printf loop (stdbuf cannot help it) arrives line by line through script",
  ignore: findExecutable("perl") === undefined || findExecutable("script") === undefined,
  async fn() {
    const lines = await handshake((dir) =>
      unbufferedCommand("perl", ["-e", PERL_PROGRAM, dir, String(ANSWER_LIMIT_SECONDS)])
    );
    assert.deepEqual(lines, ["0 0", "1 0", "2 0", "3 0", "4 0"]);
    const plain = await handshake((dir) => ({
      command: "perl",
      args: ["-e", PERL_PROGRAM, dir, String(BUFFERED_LIMIT_SECONDS)],
    }));
    assert.deepEqual(plain, ["0 0", "1 1", "2 1", "3 1", "4 1"]);
  },
});

Deno.test({
  name: "arguments reach the command exactly; its exit code and stderr come back apart",
  ignore: Deno.build.os !== "linux" || findExecutable("script") === undefined,
  async fn() {
    const words = ["a b", "it's", "$HOME", "`id`", "$$", "$&", "\\n", "ü €"];
    const spawn = unbufferedCommand("printf", ["%s\\n", ...words]);
    assert.deepEqual(await commandLines(spawn), words);

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
    assert.deepEqual(await commandLines(spawn), ["red 1", "2"]);
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
