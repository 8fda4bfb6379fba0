import assert from "node:assert/strict";
import { closestFlag, LIVE_WINDOW } from "../cli/command_line.ts";
import { usage } from "../cli/usage.ts";
import { UsageError } from "../cli/values.ts";
import { CHECKOUT, configOf, noEnv, noFile, parse } from "./command_line.ts";
import { runCli, spawnCli, waitForLine } from "./helpers.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("an unknown option names the closest flag; a command never starts with one", async () => {
  assert.throws(
    () => parse(["--windw", "10s"]),
    (error) =>
      error instanceof UsageError &&
      error.message === 'Unknown option "--windw": did you mean --window?',
  );
  assert.throws(() => parse(["--", "--windw", "10s"]), /Unknown option "--windw"/);
  assert.throws(() => parse(["-x"]), /^UsageError: Unknown option "-x"/);
  assert.equal(closestFlag("--tokenfile"), "--token-file");
  // A long flag's name after one dash is that flag, not a group of short flags to pick apart.
  for (const word of ["host", "port", "window", "no-open", "max-line", "x"]) {
    for (const args of [[`-${word}`, "1"], [`-${word}=1`]]) {
      assert.throws(
        () => parse(args),
        (error) =>
          error instanceof UsageError &&
          error.message === `Unknown option "-${word}": did you mean --${word}?`,
        args.join(" "),
      );
    }
  }
  const cli = await runCli(["-host", "0.0.0.0"]);
  assert.deepEqual([cli.code, cli.stdout], [2, ""]);
  assert.equal(
    cli.stderr,
    'liveplot: Unknown option "-host": did you mean --host? (see liveplot --help)\n',
  );
  // A value after a flag that takes none is not run as the command.
  for (const value of ["true", "127.0.0.1", "1", "http://127.0.0.1:8080"]) {
    assert.throws(
      () => parse(["--trust-proxy", value]),
      /^UsageError: --trust-proxy takes no value: ".+" would be run as the command/,
      value,
    );
  }
  const command = parse(["--trust-proxy", "--", "true"]);
  assert.ok(command.kind === "serve" && command.config.source.kind === "command");
  assert.ok(parse(["--no-pty", "vmstat", "1"]).kind === "serve", "a command after a switch");
  // Real groups still read as ever.
  assert.equal(configOf(["-qp0", "-"]).port, 0);
  assert.equal(configOf(["-vp", "7"]).port, 7);
  assert.equal(closestFlag("--zzzzzzzzzzzzzzzz"), undefined);
});

Deno.test("a flag's name with more after a dash names that flag, the longest one", () => {
  assert.equal(closestFlag("--max-line-bytes"), "--max-line");
  assert.equal(closestFlag("--max-line-bytes=100"), "--max-line");
  assert.equal(closestFlag("--history-bytes"), "--history");
  // --record and --record-required both begin it: the longer one is meant.
  assert.equal(closestFlag("--record-required-always"), "--record-required");
  // A near miss by edit distance still wins over the shorter name it extends.
  assert.equal(closestFlag("--token-files"), "--token-file");
  // A whole name and a dash only: no flag is "max"; "windowsize-" does not extend "window".
  assert.equal(closestFlag("--max-everything-at-once"), undefined);
  assert.equal(closestFlag("--windowsize-in-seconds"), undefined);
  assert.throws(
    () => parse(["--max-line-bytes", "100"]),
    /^UsageError: Unknown option "--max-line-bytes": did you mean --max-line\?$/,
  );
});

Deno.test("blank tokens are refused, short ones warned about, LIVEPLOT_READ_TOKEN is read", () => {
  for (const args of [["--token", " "], ["--read-token", ""]]) {
    assert.throws(() => parse(args), /must not be blank/, args.join(" "));
  }
  assert.throws(
    () => parse([], envOf({ LIVEPLOT_TOKEN: "  " })),
    /^UsageError: The environment variable LIVEPLOT_TOKEN must not be blank$/,
  );
  const short = parse(["--token", "abc"]);
  assert.ok(short.kind === "serve");
  assert.deepEqual(short.warnings, [
    {
      event: "token-short",
      note: "The push token is shorter than 16 characters: it can be guessed",
    },
  ]);
  // Processes sharing a port each make up a token: a push to one fails on the others.
  const shared = parse(["--reuse-port"]);
  assert.ok(shared.kind === "serve");
  assert.deepEqual(shared.warnings.map((warning) => warning.event), ["token-per-process"]);
  const given = parse(["--reuse-port"], envOf({ LIVEPLOT_TOKEN: "a-long-enough-shared-secret" }));
  assert.ok(given.kind === "serve");
  assert.deepEqual(given.warnings, []);
  // A long flag of liveplot's after the command goes to the command: said, unless -- meant it.
  const late = parse(["vmstat", "1", "--window=10m"]);
  assert.ok(late.kind === "serve");
  assert.deepEqual(late.warnings.map((warning) => warning.event), ["flag-after-command"]);
  assert.match(late.warnings[0]!.note, /^--window comes after the command/);
  for (const args of [["--", "node", "app.js", "--port", "3000"], ["ping", "-q", "localhost"]]) {
    const meant = parse(args);
    assert.ok(meant.kind === "serve" && meant.warnings.length === 0, args.join(" "));
  }
  const long = parse(["--token", "a-long-enough-shared-secret"]);
  assert.ok(long.kind === "serve");
  assert.deepEqual(long.warnings, []);
  const read = configOf([], envOf({ LIVEPLOT_READ_TOKEN: "reader-token-0123456789" }));
  assert.equal(read.readToken, "reader-token-0123456789");
  assert.equal(
    configOf(
      ["--read-token", "flag-wins-0123456789"],
      envOf({
        LIVEPLOT_READ_TOKEN: "reader-token-0123456789",
      }),
    ).readToken,
    "flag-wins-0123456789",
  );
});

