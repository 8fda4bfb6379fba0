import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };
import { browserCommands } from "../cli/browser.ts";
import { GENERATED_FILES, withGeneratedSections } from "../cli/docs.ts";
import { FLAGS } from "../cli/flags.ts";
import { usage } from "../cli/usage.ts";
import { parseBytes, StartError, UsageError } from "../cli/values.ts";
import {
  closeSocket,
  FIXTURES,
  nextMessage,
  openRecorded,
  openSocket,
  record,
  runCli,
  socketUrl,
  spawnCli,
  START_FLAGS,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";
import { configOf, parse } from "./command_line.ts";

Deno.test("the CLI prints its URL and Deno version, serves, and exits 0 on SIGTERM", async () => {
  const cli = spawnCli(["--port", "0", "--no-open"], { denoArgs: START_FLAGS });
  const url = await cli.url;
  assert.equal(url.hostname, "127.0.0.1");
  const response = await fetch(new URL("/test", url));
  assert.equal(await response.text(), "Yes this is a test!");
  await waitFor(() => cli.stdout.length >= 2, 5000, "the version line");
  assert.match(cli.stdout[1] ?? "", new RegExp(`Deno ${Deno.version.deno.replaceAll(".", "\\.")}`));
  const status = await cli.stop();
  assert.equal(status.code, 0);
  assert.ok(
    cli.stderr.some((line) => line.startsWith("level=info event=stop")),
    cli.stderr.join("\n"),
  );
});

Deno.test("run as the start task runs it, what loads on first use loads: page files, a push, the index, an export, sockets", async () => {
  // The start task's --unstable-lazy-dynamic-imports leaves every on-demand import to its use.
  const token = "a-token-long-enough-to-keep-quiet";
  const cli = spawnCli(["--port", "0", "--no-open", "--token", token], { denoArgs: START_FLAGS });
  const url = await cli.url;
  const files = [
    ["/", "text/html"],
    ["/static/app.js", "text/javascript"],
    ["/static/modules/chart.js", "text/javascript"],
    ["/static/uplot.js", "text/javascript"],
    ["/static/uplot.css", "text/css"],
  ];
  for (const [path, type] of files) {
    const response = await fetch(new URL(path!, url));
    const body = await response.text();
    assert.equal(response.status, 200, `${path}: ${body}`);
    assert.ok(response.headers.get("content-type")?.startsWith(type!), path);
    assert.ok(body.length > 100, path);
  }
  const push = await fetch(new URL("/s/lab", url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: "1 2\n3 4\n",
  });
  assert.deepEqual(await push.json(), { taken: 2, headers: 0, blank: 0, skipped: 0 });
  const index = await fetch(new URL("/s/", url), { headers: { accept: "application/json" } });
  const { streams } = await index.json();
  assert.deepEqual(streams.map((stream: { name: string }) => stream.name), ["lab"]);
  const csv = await (await fetch(new URL("/s/lab.csv", url))).text();
  assert.equal(csv.split("\n").filter(Boolean).length, 3, csv);
  const range = await (await fetch(new URL("/s/lab/range?from=0&to=1e12", url))).json();
  assert.deepEqual(range.series.map((series: { y: number[] }) => series.y), [[1, 3], [2, 4]]);
  // Each WebSocket route's module loads on its first upgrade, before the socket is handed over.
  const echo = await openSocket(socketUrl(url, "/echo"));
  echo.send("ping");
  assert.equal(await nextMessage(echo), "ping");
  await closeSocket(echo);
  const demo = await openRecorded(socketUrl(url, "/data"));
  const { code, messages } = await withTimeout(demo.closed, 5000, "the demo's 100 points");
  assert.equal(code, 1000);
  assert.equal(messages.join("").split("\n").filter(Boolean).length, 100);
  const viewer = await openRecorded(socketUrl(url, "/s/lab/data"));
  await waitFor(() => viewer.messages.length > 0, 5000, "the stream's first message");
  await closeSocket(viewer.socket);
  assert.equal((await cli.stop()).code, 0);
  assert.deepEqual(cli.stderr.filter((line) => line.startsWith("level=error")), []);
});

Deno.test("SIGTERM closes open WebSockets with 1001 before exiting", async () => {
  const cli = spawnCli(["--port", "0", "--no-open"]);
  const socket = await openSocket(socketUrl(await cli.url, "/echo"));
  const { closed } = record(socket);
  const status = await cli.stop();
  const { code } = await withTimeout(closed, 3000, "the WebSocket close");
  assert.equal(code, 1001);
  assert.equal(status.code, 0);
});

Deno.test("SIGINT also stops the server with exit code 0", async () => {
  const cli = spawnCli(["--port", "0", "--no-open"]);
  await cli.url;
  cli.process.kill("SIGINT");
  const status = await withTimeout(cli.process.status, 3000, "the exit after SIGINT");
  assert.equal(status.code, 0);
  await cli.stop();
});

Deno.test("a bad flag prints one line pointing to --help, exit code 2", async () => {
  for (
    const args of [["--bogus"], ["--port", "http"], ["--port", "70000"], ["--format", "xml"], [
      "--window",
      "5 parsecs",
    ], ["--y-range", "9:1"]]
  ) {
    const { code, stderr, stdout } = await runCli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /^liveplot: .* \(see liveplot --help\)\n$/, args.join(" "));
    assert.equal(stdout, "");
  }
  const suffixed = await runCli(["--max-line-bytes", "100"]);
  assert.equal(suffixed.code, 2);
  assert.equal(
    suffixed.stderr,
    'liveplot: Unknown option "--max-line-bytes": did you mean --max-line? (see liveplot --help)\n',
  );
});

