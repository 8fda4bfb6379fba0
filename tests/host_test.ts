/**
 * DNS rebinding: a page on `http://evil.example:PORT`, once that name
 * resolves to 127.0.0.1, sends its own name as `Host` and no `Origin` on a
 * same-origin read. A loopback listener answers such requests 421 on every
 * route; loopback names and its own `--host` are served.
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser } from "./browser.ts";
import { isAllowedHost, isLoopback, requestPath } from "../handlers/policy.ts";
import { captureLog, startTestServer } from "./helpers.ts";
import { configOf } from "./command_line.ts";
import { rawExchange, upgradeHeaders } from "./raw_socket.ts";

const TOKEN = "host-test-token";

/** Every route family, as a raw request line and its headers. */
const ROUTES: { line: string; headers?: Record<string, string>; body?: string }[] = [
  { line: "GET / HTTP/1.1" },
  { line: "GET /data HTTP/1.1" },
  { line: "GET /data.csv HTTP/1.1" },
  { line: "GET /data/range HTTP/1.1" },
  { line: "GET /s/ HTTP/1.1", headers: { accept: "application/json" } },
  { line: "GET /s/private HTTP/1.1" },
  { line: "GET /s/private.csv HTTP/1.1" },
  { line: "GET /s/private/range HTTP/1.1" },
  { line: "GET /static/app.js HTTP/1.1" },
  { line: "GET /test HTTP/1.1" },
  { line: "GET /nowhere HTTP/1.1" },
  { line: "GET /s/private/data HTTP/1.1", headers: upgradeHeaders() },
  { line: "GET /echo HTTP/1.1", headers: upgradeHeaders() },
  {
    line: "POST /s/private HTTP/1.1",
    headers: { authorization: `Bearer ${TOKEN}`, "content-length": "4" },
    body: "1,2\n",
  },
];

/** The status of each route asked with `host`. */
async function statuses(port: number, host: string): Promise<number[]> {
  const answers: number[] = [];
  for (const route of ROUTES) {
    const headers = { host, connection: "close", ...route.headers };
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const answer = await rawExchange(
      port,
      `${route.line}\r\n${lines.join("")}\r\n${route.body ?? ""}`,
    );
    answers.push(Number(answer.slice(9, 12)));
  }
  return answers;
}

Deno.test("a loopback listener answers 421 to a foreign Host on every route", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ token: TOKEN, source: { kind: "stdin" } }, {
    log,
    input: ReadableStream.from([new TextEncoder().encode("1 2\n")]),
  });
  const port = Number(server.url.port);
  assert.equal((await statuses(port, "127.0.0.1:1")).includes(421), false, "setup: own name");
  for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, "evil.example"]) {
    assert.deepEqual(await statuses(port, host), ROUTES.map(() => 421), host);
  }
  assert.ok(
    lines.some((line) => line.includes("event=host-refused") && line.includes("status=421")),
  );
  // Loopback names are served: the routes answer as they would (none 421).
  for (const host of [`localhost:${port}`, `127.0.0.2:${port}`, `[::1]:${port}`]) {
    const answers = await statuses(port, host);
    assert.ok(!answers.includes(421), `${host}: ${answers}`);
    assert.equal(answers[0], 200, host);
  }
});

Deno.test("--host NAME is served by that name; behind --trust-proxy the proxy's host counts", async () => {
  await using named = await startTestServer({ hostname: "localhost" });
  const port = Number(named.url.port);
  const ask = async (host: string, extra = "") =>
    Number(
      (await rawExchange(port, `GET /test HTTP/1.1\r\nhost: ${host}\r\n${extra}\r\n`)).slice(9, 12),
    );
  assert.equal(await ask(`localhost:${port}`), 200);
  assert.equal(await ask(`evil.example:${port}`), 421);

  await using proxied = await startTestServer({ trustProxy: true });
  const behind = Number(proxied.url.port);
  const through = async (host: string, extra = "") =>
    Number(
      (await rawExchange(behind, `GET /test HTTP/1.1\r\nhost: ${host}\r\n${extra}\r\n`)).slice(
        9,
        12,
      ),
    );
  assert.equal(
    await through(
      "127.0.0.1",
      "x-forwarded-host: plot.example.com\r\nx-forwarded-proto: https\r\n",
    ),
    200,
    "the proxy sends a loopback Host, the public name forwarded",
  );
  assert.equal(await through(`evil.example:${behind}`), 421, "no forwarding headers: own rule");
  // A rebound page may add any header to a same-origin fetch, but never change Host.
  assert.equal(await through(`evil.example:${behind}`, "x-forwarded-proto: http\r\n"), 421);
  const passedOn = await rawExchange(
    behind,
    `GET /s/ HTTP/1.1\r\nhost: plot.example.com\r\nx-forwarded-host: plot.example.com\r\n\r\n`,
  );
  assert.match(passedOn, /^HTTP\/1\.1 421 /);
  assert.match(
    passedOn,
    /the proxy sends one of them as Host, the public name in X-Forwarded-Host/,
  );
});

