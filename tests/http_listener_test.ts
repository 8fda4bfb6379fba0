/**
 * The listener's fixed answers: routes whose answer never changes are written
 * from what the handler answered once at start, and must be byte for byte
 * what the `Request → Response` path writes. Each test listens twice on port
 * 0 with the same handler, once as it is and once without its fixed routes,
 * and compares the raw bytes of both answers (the `Date` line aside).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { type FetchHandler, type HttpListener, listenHttp } from "../handlers/http_listener.ts";
import {
  createHandler,
  type Handler,
  internalError,
  type RouterOptions,
} from "../handlers/router.ts";
import { Connections } from "../handlers/websocket.ts";
import type { Streams } from "../stream/registry.ts";
import { captureLog, startTestServer, withTimeout } from "./helpers.ts";

const TOKEN = "sekrit";

/** Requests whose answers are compared, beyond a plain GET and HEAD of each path. */
const VARIANTS: Record<string, string>[] = [
  {},
  { "if-none-match": "*" },
  { "if-none-match": '"not-this-one"' },
  { upgrade: "websocket" },
  { authorization: `Bearer ${TOKEN}` },
  { "accept-encoding": "gzip, br", accept: "application/json" },
  { "x-forwarded-proto": "https", "x-forwarded-host": "example.org", forwarded: "for=10.0.0.1" },
];

/** Paths asked for whatever the router declares fixed: pages, guarded or not, and neighbours. */
const EXTRA_PATHS = [
  "/",
  "/data",
  "/test?token=sekrit",
  "/?token=sekrit",
  "/static/../test",
  "/TEST",
  "/s/",
  "/s/main",
  "/nope",
];

/** Two listeners over one handler: `fast` as given, `slow` with no fixed routes. */
interface Pair extends AsyncDisposable {
  handler: Handler;
  fast: HttpListener;
  slow: HttpListener;
  /** Calls of the handler for requests (not the renders at start). */
  calls: string[];
}

async function listenPair(streams: Streams, options: Partial<RouterOptions>): Promise<Pair> {
  const { log } = captureLog();
  const policy = {
    origins: [],
    hostname: "127.0.0.1",
    maxClients: 10,
    maxMessageBytes: 1024,
    pingIntervalSeconds: 30,
    trustProxy: true,
  };
  const handler = await createHandler({
    policy,
    connections: new Connections(policy, log),
    streams,
    directory: { list: () => [] },
    log,
    ...options,
  });
  const calls: string[] = [];
  let started = false;
  const counted: FetchHandler = Object.assign((request: Request, info: Deno.ServeHandlerInfo) => {
    if (started) calls.push(`${request.method} ${new URL(request.url).pathname}`);
    return handler(request, info);
  }, { fixedRoutes: handler.fixedRoutes });
  const listen = { hostname: "127.0.0.1", port: 0, onError: () => internalError() };
  const fast = await listenHttp(listen, counted);
  const slow = await listenHttp(listen, (request, info) => handler(request, info));
  started = true;
  return {
    handler,
    fast,
    slow,
    calls,
    [Symbol.asyncDispose]: async () => {
      await Promise.all([fast.shutdown(), slow.shutdown()]);
    },
  };
}

/** Sends raw `request` bytes and reads until the server closes; `Date` lines are masked. */
async function exchange(port: number, request: string): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await connection.write(new TextEncoder().encode(request));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let text = "";
    const readAll = async () => {
      for (let read; (read = await connection.read(buffer)) !== null;) {
        text += decoder.decode(buffer.subarray(0, read), { stream: true });
      }
    };
    await withTimeout(readAll(), 5000, `the answer to ${JSON.stringify(request.slice(0, 60))}`);
    return text.replace(/^Date: .*\r\n/gim, "Date: (masked)\r\n");
  } finally {
    connection.close();
  }
}

