/**
 * The tokens at start. The push line liveplot prints (`Push a stream with:
 * vmstat 1 | curl …`), whatever gives the token: run as printed by `sh`, with
 * the environment liveplot had, it pushes; a token from the environment or a
 * file is named, never printed. The read token: the browser opens the page
 * with it, and no line shows it. And the tokens themselves: random, compared
 * whole, read from a header before the query.
 *
 * @module
 */

import assert from "node:assert/strict";
import { base64url, curlExample, generateToken, shellWord, TOKEN_BYTES } from "../cli/token.ts";
import { readToken, tokensEqual } from "../handlers/policy.ts";
import { FIXTURES, runCli, shellEnv, spawnCli, waitFor, withTimeout } from "./helpers.ts";
import { noFile, parse } from "./command_line.ts";
import { UsageError } from "../cli/values.ts";

const PUSH = "Push a stream with: ";

/**
 * Starts liveplot with `args` and `env`, waits for its push line and runs
 * that line with `sh -c`, with a `vmstat` first in PATH that prints one line
 * and ends (the real one never ends). Returns the line without its prefix,
 * where it pushes to, what curl printed, and everything liveplot printed.
 */
async function runPushLine(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ line: string; target: string; answer: string; output: string }> {
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${bin}/vmstat`, "#!/bin/sh\nprintf '1 2 3\\n'\n", { mode: 0o755 });
    await using cli = spawnCli(["--port", "0", "--no-open", ...args], { env });
    const target = new URL("/s/vmstat", await cli.url).href;
    await waitFor(() => cli.stdout.some((line) => line.startsWith(PUSH)), 5000, "the push line");
    const line = cli.stdout.find((line) => line.startsWith(PUSH))!.slice(PUSH.length);
    const shell = new Deno.Command("sh", {
      args: ["-c", line],
      stdin: "null",
      clearEnv: true,
      env: shellEnv({ ...env, PATH: `${bin}:${Deno.env.get("PATH")}` }),
    });
    const { code, stdout, stderr } = await withTimeout(shell.output(), 10_000, `sh -c '${line}'`);
    const answer = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    await cli.stop();
    return { line, target, answer, output: [...cli.stdout, ...cli.stderr].join("\n") };
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

/** What POST /s/NAME answers a push it took: only a 200 counts the lines. */
const TAKEN_ONE = { taken: 1, headers: 0, blank: 0, skipped: 0 };

Deno.test("the push line is printed whatever gives the token, and pushes as printed", async () => {
  const files = await Deno.makeTempDir();
  try {
    // A name that needs quoting, in a file the environment's token does not match.
    const tokenFile = `${files}/push token.txt`;
    await Deno.writeTextFile(tokenFile, "file-secret-0123456789\n");
    const typed = `it's-a-$ecret"-0123456789`;
    const [made, flag, environment, file] = await Promise.all([
      runPushLine([]),
      runPushLine(["--token", typed]),
      runPushLine([], { LIVEPLOT_TOKEN: "environment-secret-0123456789" }),
      runPushLine(["--token-file", tokenFile], { LIVEPLOT_TOKEN: "not-the-file's-0123456789" }),
    ]);
    const header = /^vmstat 1 \| curl -sT - -H "Authorization: Bearer [\w-]{32}" (\S+)$/;
    assert.equal(header.exec(made.line)?.[1], made.target, made.line);
    // The next line says where that push shows.
    assert.ok(made.output.includes(`\nand watch it at ${made.target}\n`), made.output);
    assert.equal(
      flag.line,
      `vmstat 1 | curl -sT - -H 'Authorization: Bearer it'\\''s-a-$ecret"-0123456789' ${flag.target}`,
    );
    assert.equal(
      environment.line,
      `vmstat 1 | curl -sT - -H "Authorization: Bearer $LIVEPLOT_TOKEN" ${environment.target}`,
    );
    assert.equal(
      file.line,
      `vmstat 1 | curl -sT - -H "Authorization: Bearer $(cat "${tokenFile}")" ${file.target}`,
    );
    for (const run of [made, flag, environment, file]) {
      assert.deepEqual(JSON.parse(run.answer), TAKEN_ONE, `${run.line}: ${run.answer}`);
    }
    assert.ok(!environment.output.includes("environment-secret"), environment.output);
    assert.ok(!file.output.includes("file-secret"), file.output);
  } finally {
    await Deno.remove(files, { recursive: true });
  }
});

