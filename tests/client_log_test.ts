/**
 * Who a log line names: every refusal, 401 and opened socket says which
 * client it was about as `remote=`. Behind `--trust-proxy` that is the
 * address the proxy forwarded, with the proxy itself as `via=`, and the
 * once-a-minute lines count per forwarded address; without it the headers
 * are ignored. Requests come from a raw client that says what a proxy would.
 *
 * @module
 */

import assert from "node:assert/strict";
import { captureLog, startTestServer, waitForLine } from "./helpers.ts";
import { openRawSocket, rawExchange, upgradeHeaders } from "./raw_socket.ts";

const TOKEN = "client-log-test-token";
const READ = "client-log-read-token";

/** A raw HTTP/1.1 request; the answer's status. */
async function status(
  port: number,
  line: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<number> {
  const all = { host: `127.0.0.1:${port}`, connection: "close", ...headers };
  const head = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const answer = await rawExchange(port, `${line}\r\n${head}\r\n${body}`);
  return Number(answer.slice(9, 12));
}

/** A push of one line with `token`, from `forwardedFor`. */
function pushFrom(port: number, forwardedFor: string, token: string): Promise<number> {
  return status(port, "POST /s/lab HTTP/1.1", {
    authorization: `Bearer ${token}`,
    "content-length": "2",
    "x-forwarded-for": forwardedFor,
  }, "1\n");
}

/** The one line of `event` whose fields include `fields`, or a failure that lists the log. */
function lineOf(lines: string[], event: string, fields: RegExp): string {
  const found = lines.filter((line) => line.includes(`event=${event} `) && fields.test(line));
  assert.equal(found.length, 1, `one ${event} line matching ${fields}:\n${lines.join("\n")}`);
  return found[0]!;
}

Deno.test("behind --trust-proxy every line names the forwarded client, and the proxy as via=", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer(
    { trustProxy: true, token: TOKEN, maxClients: 1 },
    { log },
  );
  const port = Number(server.url.port);
  const via = String.raw` via=127\.0\.0\.1:\d+`;

  using _open = await openRawSocket(port, "/echo", { "x-forwarded-for": "203.0.113.1" });
  lineOf(lines, "websocket-opened", new RegExp(String.raw`remote=203\.0\.113\.1${via}$`));
  const full = await status(port, "GET /echo HTTP/1.1", {
    ...upgradeHeaders({ "x-forwarded-for": "203.0.113.2" }),
  });
  assert.equal(full, 503, "over --max-clients");
  lineOf(
    lines,
    "upgrade-refused",
    new RegExp(String.raw`status=503 .*remote=203\.0\.113\.2${via}`),
  );
  const foreign = await status(port, "GET /data HTTP/1.1", {
    ...upgradeHeaders({ origin: "http://evil.example", "x-forwarded-for": "203.0.113.3" }),
  });
  assert.equal(foreign, 403);
  lineOf(
    lines,
    "upgrade-refused",
    new RegExp(String.raw`status=403 .*remote=203\.0\.113\.3${via}`),
  );
  const page = await status(port, "POST /s/lab HTTP/1.1", {
    origin: "http://evil.example",
    "content-length": "0",
    "x-forwarded-for": "203.0.113.4",
  });
  assert.equal(page, 403);
  lineOf(lines, "ingest-refused", new RegExp(String.raw`status=403 .*remote=203\.0\.113\.4${via}`));
  const rebound = await status(port, "GET /test HTTP/1.1", {
    host: "evil.example",
    "x-forwarded-for": "203.0.113.5",
  });
  assert.equal(rebound, 421);
  lineOf(lines, "host-refused", new RegExp(String.raw`remote=203\.0\.113\.5${via}$`));

  // Two clients with wrong tokens are two lines, though one proxy sent both; a repeat is none.
  for (const client of ["198.51.100.1", "198.51.100.2", "198.51.100.1"]) {
    assert.equal(await pushFrom(port, client, "wrong-token"), 401);
  }
  lineOf(lines, "ingest-unauthorized", new RegExp(String.raw`remote=198\.51\.100\.1${via} `));
  lineOf(lines, "ingest-unauthorized", new RegExp(String.raw`remote=198\.51\.100\.2${via} `));
  assert.equal(lines.filter((line) => line.includes("event=ingest-unauthorized")).length, 2);
  assert.ok(!lines.some((line) => line.includes("wrong-token")), "no token is ever logged");
});

Deno.test("without --trust-proxy X-Forwarded-For is ignored: lines name the peer, 401s once", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ token: TOKEN }, { log });
  const port = Number(server.url.port);
  using _open = await openRawSocket(port, "/echo", { "x-forwarded-for": "203.0.113.1" });
  lineOf(lines, "websocket-opened", /path=\/echo remote=127\.0\.0\.1:\d+$/);
  for (const client of ["198.51.100.1", "198.51.100.2"]) {
    assert.equal(await pushFrom(port, client, "wrong-token"), 401);
  }
  lineOf(lines, "ingest-unauthorized", /remote=127\.0\.0\.1 reason="wrong token"/);
  assert.ok(!lines.some((line) => / via=|203\.0\.113|198\.51\.100/.test(line)), lines.join("\n"));
});