Deno.test("a port already in use exits 1 with a line naming the port", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const { code, stderr } = await runCli(["--port", String(port), "--no-open"]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`),
  );
});

Deno.test("the browser is opened at the server's URL through BROWSER", async () => {
  const log = await Deno.makeTempFile();
  try {
    const cli = spawnCli(["--port", "0"], {
      env: { BROWSER: `${FIXTURES}record_browser.sh`, LIVEPLOT_BROWSER_LOG: log },
    });
    const url = await cli.url;
    await waitFor(() => Deno.readTextFileSync(log) !== "", 5000, "the browser fixture to run");
    assert.equal(Deno.readTextFileSync(log), `${url.href}\n`);
    await cli.stop();
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("when no browser can be opened it says so in one line and keeps serving", async () => {
  const cli = spawnCli(["--port", "0"], { env: { BROWSER: "/nonexistent/browser" } });
  const url = await cli.url;
  const line = `level=warn event=browser-not-opened url=${url.href} note="open it yourself"`;
  assert.equal(await waitForLine(cli.stderr, "browser-not-opened", 5000), line);
  assert.equal(await (await fetch(new URL("/test", url))).text(), "Yes this is a test!");
  assert.equal((await cli.stop()).code, 0);
});

Deno.test("PORT and HOST work from the environment and flags win", () => {
  const env = (name: string) => ({ PORT: "9001", HOST: "localhost" })[name];
  const fromEnv = parse([], env);
  assert.equal(fromEnv.kind, "serve");
  if (fromEnv.kind !== "serve") return;
  assert.equal(fromEnv.config.port, 9001);
  assert.equal(fromEnv.config.hostname, "localhost");
  const fromFlags = parse(["--port", "9002", "--host", "127.0.0.2"], env);
  assert.ok(fromFlags.kind === "serve");
  assert.equal(fromFlags.config.port, 9002);
  assert.equal(fromFlags.config.hostname, "127.0.0.2");
});

Deno.test("defaults are the seed's port on loopback, opening the browser, the demo", () => {
  const command = parse([]);
  assert.ok(command.kind === "serve");
  assert.equal(command.config.port, 8000);
  assert.equal(command.config.hostname, "127.0.0.1");
  assert.equal(command.config.open, true);
  assert.deepEqual(command.config.source, { kind: "demo" });
});

Deno.test("the source is '-' for stdin or a command after the options", () => {
  const stdin = parse(["--no-open", "-"]);
  assert.ok(stdin.kind === "serve");
  assert.deepEqual(stdin.config.source, { kind: "stdin" });
  const command = parse(["--window", "50", "ping", "-i", "0.2", "localhost"]);
  assert.ok(command.kind === "serve");
  assert.deepEqual(command.config.source, {
    kind: "command",
    command: "ping",
    args: ["-i", "0.2", "localhost"],
    cwd: "/home/user",
  });
  assert.deepEqual(command.config.window, { points: 50 });
  const viaTask = parse(["--", "--port", "9", "-"]);
  assert.ok(viaTask.kind === "serve", "deno task start -- --port 9 - passes its -- along");
  assert.equal(viaTask.config.port, 9);
  assert.deepEqual(viaTask.config.source, { kind: "stdin" });
  // A command whose name starts with "-" follows a second "--" (the first is deno task's).
  const dashed = parse(["--", "--", "--weird-name", "--port"]);
  assert.ok(dashed.kind === "serve");
  assert.deepEqual(dashed.config.source, {
    kind: "command",
    command: "--weird-name",
    args: ["--port"],
    cwd: "/home/user",
  });
  // After an option, the "--" that ends the options is enough (docs/cli.md).
  const afterOption = parse(["--no-open", "--", "-weird"]);
  assert.ok(afterOption.kind === "serve");
  assert.deepEqual(afterOption.config.source, {
    kind: "command",
    command: "-weird",
    args: [],
    cwd: "/home/user",
  });
});

Deno.test("--help and --version print and exit 0", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: liveplot/);
  for (const flag of ["--port", "--host", "--no-open", "--origin", "--max-message", "--cert"]) {
    assert.ok(help.stdout.includes(flag), `usage lists ${flag}`);
  }
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `liveplot ${manifest.version}\n`);
});

Deno.test("short switches group with a value flag last, as -qp 0 is -q -p 0", () => {
  const command = parse(["-qp", "0", "-"]);
  assert.ok(command.kind === "serve");
  assert.equal(command.config.port, 0);
  assert.equal(command.config.logLevel, "quiet");
  assert.deepEqual(command.config.source, { kind: "stdin" });
});

Deno.test("a bad PORT in the environment is named in the error", () => {
  const env = (name: string) => name === "PORT" ? "abc" : undefined;
  assert.throws(
    () => parse([], env),
    /^UsageError: The environment variable PORT must be a whole number from 0 to 65535, not "abc"$/,
  );
});

Deno.test("--window takes a point count or a duration; --format sxy is series-x-y; --y-range is finite", () => {
  assert.deepEqual(configOf(["--window", "60s"]).window, { seconds: 60 });
  assert.deepEqual(configOf(["--window", "10m"]).window, { seconds: 600 });
  assert.deepEqual(configOf(["--window", "100000"]).window, { points: 100_000 });
  assert.equal(configOf(["--format", "sxy"]).format, "series-x-y");
  assert.deepEqual(configOf(["--x", "ts"]).x, { kind: "field", name: "ts" });
  assert.deepEqual(configOf(["--y-range=-1:1.5"]).yRange, [-1, 1.5]);
  // An infinite end would reach the page as null (JSON has no Infinity).
  for (const range of ["-Infinity:5", "0:Infinity", "-1e400:0", "NaN:1"]) {
    assert.throws(
      () => parse(["--y-range", range]),
      new RegExp(`^UsageError: --y-range must be MIN:MAX, finite numbers .*, not "${range}"$`),
      range,
    );
  }
});

Deno.test("sizes accept bytes and KiB/MiB suffixes and refuse nonsense", () => {
  assert.equal(parseBytes("65536", "--max-line", 1), 65536);
  assert.equal(parseBytes("64KiB", "--max-line", 1), 65536);
  assert.equal(parseBytes("1m", "--max-line", 1), 1024 * 1024);
  for (const bad of ["", "0", "-1", "1.5k", "1GB", "65GiB", "lots"]) {
    assert.throws(() => parseBytes(bad, "--max-line", 1), UsageError, bad);
  }
});

Deno.test("--cert and --key go together (a usage error); an unreadable file fails the start", () => {
  assert.throws(() => parse(["--cert", "a.pem"]), UsageError, "--cert and --key");
  assert.throws(
    () => parse(["--cert", "a.pem", "--key", "b.pem"]),
    StartError,
    'Cannot read --cert "a.pem": not found',
  );
});

Deno.test("browser commands follow the platform and BROWSER's %s", () => {
  const url = "http://127.0.0.1:8000/";
  assert.deepEqual(browserCommands(url, "linux"), [["xdg-open", url]]);
  assert.deepEqual(browserCommands(url, "darwin"), [["open", url]]);
  assert.deepEqual(browserCommands(url, "windows"), [["cmd", "/c", "start", "", url]]);
  assert.deepEqual(browserCommands(url, "linux", "firefox --new-tab %s:lynx"), [
    ["firefox", "--new-tab", url],
    ["lynx", url],
  ]);
});

Deno.test("logs are key=value lines; --quiet hides routine ones, --verbose adds connections, opened and closed", async () => {
  const quiet = spawnCli(["--port", "0", "--no-open", "--quiet"]);
  await quiet.url;
  await quiet.stop();
  assert.deepEqual(quiet.stderr.filter((line) => line.startsWith("level=info")), []);

  const verbose = spawnCli(["--port", "0", "--no-open", "--verbose"]);
  const url = await verbose.url;
  const socket = await openSocket(socketUrl(url, "/echo"));
  socket.close(1000, "done");
  await waitForLine(
    verbose.stderr,
    /event=websocket-closed path=\/echo .*code=1000 reason=done$/,
    5000,
    "the connection's closing line",
  );
  assert.ok(verbose.stderr.some((line) => line.includes("event=websocket-opened path=/echo")));
  await verbose.stop();
  for (const line of verbose.stderr) {
    assert.match(line, /^level=(debug|info|warn|error) event=[a-z-]+( \w+=\S+)*/);
  }
});

Deno.test("message contents and input lines are never logged by default", async () => {
  const cli = spawnCli(["--port", "0", "--no-open", "-"], { stdin: "piped" });
  const url = await cli.url;
  const writer = cli.process.stdin.getWriter();
  await writer.write(new TextEncoder().encode("1 2\n1 secret-line-content 2\n"));
  const socket = await openSocket(socketUrl(url, "/echo"));
  socket.send("secret-message-content");
  await new Promise((resolve) => socket.addEventListener("message", resolve, { once: true }));
  socket.close();
  await waitForLine(cli.stderr, "lines-skipped", 5000, "the skipped line to be noted");
  await writer.close();
  await cli.stop();
  assert.ok(!cli.stderr.join("\n").includes("secret"), cli.stderr.join("\n"));
});

Deno.test("README's and docs/cli.md's tables are cli/'s (deno task docs writes them)", async () => {
  for (const file of GENERATED_FILES) {
    const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
    assert.equal(text, withGeneratedSections(text), `run \`deno task docs\` to refresh ${file}`);
  }
  for (const flag of FLAGS) assert.match(usage(), new RegExp(`--${flag.name}\\b`));
});