Deno.test("the push token comes from --token-file or --token, else LIVEPLOT_TOKEN, else is made up", () => {
  const readFile = () => "file-secret-0123456789\n";
  const env = (name: string) => name === "LIVEPLOT_TOKEN" ? "environment-0123456789" : undefined;
  const origin = (args: string[], vars = env) => {
    const command = parse(args, vars, readFile);
    assert.ok(command.kind === "serve", args.join(" "));
    return command.config.tokenOrigin;
  };
  assert.deepEqual(origin(["--token-file", "-t.txt"]), { kind: "file", path: "-t.txt" });
  // The file wins over the environment, and says so (it did silently).
  const both = parse(["--token-file", "t.txt"], env, readFile);
  assert.ok(both.kind === "serve");
  assert.deepEqual(both.warnings.map((warning) => warning.event), ["token-environment-ignored"]);
  const fileOnly = parse(["--token-file", "t.txt"], () => undefined, readFile);
  assert.ok(fileOnly.kind === "serve" && fileOnly.warnings.length === 0);
  assert.deepEqual(origin(["--token", "flag-0123456789abc"]), { kind: "flag" });
  assert.deepEqual(origin([]), { kind: "environment", name: "LIVEPLOT_TOKEN" });
  assert.deepEqual(origin([], () => undefined), { kind: "generated" });
  // A name that starts with - is not an option to cat; a plain one stays as typed.
  const base = new URL("http://127.0.0.1:8000/");
  assert.equal(
    curlExample(base, "ignored", { kind: "file", path: "-t.txt" }),
    'vmstat 1 | curl -sT - -H "Authorization: Bearer $(cat ./-t.txt)" http://127.0.0.1:8000/s/vmstat',
  );
  assert.equal(
    curlExample(new URL("http://[::1]:8000/"), "T"),
    'vmstat 1 | curl -sT - -H "Authorization: Bearer T" "http://[::1]:8000/s/vmstat"',
  );
  assert.equal(shellWord("token.txt"), "token.txt");
  assert.equal(shellWord("my token.txt"), '"my token.txt"');
  assert.equal(shellWord("a!b"), "'a!b'");
  assert.equal(shellWord("it's $HOME"), `'it'\\''s $HOME'`);
  assert.equal(shellWord(""), '""');
});

Deno.test("with a read token the browser opens the page with it, and that URL answers 200", async () => {
  const log = await Deno.makeTempFile();
  // Characters a query must escape, from the environment as a deployment gives it.
  const readToken = "read+token/&=?-0123456789";
  try {
    await using cli = spawnCli(["--port", "0"], {
      env: {
        BROWSER: `${FIXTURES}record_browser.sh`,
        LIVEPLOT_BROWSER_LOG: log,
        LIVEPLOT_READ_TOKEN: readToken,
      },
    });
    const url = await cli.url;
    await waitFor(() => Deno.readTextFileSync(log) !== "", 5000, "the browser fixture to run");
    const opened = Deno.readTextFileSync(log).trimEnd();
    assert.equal(opened, `${url.href}?token=${encodeURIComponent(readToken)}`);
    const page = await fetch(opened);
    assert.equal(page.status, 200, await page.text());
    const without = await fetch(url);
    await without.body?.cancel();
    assert.equal(without.status, 401);
    // Stopped first, so that every line it printed is in.
    await cli.stop();
    assert.ok(!cli.stdout.concat(cli.stderr).join("\n").includes("0123456789"), "no token shown");
    assert.ok(
      cli.stdout.includes(
        "Reading needs the read token: add ?token=TOKEN to the URL, or send it as Bearer",
      ),
      cli.stdout.join("\n"),
    );
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("tokens are random, compared whole, and printed as a curl line", () => {
  const token = generateToken();
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(TOKEN_BYTES * 4 / 3, 32);
  assert.notEqual(generateToken(), token);
  // The hand-written base64url is the standard one, for every length's remainder.
  for (let length = 0; length <= 7; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    // `+` then `/` in standard base64, so both replacements are checked.
    bytes.set([0xfb, 0xff].slice(0, length));
    const standard = btoa(String.fromCharCode(...bytes.subarray(0, length)));
    const expected = standard.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    assert.equal(base64url(bytes.subarray(0, length)), expected, `${length} bytes`);
  }
  assert.ok(tokensEqual(token, token));
  assert.ok(!tokensEqual(undefined, token));
  assert.ok(!tokensEqual(token.slice(0, -1), token));
  assert.ok(!tokensEqual(`${token}x`, token));
  assert.ok(!tokensEqual("é", "\u00e9x".slice(0, 1) + "x"));
  assert.equal(
    curlExample(new URL("http://127.0.0.1:8000/"), "T"),
    'vmstat 1 | curl -sT - -H "Authorization: Bearer T" http://127.0.0.1:8000/s/vmstat',
  );
  const withQuery = new Request("http://h/s/a?token=q");
  assert.equal(readToken(withQuery), "q");
  const withHeader = new Request("http://h/s/a?token=q", {
    headers: { authorization: "Bearer h" },
  });
  assert.equal(readToken(withHeader), "h");
});

Deno.test("a token past printable ASCII is refused in one line, exit 2, from wherever it comes", async () => {
  const token = "ünïcödé-tökén-lông";
  const files: Record<string, string> = { "/home/user/token.txt": `${token}\n` };
  const readFile = (path: string) => files[path] ?? noFile(path);
  const ascii = /must be printable ASCII only: an Authorization header cannot carry other/;
  for (
    const [args, env, label] of [
      [["--token", token], {}, "--token"],
      [["--read-token", token], {}, "--read-token"],
      [[], { LIVEPLOT_TOKEN: token }, "The environment variable LIVEPLOT_TOKEN"],
      [[], { LIVEPLOT_READ_TOKEN: token }, "The environment variable LIVEPLOT_READ_TOKEN"],
      [["--token-file", "token.txt"], {}, 'The token in --token-file "token.txt"'],
      [["--token", "control\u0001character-0123"], {}, "--token"],
    ] as const
  ) {
    assert.throws(
      () => parse([...args], (name) => (env as Record<string, string>)[name], readFile),
      (error) =>
        error instanceof UsageError && error.message.startsWith(label) &&
        ascii.test(error.message),
      `${args.join(" ")} ${JSON.stringify(env)}`,
    );
  }
  // Printable ASCII, punctuation and all, is a token.
  assert.equal(parse(["--token", "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"]).kind, "serve");
  const { code, stdout, stderr } = await runCli(["--token", token, "--no-open"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /^liveplot: --token must be printable ASCII only: .* \(see liveplot --help\)\n$/,
  );
});