Deno.test("a missing or wrong read token answers 401, logged once per client per minute", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ readToken: READ, trustProxy: true }, { log });
  const port = Number(server.url.port);
  const reads = [
    ["GET / HTTP/1.1", {}],
    ["GET /data HTTP/1.1", {}],
    ["GET /data.csv HTTP/1.1", {}],
    ["GET /s/lab HTTP/1.1", {}],
    ["GET /s/lab.csv?token=nope HTTP/1.1", {}],
    ["GET /data HTTP/1.1", { authorization: "Bearer nope" }],
    ["GET /data HTTP/1.1", upgradeHeaders()],
    ["GET /s/lab/data?token=nope HTTP/1.1", upgradeHeaders()],
    ["GET /echo HTTP/1.1", upgradeHeaders()],
  ] as const;
  for (const [line, headers] of reads) assert.equal(await status(port, line, headers), 401, line);
  assert.equal(await status(port, "GET /test HTTP/1.1"), 200, "/test stays open: a health check");
  lineOf(lines, "read-unauthorized", /remote=127\.0\.0\.1 reason="no token" path=\/ /);
  assert.equal(lines.filter((line) => line.includes("event=read-unauthorized")).length, 1);

  // Behind the proxy each client has its line: a wrong token, then none at all on a socket.
  const fromProxy = (address: string, line: string, headers: Record<string, string> = {}) =>
    status(port, line, { "x-forwarded-for": address, ...headers });
  assert.equal(await fromProxy("203.0.113.20", "GET /?token=nope HTTP/1.1"), 401);
  assert.equal(await fromProxy("203.0.113.21", "GET /data HTTP/1.1", upgradeHeaders()), 401);
  assert.equal(await fromProxy("203.0.113.21", "GET /data HTTP/1.1", upgradeHeaders()), 401);
  const via = String.raw` via=127\.0\.0\.1:\d+`;
  lineOf(lines, "read-unauthorized", new RegExp(String.raw`=203\.0\.113\.20${via} reason="wrong`));
  lineOf(lines, "read-unauthorized", new RegExp(String.raw`=203\.0\.113\.21${via} .* path=/data `));
  assert.equal(lines.filter((line) => line.includes("event=read-unauthorized")).length, 3);
  assert.ok(!lines.some((line) => line.includes("event=upgrade-refused")), "one line, not two");
  assert.ok(!lines.some((line) => line.includes("nope")), "no token is ever logged");
  // The right token reads, and logs nothing.
  assert.equal(await status(port, `GET /?token=${READ} HTTP/1.1`), 200);
  assert.equal(lines.filter((line) => line.startsWith("level=warn")).length, 3);
});

Deno.test("a push whose Content-Length is over --max-body answers 413 and logs who sent it", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ token: TOKEN, maxBodyBytes: 1000 }, { log });
  const port = Number(server.url.port);
  const answer = await status(port, "POST /s/big HTTP/1.1", {
    authorization: `Bearer ${TOKEN}`,
    "content-length": "5000",
  }, "1\n");
  assert.equal(answer, 413);
  lineOf(
    lines,
    "ingest-refused",
    /^level=warn event=ingest-refused status=413 stream=big remote=127\.0\.0\.1:\d+ length=5000 limit=1000$/,
  );
});

Deno.test("a 413 and then a 429 within one second are two ingest-refused lines, not one folded", async () => {
  // The logger as liveplot runs it: repeats of one kind within a second fold into a summary.
  const { log, lines } = captureLog({ fold: true });
  await using server = await startTestServer(
    { token: TOKEN, maxBodyBytes: 1000, maxIngestRate: 1 },
    { log },
  );
  const port = Number(server.url.port);
  const push = (stream: string, length: number, body: string) =>
    status(port, `POST /s/${stream} HTTP/1.1`, {
      authorization: `Bearer ${TOKEN}`,
      "content-length": String(length),
    }, body);
  assert.equal(await push("big", 5000, "1\n"), 413);
  // One line a second: the second line of three is over the rate.
  assert.equal(await push("fast", 6, "1\n2\n3\n"), 429);
  await waitForLine(lines, /event=ingest-refused status=429 stream=fast /, 2000);
  lineOf(lines, "ingest-refused", /status=413 stream=big /);
});

Deno.test("an address whose 401 line was folded into another's second gets its own at its next try", async () => {
  // The logger as liveplot runs it: repeats of one event within a second fold into a summary.
  const { log, lines } = captureLog({ fold: true });
  await using server = await startTestServer({ trustProxy: true, token: TOKEN }, { log });
  const port = Number(server.url.port);
  const logged = (address: string) =>
    lines.some((line) =>
      line.includes("event=ingest-unauthorized ") && line.includes(`remote=${address} `)
    );
  assert.equal(await pushFrom(port, "198.51.100.7", "wrong-token"), 401);
  assert.equal(await pushFrom(port, "198.51.100.8", "wrong-token"), 401);
  assert.ok(logged("198.51.100.7") && !logged("198.51.100.8"), "folded within the second");
  // Not marked as logged: once the fold is over, its next try is written.
  await retryUntilLogged(port, "198.51.100.8", () => logged("198.51.100.8"));
  // A client on the proxy's own machine is still a forwarded one: via= says so.
  await retryUntilLogged(
    port,
    "127.0.0.1",
    () =>
      lines.some((line) =>
        /ingest-unauthorized remote=127\.0\.0\.1 via=127\.0\.0\.1:\d+ /.test(line)
      ),
  );
});

/** Pushes with a wrong token from `forwardedFor` until `logged()`, for at most 10 s. */
async function retryUntilLogged(port: number, forwardedFor: string, logged: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!logged() && Date.now() < deadline) {
    assert.equal(await pushFrom(port, forwardedFor, "wrong-token"), 401);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(logged(), `no line for ${forwardedFor}`);
}