Deno.test("--token-file gives every process the same token, read from the user's folder", () => {
  const files: Record<string, string> = { "/srv/app/token.txt": "shared-secret-0123456789\n" };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(path);
    return text;
  };
  const env = envOf({ INIT_CWD: "/srv/app", LIVEPLOT_TOKEN: "from-the-environment-0123" });
  const config = configOf(["--token-file", "token.txt"], env, readFile, CHECKOUT);
  assert.equal(config.token, "shared-secret-0123456789");
  assert.deepEqual(config.tokenOrigin, { kind: "file", path: "token.txt" });
  assert.equal(configOf([], env, readFile).token, "from-the-environment-0123");
  assert.throws(
    () => parse(["--token", "x".repeat(20), "--token-file", "token.txt"], noEnv, readFile),
    /--token or --token-file, not both/,
  );
  assert.throws(
    () => parse(["--token-file", "missing.txt"], env, readFile, CHECKOUT),
    // The command line is right, the file is missing: exit 1, as a missing --replay.
    /^StartError: Cannot read --token-file "missing.txt": not found$/,
  );
});

Deno.test("a stream shows a minute by default, whatever its source; --window wins", () => {
  assert.deepEqual(configOf(["vmstat", "1"]).window, LIVE_WINDOW);
  assert.deepEqual(configOf(["-"]).window, { seconds: 60 });
  // Streams pushed to a process without a source too (the demo itself draws 200 points).
  assert.deepEqual(configOf(["--redis", "redis://127.0.0.1:6379"]).window, LIVE_WINDOW);
  assert.deepEqual(configOf(["--window", "500", "vmstat", "1"]).window, { points: 500 });
});

Deno.test("relative paths resolve against INIT_CWD (deno task's caller), else the folder", () => {
  const env = envOf({ INIT_CWD: "/home/me/lab" });
  // `deno task` runs liveplot in the checkout and says where it was started in INIT_CWD.
  const config = configOf(["--record", "rec.lpr", "./sensor.py", "--fast"], env, noFile, CHECKOUT);
  assert.deepEqual(config.record, { path: "/home/me/lab/rec.lpr", required: false });
  assert.deepEqual(config.source, {
    kind: "command",
    command: "/home/me/lab/sensor.py",
    args: ["--fast"],
    cwd: "/home/me/lab",
  });
  // Run anywhere else (the installed command), an inherited INIT_CWD is some other tool's.
  assert.equal(configOf(["--record", "rec.lpr", "-"], env).record?.path, "/home/user/rec.lpr");
  assert.deepEqual(configOf(["--replay", "../old.lpr"], env, noFile, CHECKOUT).source, {
    kind: "replay",
    path: "/home/me/old.lpr",
    speed: 1,
  });
  const plain = configOf(["--record", "/tmp/a.lpr", "vmstat", "1"]);
  assert.equal(plain.record?.path, "/tmp/a.lpr");
  assert.deepEqual(plain.source, {
    kind: "command",
    command: "vmstat",
    args: ["1"],
    cwd: "/home/user",
  });
});

Deno.test("--help lists examples, flags, routes, environment and exit codes", () => {
  const text = usage();
  for (
    const expected of [
      "Examples:",
      "vmstat 1 | liveplot -",
      "Routes:",
      "/s/NAME/data",
      "/data.csv",
      "POST /s/NAME",
      "Environment:",
      "BROWSER",
      "LIVEPLOT_READ_TOKEN",
      "INIT_CWD",
      "Exit codes:",
      "--token-file FILE",
    ]
  ) {
    assert.ok(text.includes(expected), `--help shows ${expected}`);
  }
});