/** GET, HEAD and GET again on one kept-alive connection, the last closing it. */
function pipelined(path: string, headers: Record<string, string>, host = "127.0.0.1"): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return ["GET", "HEAD", "GET"].map((method, i) =>
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${lines}${
      i === 2 ? "Connection: close\r\n" : ""
    }\r\n`
  ).join("");
}

/** Asserts that every variant of every path gets the same bytes from both listeners. */
async function assertSameAnswers(pair: Pair, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    for (const headers of VARIANTS) {
      const request = pipelined(path, headers);
      const fast = await exchange(pair.fast.addr.port, request);
      const slow = await exchange(pair.slow.addr.port, request);
      assert.match(slow, /^HTTP\/1\.1 \d{3} /, `an answer to ${path}`);
      assert.equal(fast, slow, `${path} with ${JSON.stringify(headers)}`);
    }
  }
}

function fixedPaths(handler: Handler): string[] {
  return handler.fixedRoutes.map((route) => route.path);
}

Deno.test("fixed answers of the demo are byte for byte the Request path's answers", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, {});
  const paths = fixedPaths(pair.handler);
  for (const path of ["/", "/data", "/test", "/static/app.js", "/static/favicon.svg"]) {
    assert.ok(paths.includes(path), `${path} is fixed`);
  }
  assert.ok(!paths.some((path) => path.startsWith("/s/") || path === "/echo"));
  await assertSameAnswers(pair, [...paths, ...EXTRA_PATHS]);
});

Deno.test("fixed answers of a live page are byte for byte the Request path's answers", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, {
    mainStream: "main",
    sourceName: "vmstat 1 & <friends>",
  });
  const paths = fixedPaths(pair.handler);
  assert.ok(paths.includes("/") && paths.includes("/data"));
  assert.ok(!paths.includes("/data.csv") && !paths.includes("/data/range"));
  assert.ok(!paths.some((path) => path.startsWith("/s/")));
  await assertSameAnswers(pair, [...paths, ...EXTRA_PATHS, "/s/main/data", "/data.csv"]);
});

Deno.test("with a read token the pages are not fixed and still answer 401 without it", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, { mainStream: "main", readToken: TOKEN });
  const paths = fixedPaths(pair.handler);
  assert.ok(!paths.includes("/") && !paths.includes("/data"));
  assert.ok(paths.includes("/test") && paths.includes("/static/app.js"));
  const page = await exchange(pair.fast.addr.port, pipelined("/", {}));
  assert.match(page, /^HTTP\/1\.1 401 /);
  await assertSameAnswers(pair, [...paths, ...EXTRA_PATHS]);
});

Deno.test("a fixed GET or HEAD is answered without calling the handler", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, {});
  await exchange(pair.fast.addr.port, pipelined("/test", {}));
  await exchange(pair.fast.addr.port, pipelined("/static/app.js?v=2", {}));
  await exchange(pair.fast.addr.port, pipelined("/", { accept: "text/html" }));
  assert.deepEqual(pair.calls, []);
});

Deno.test("what can change a fixed route's answer takes the Request path", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, {});
  const port = pair.fast.addr.port;
  await exchange(port, pipelined("/static/app.js", { "if-none-match": "*" }));
  await exchange(port, pipelined("/data", { upgrade: "websocket" }));
  await exchange(
    port,
    "POST /test HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
  );
  await exchange(port, pipelined("/s/", {}));
  assert.deepEqual(pair.calls, [
    ...["GET", "HEAD", "GET"].map((method) => `${method} /static/app.js`),
    ...["GET", "HEAD", "GET"].map((method) => `${method} /data`),
    "POST /test",
    ...["GET", "HEAD", "GET"].map((method) => `${method} /s/`),
  ]);
});

Deno.test("a fixed route with a bad Host header answers 400 as the Request path does", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, {});
  for (const host of ["a@b", "a b", "[::1", "x/y"]) {
    const request = pipelined("/test", {}, host);
    const fast = await exchange(pair.fast.addr.port, request);
    assert.match(fast, /^HTTP\/1\.1 400 /, `Host: ${host}`);
    assert.equal(fast, await exchange(pair.slow.addr.port, request), `Host: ${host}`);
  }
  assert.deepEqual(pair.calls, []);
});

/**
 * The answers as liveplot wrote them before fixed routes: each header of the
 * handler's `Response` set one by one, then the whole body. Independent of
 * the listener's writer, so a change there shows.
 */
async function listenReference(handler: Handler): Promise<AsyncDisposable & { port: number }> {
  const server = createServer(async (message, response) => {
    const method = message.method ?? "GET";
    const answer = await handler(new Request(`http://127.0.0.1${message.url}`, { method }), {
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
      completed: Promise.resolve(),
    });
    response.statusCode = answer.status;
    for (const [name, value] of answer.headers) response.setHeader(name, value);
    const body = new Uint8Array(await answer.arrayBuffer());
    if (method !== "HEAD") response.setHeader("content-length", String(body.byteLength));
    response.end(method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("fixed answers are what writing the handler's Response header by header gives", async () => {
  await using server = await startTestServer();
  await using pair = await listenPair(server.streams, { mainStream: "main" });
  await using reference = await listenReference(pair.handler);
  for (const path of fixedPaths(pair.handler)) {
    const request = pipelined(path, {});
    const fast = await exchange(pair.fast.addr.port, request);
    assert.match(fast, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(fast, await exchange(reference.port, request), path);
  }
  assert.deepEqual(pair.calls, []);
});