Deno.test("a Host that makes no URL gets 400 and one warning, never a 500", async () => {
  const log = captureLog();
  await using server = await startTestServer({ trustProxy: true }, { log: log.log });
  const port = Number(server.url.port);
  for (const host of ["localhost:99999", "localhost:abc", `127.0.0.1:${port}, evil.example`]) {
    for (const path of ["/test", "/data.csv?token=secret", "/s/x/range"]) {
      const answer = await rawExchange(port, `GET ${path} HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 400 /, `${host} ${path}`);
      assert.match(answer, /is not a host name and port/);
    }
  }
  // A push too, its body unread (the listener wraps a request with a body: it must not fail).
  const push = await rawExchange(
    port,
    "POST /s/x?token=secret HTTP/1.1\r\nhost: localhost:99999\r\ncontent-length: 4\r\n\r\n1,2\n",
  );
  assert.match(push, /^HTTP\/1\.1 400 /);
  assert.ok(log.lines.some((line) => line.includes("event=host-invalid")), log.lines.join("\n"));
  assert.ok(!log.lines.some((line) => /level=error|secret/.test(line)), log.lines.join("\n"));
  assert.equal((await fetch(new URL("/test", server.url))).status, 200, "others still served");
});

Deno.test({
  name: "a rebound name in Chromium cannot read a stream, its CSV or the stream list",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer({ token: TOKEN });
    const push = await fetch(new URL("/s/private", server.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "secret\n42\n",
    });
    assert.equal(push.status, 200);
    await push.body?.cancel();
    const port = server.url.port;
    await using browser = await launchBrowser([
      `--host-resolver-rules=MAP evil.example 127.0.0.1`,
    ]);
    const { page } = await browser.newPage();
    const first = await page.goto(`http://evil.example:${port}/test`);
    assert.equal(first?.status(), 421);
    // The page's own origin is evil.example:PORT: same-origin reads carry no Origin header.
    const reads = await page.evaluate(async () => {
      const answers: string[] = [];
      for (const path of ["/s/private.csv", "/data.csv", "/s/", "/s/private/range"]) {
        const response = await fetch(path, { headers: { accept: "application/json" } });
        answers.push(`${response.status} ${(await response.text()).includes("42")}`);
      }
      return answers;
    });
    assert.deepEqual(reads, ["421 false", "421 false", "421 false", "421 false"]);
    const local = await fetch(`http://localhost:${port}/s/private.csv`);
    assert.equal(local.status, 200);
    assert.match(await local.text(), /42/);
  },
});

Deno.test("the path and host read without `new URL` agree with it, odd URLs included", () => {
  const urls = [
    "http://127.0.0.1:8080/test",
    "http://localhost:8080/static/modules/chart.js?v=1#x",
    "https://[::1]:8443/s/a.b-c_d~/range?token=x",
    "http://127.0.0.1:8080/static/../test",
    "http://127.0.0.1:8080/s/%61/data",
    "http://127.0.0.1:8080/.well-known/x",
    "http://127.0.0.1:8080/a/./b",
    "http://127.0.0.1:8080//test",
    "http://127.0.0.1:8080/test/",
    "http://127.0.0.1:8080/a b",
    "http://127.0.0.1:8080/é",
    "http://127.0.0.1:8080?x=/test",
    "http://127.0.0.1:8080",
    "http://evil.example/x/test",
    "http://localhost?x/test",
    "http://localhost\\test",
    "http://user@localhost:8080/test",
    "http://localhost@evil.example:8080/test",
    "http://LOCALHOST:8080/test",
    "http://127.0.0.1.evil.example:8080/test",
    "http://0x7f.1:8080/test",
    "http://localhost:65535/test",
    "http://localhost:00080/test",
    "http://127.0.0.1:54321/a#b/c",
    "http://[::1]:8080/s/x.csv?token=a/b",
  ];
  const policy = { origins: [], hostname: "127.0.0.1", trustProxy: false };
  for (const url of urls) {
    const parsed = new URL(url);
    assert.equal(requestPath(url), parsed.pathname, url);
    assert.equal(
      isAllowedHost(new Request(url), policy),
      isLoopback(parsed.hostname) || parsed.hostname === policy.hostname,
      url,
    );
  }
  assert.equal(isAllowedHost(new Request("http://evil.example/"), policy), false);
  assert.equal(isAllowedHost(new Request("http://localhost@evil.example/"), policy), false);
});

Deno.test("every spelling of loopback in --host or HOST gets the Host check (it was off for 127.1)", () => {
  const foreign = new Request("http://evil.example:8000/data.csv");
  for (
    const [spelling, written] of [
      ["LOCALHOST", "localhost"],
      ["127.1", "127.0.0.1"],
      ["2130706433", "127.0.0.1"],
      ["::ffff:127.0.0.1", "::ffff:7f00:1"],
      ["0:0:0:0:0:0:0:1", "::1"],
      ["[::1]", "::1"],
    ] as const
  ) {
    for (
      const config of [
        configOf(["--host", spelling]),
        configOf([], (name) => name === "HOST" ? spelling : undefined),
      ]
    ) {
      assert.equal(config.hostname, written, spelling);
      assert.equal(isAllowedHost(foreign, config), false, spelling);
      assert.equal(isAllowedHost(new Request("http://localhost:8000/"), config), true, spelling);
    }
  }
  const exposed = configOf(["--host", "0.0.0.0"]);
  assert.equal(isAllowedHost(foreign, exposed), true, "an exposed listener is reached by any name");
});