Deno.test("limits that do not make sense together are said in one line each at start", async () => {
  const cli = spawnCli([
    "--port",
    "0",
    "--no-open",
    "--max-message",
    "2MiB",
    "--max-queue",
    "1MiB",
  ]);
  await cli.url;
  await waitForLine(cli.stderr, / event=(start|stop)( |$)/, 5000, "the start line");
  const warnings = cli.stderr.filter((line) => line.includes("event=limits-inconsistent"));
  assert.equal(warnings.length, 1, cli.stderr.join("\n"));
  assert.match(warnings[0] ?? "", /--max-message is larger than --max-queue/);
  assert.equal((await cli.stop()).code, 0);
  const sane = spawnCli(["--port", "0", "--no-open"]);
  await sane.url;
  assert.equal((await sane.stop()).code, 0);
  assert.ok(
    !sane.stderr.some((line) => line.includes("limits-inconsistent")),
    sane.stderr.join("\n"),
  );
  // Sharing a port without the data store that shares the streams.
  const alone = spawnCli(["--port", "0", "--no-open", "--reuse-port"]);
  await alone.url;
  assert.equal((await alone.stop()).code, 0);
  const shared = alone.stderr.filter((line) => line.includes("event=limits-inconsistent"));
  assert.equal(shared.length, 1, alone.stderr.join("\n"));
  assert.match(shared[0]!, /--reuse-port without --redis/);
  assert.ok(
    !sane.stderr.some((line) => line.includes("limits-inconsistent")),
    sane.stderr.join("\n"),
  );
});