Deno.test("relative paths resolve as node:path's resolve does, without loading it at start", async () => {
  const { resolve } = await import("node:path");
  const { resolvePath } = await import("../cli/command_line.ts");
  for (
    const [from, path] of [
      ["/home/me/lab", "rec.lpr"],
      ["/home/me/lab", "./sensor.py"],
      ["/home/me/lab", "../old.lpr"],
      ["/home/me/lab/", "a/./b/../c.txt"],
      ["/", "../../x"],
      ["/home/me", "/etc/hosts"],
      ["/home/me", "."],
      ["/home/me", "dir/"],
    ] as const
  ) {
    assert.equal(resolvePath(from, path), resolve(from, path), `${from} + ${path}`);
  }
});

Deno.test("flags that would do nothing with the source are refused: --record, --no-pty", () => {
  const recordWith = (source: string[]) => parse(["--record", "/tmp/x.lpr", ...source]);
  assert.throws(
    () => recordWith(["--scrape", "http://127.0.0.1:9100/metrics"]),
    /^UsageError: --record records lines as a source reads them .*, so not --scrape/,
  );
  assert.throws(() => recordWith(["--replay", "/tmp/y.lpr"]), /so not --replay/);
  assert.throws(() => recordWith([]), /so not the demo/);
  for (const source of [["-"], ["--", "vmstat", "1"], ["--udp", "9870"]]) {
    assert.equal(configOf(["--record", "/tmp/x.lpr", ...source]).record?.path, "/tmp/x.lpr");
  }
  assert.throws(() => parse(["--no-pty", "-"]), /^UsageError: --no-pty goes with a command/);
  assert.throws(() => parse(["--no-pty", "--mqtt", "mqtt://h/t"]), /--no-pty goes with a command/);
  assert.equal(configOf(["--no-pty", "--", "vmstat", "1"]).pty, false);
});

Deno.test("every start-up warning is logged whole, two of one kind included", async () => {
  // --max-queue 1 is below both --max-message and --max-line; both tokens are short.
  await using cli = spawnCli(
    ["--port", "0", "--no-open", "--max-queue", "1", "--token", "abc", "--read-token", "def"],
  );
  await cli.url;
  const expected = [
    /^level=warn event=token-short note="The push token/,
    /^level=warn event=token-short note="The read token/,
    /^level=warn event=limits-inconsistent note="--max-message is larger than --max-queue/,
    /^level=warn event=limits-inconsistent note="--max-line is larger than --max-queue/,
  ];
  for (const pattern of expected) await waitForLine(cli.stderr, pattern, 5000);
  assert.equal((await cli.stop()).code, 0);
  assert.ok(!cli.stderr.some((line) => line.includes("suppressed=")), cli.stderr.join("\n"));
});

Deno.test("--stream with a reserved name says it is reserved, and which names are", () => {
  for (const name of ["data", "range", "x.csv", "..", "."]) {
    assert.throws(
      () => parse(["--stream", name, "-"]),
      (error) =>
        error instanceof UsageError &&
        error.message.startsWith(`--stream "${name}" is reserved: `) &&
        error.message.endsWith(
          '(reserved: "data", "range", "." and "..", and names ending in ".csv")',
        ),
      name,
    );
  }
  assert.throws(() => parse(["--stream", "a b", "-"]), /^UsageError: --stream must be 1 to 64/);
  assert.equal(configOf(["--stream", "data2", "-"]).stream, "data2");
});

Deno.test("a whole number with spaces around it is refused, as --port or PORT", async () => {
  for (const text of [" 80", "80 ", "8 0", "\t80", "+80"]) {
    assert.throws(
      () => parse(["--port", text]),
      (error) =>
        error instanceof UsageError &&
        error.message === `--port must be a whole number from 0 to 65535, not "${text}"`,
      JSON.stringify(text),
    );
  }
  assert.throws(() => parse([], envOf({ PORT: "80 " })), /^UsageError: The environment variable/);
  assert.throws(() => parse(["--max-clients", " 5"]), /--max-clients must be a whole number/);
  const cli = await runCli(["--port", " 80"]);
  assert.deepEqual([cli.code, cli.stdout], [2, ""]);
  assert.equal(
    cli.stderr,
    'liveplot: --port must be a whole number from 0 to 65535, not " 80" (see liveplot --help)\n',
  );
});

Deno.test("a browser that cannot be opened is a warning line like the others, under --quiet too", async () => {
  // BROWSER=false: an opener that fails, so that none opens the page.
  await using cli = spawnCli(["--port", "0", "--quiet"], { env: { BROWSER: "false" } });
  const url = await cli.url;
  assert.equal(
    await waitForLine(cli.stderr, "browser-not-opened", 10_000),
    `level=warn event=browser-not-opened url=${url.href} note="open it yourself"`,
  );
  assert.ok(cli.stderr.every((line) => line.startsWith("level=")), cli.stderr.join("\n"));
});
