/**
 * docs/deploy/nginx.conf, run for real: Debian's nginx in front of liveplot,
 * both on free loopback ports, with the configuration's timeouts shortened and
 * its placeholder server_name replaced, as an operator replaces it, by the
 * names the test uses. It does what `Deno.serve` cannot (docs/transport.md):
 * cuts clients that dribble their headers, drops viewers that stop reading
 * (and liveplot gets the slot back), and overwrites the forwarding headers a
 * client sends; and it answers no Host but those names, which liveplot behind
 * `--trust-proxy` leaves to it (DNS rebinding, docs/security.md).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  captureLog,
  closeSocket,
  dataLines,
  openSocket,
  record,
  ROOT,
  startTestServer,
  waitFor,
  withTimeout,
} from "./helpers.ts";
import { openRawSocket, upgradeHeaders } from "./raw_socket.ts";
import { waitForPort } from "./services.ts";

const NGINX = "/usr/sbin/nginx";
const CONFIG = `${ROOT}docs/deploy/nginx.conf`;
const encoder = new TextEncoder();
/** The push token of the liveplot behind nginx. */
const PUSH_TOKEN = "nginx-test-push-token";
/** The names the test's nginx serves: its `server_name`. */
const NAMES = ["127.0.0.1", "localhost"];

/** A running nginx proxying to liveplot. */
interface Proxy extends AsyncDisposable {
  port: number;
  url: URL;
  /** nginx's error log so far. */
  errors(): Promise<string>;
  /** nginx's access log so far. */
  accesses(): Promise<string>;
  /** Reloads its configuration (SIGHUP to the master): new workers, the old ones wind down. */
  reload(): void;
}

/**
 * Replaces `from` with `to` on the one line of `text` that is `from` (indentation and a
 * trailing comment aside), failing unless exactly one line is.
 */
function substitute(text: string, from: string, to: string): string {
  const lines = text.split("\n");
  const found = lines.flatMap((line, index) =>
    line.replace(/#.*/, "").trim() === from ? [index] : []
  );
  assert.equal(found.length, 1, `docs/deploy/nginx.conf has one line "${from}"`);
  const index = found[0] as number;
  lines[index] = (lines[index] as string).replace(from, to);
  return lines.join("\n");
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts nginx with docs/deploy/nginx.conf in front of liveplot on `upstreamPort`. */
async function startProxy(upstreamPort: number): Promise<Proxy> {
  const found = await Deno.stat(NGINX).then(() => true, () => false);
  // CI installs it (.ci/run); a missing nginx fails here, it never skips.
  assert.ok(found, `${NGINX} not found: install Debian's nginx-light to run this test`);
  const prefix = await Deno.makeTempDir({ prefix: "liveplot-nginx-" });
  const port = freePort();
  let config = await Deno.readTextFile(CONFIG);
  config = substitute(
    config,
    "listen 80 default_server;",
    `listen 127.0.0.1:${port} default_server;`,
  );
  config = substitute(config, "listen 80;", `listen 127.0.0.1:${port};`);
  // The names this test reaches nginx by, where an operator puts the site's name.
  config = substitute(config, "server_name plot.example.com;", `server_name ${NAMES.join(" ")};`);
  config = substitute(config, "server 127.0.0.1:8080;", `server 127.0.0.1:${upstreamPort};`);
  // Timeouts a test can wait for.
  config = substitute(config, "client_header_timeout 10s;", "client_header_timeout 1s;");
  config = substitute(config, "client_body_timeout 10s;", "client_body_timeout 1s;");
  config = substitute(config, "send_timeout 30s;", "send_timeout 2s;");
  config = substitute(config, "worker_shutdown_timeout 30s;", "worker_shutdown_timeout 1s;");
  config = substitute(
    config,
    "access_log /var/log/nginx/access.log no_query;",
    `access_log ${prefix}/access.log no_query;`,
  );
  config = substitute(
    config,
    "http {",
    `http {\n    client_body_temp_path ${prefix}/body;\n    proxy_temp_path ${prefix}/proxy;`,
  );
  config = `error_log ${prefix}/error.log info;\n${config}`;
  await Deno.writeTextFile(`${prefix}/nginx.conf`, config);
  const process = new Deno.Command(NGINX, {
    args: [
      ...["-p", `${prefix}/`, "-c", `${prefix}/nginx.conf`, "-e", `${prefix}/error.log`],
      ...["-g", `daemon off; pid ${prefix}/nginx.pid;`],
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errors = () => Deno.readTextFile(`${prefix}/error.log`).catch(() => "");
  const accesses = () => Deno.readTextFile(`${prefix}/access.log`).catch(() => "");
  const stop = async () => {
    try {
      process.kill("SIGTERM");
    } catch {
      // Exited already.
    }
    await withTimeout(process.output(), 10_000, "nginx to exit");
    await Deno.remove(prefix, { recursive: true });
  };
  try {
    await waitForPort(port, 10_000, `nginx to listen on ${port} (${prefix}/error.log)`);
  } catch (error) {
    const log = await errors();
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  const url = new URL(`http://127.0.0.1:${port}/`);
  const reload = () => process.kill("SIGHUP");
  return { port, url, errors, accesses, reload, [Symbol.asyncDispose]: stop };
}

/**
 * Sends a raw request and reads until nginx closes the connection, or with `untilHead` until it has
 * sent a status line and headers: "" when it closed without a byte (nginx's 444).
 */
async function exchange(port: number, request: string, untilHead = false): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  try {
    await connection.write(encoder.encode(request));
    return await withTimeout(
      (async () => {
        try {
          while (!untilHead || !text.includes("\r\n\r\n")) {
            const read = await connection.read(buffer);
            if (read === null) break;
            text += decoder.decode(buffer.subarray(0, read), { stream: true });
          }
        } catch (error) {
          // A reset is a close too.
          if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
        }
        return text;
      })(),
      5000,
      `nginx to close or answer "${request.split("\r\n")[0]}"`,
    );
  } finally {
    connection.close();
  }
}

/** A raw request for `path` with `headers`, one per line. */
function rawRequest(path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return `GET ${path} HTTP/1.1\r\n${lines}\r\n`;
}

/** A liveplot reading "standard input" from a pipe the test writes to, behind --trust-proxy. */
async function startLiveplot(overrides: Parameters<typeof startTestServer>[0] = {}) {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const { log, lines } = captureLog();
  const server = await startTestServer(
    { source: { kind: "stdin" }, x: { kind: "index" }, trustProxy: true, ...overrides },
    { input: pipe.readable, log },
  );
  const writer = pipe.writable.getWriter();
  return {
    server,
    lines,
    write: (text: string) => writer.write(encoder.encode(text)),
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      await server.shutdown();
    },
  };
}

Deno.test("through nginx the page and /data work, and a client cannot pick its address", async () => {
  await using live = await startLiveplot({ maxClientsPerAddress: 1, token: PUSH_TOKEN });
  await using proxy = await startProxy(Number(live.server.url.port));
  const page = await fetch(proxy.url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");

  const viewer = await openSocket(new URL("/data", proxy.url).href.replace(/^http/, "ws"));
  const { messages } = record(viewer);
  await live.write("1\n2\n3\n");
  await waitFor(() => dataLines(messages).length >= 3, 10_000, "three points through nginx");
  assert.deepEqual(dataLines(messages).slice(-3).map((line) => line.split(" ")[2]), [
    "1",
    "2",
    "3",
  ]);

  // Both claim to be 203.0.113.5; nginx overwrites the claim with the address it saw
  // (loopback, exempt from --max-clients-per-ip), so both are let in.
  const claim = { "x-forwarded-for": "203.0.113.5", forwarded: "for=203.0.113.5" };
  using _first = await openRawSocket(proxy.port, "/data", claim);
  using _second = await openRawSocket(proxy.port, "/data", claim);
  assert.equal(live.server.connections.countFor("203.0.113.5"), 0);
  await closeSocket(viewer);

  // A refused push of 4 MiB (a file sent with a stale token) comes back as its refusal, not
  // nginx's 502: liveplot reads it out before it answers, so the connection is not reset while
  // nginx is still sending.
  for (let i = 0; i < 3; i++) {
    const refused = await fetch(new URL("/s/pushed", proxy.url), {
      method: "POST",
      headers: { authorization: "Bearer wrong-token" },
      body: "1,2\n".repeat(1024 * 1024),
    });
    assert.equal(refused.status, 401, `try ${i}`);
    assert.match((await refused.json()).error, /Missing or wrong token/);
  }
  // Over --max-body (16 MiB by default): its 413 says to stream instead, through nginx too.
  const tooBig = await fetch(new URL("/s/pushed", proxy.url), {
    method: "POST",
    headers: { authorization: `Bearer ${PUSH_TOKEN}` },
    body: "1,2\n".repeat(5 * 1024 * 1024),
  });
  assert.equal(tooBig.status, 413);
  assert.match((await tooBig.json()).error, /stream it \(chunked\) instead/);

  // The access log names the path, never the query (the page's ?token=).
  await (await fetch(new URL("/test?token=read-secret", proxy.url))).body?.cancel();
  let logged = "";
  await withTimeout(
    (async () => {
      while (!(logged = await proxy.accesses()).includes("GET /test ")) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    5000,
    "nginx's access log line",
  );
  assert.ok(!logged.includes("read-secret"), logged);
});

Deno.test("nginx cuts a client that dribbles its headers within client_header_timeout", async () => {
  await using live = await startLiveplot();
  await using proxy = await startProxy(Number(live.server.url.port));
  const connection = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const started = Date.now();
  await connection.write(encoder.encode("GET /test HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  let open = true;
  // One header byte every 200 ms, for up to 20 s: the 1 s timeout must end it long before.
  const dribble = (async () => {
    for (let i = 0; open && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (open) await connection.write(encoder.encode("x")).catch(() => open = false);
    }
  })();
  const buffer = new Uint8Array(4096);
  const ended = await withTimeout(
    (async () => {
      try {
        while ((await connection.read(buffer)) !== null) { /* nginx's 408, if any */ }
      } catch {
        // Reset: ended too.
      }
      return Date.now() - started;
    })(),
    15_000,
    "nginx to cut the slow-headers client",
  );
  open = false;
  await dribble;
  connection.close();
  assert.ok(ended < 10_000, `cut after ${ended} ms`);
});

Deno.test("nginx drops a viewer that stops reading, and liveplot gets its slot back", async () => {
  await using live = await startLiveplot({ maxClients: 1 });
  await using proxy = await startProxy(Number(live.server.url.port));
  using _stalled = await openRawSocket(proxy.port, "/data");
  await waitFor(() => live.server.connections.size === 1, 5000, "the stalled viewer's slot");
  // Wide lines, so nginx's and the kernel's buffers toward the stalled viewer fill quickly.
  const line = `${"1234567.891 ".repeat(60)}\n`.repeat(100);
  await withTimeout(
    (async () => {
      while (live.server.connections.size > 0) {
        await live.write(line);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })(),
    30_000,
    "liveplot to see the stalled viewer's socket close",
  );
  assert.match(await proxy.errors(), /client timed out/, "nginx's send_timeout dropped it");
  const fresh = await openSocket(new URL("/data", proxy.url).href.replace(/^http/, "ws"));
  const { messages } = record(fresh);
  await live.write("42\n");
  await waitFor(() => dataLines(messages).some((l) => l.endsWith(" 42")), 10_000, "a new viewer");
  await closeSocket(fresh);
});

Deno.test("nginx closes a request for a Host it does not serve without an answer (444), GET or upgrade", async () => {
  await using live = await startLiveplot();
  await using proxy = await startProxy(Number(live.server.url.port));
  const viewer = await openSocket(new URL("/data", proxy.url).href.replace(/^http/, "ws"));
  const { messages } = record(viewer);
  await live.write("1\n2\n3\n");
  await waitFor(() => dataLines(messages).length >= 3, 10_000, "three points through nginx");
  await closeSocket(viewer);

  // The names it serves: the export with the points, and an upgrade from the page's origin.
  for (const name of NAMES) {
    const host = `${name}:${proxy.port}`;
    const csv = await exchange(proxy.port, rawRequest("/data.csv", { host, connection: "close" }));
    assert.match(csv, /^HTTP\/1\.1 200 /, `GET /data.csv with Host ${host}`);
    assert.match(csv, /\r\n0,1\r\n1,2\r\n2,3\r\n/, `the points in /data.csv with Host ${host}`);
    using _socket = await openRawSocket(proxy.port, "/data", { host, origin: `http://${host}` });
  }

  // A name DNS rebinding would send: the connection closes with nothing sent back.
  const evil = `evil.example:${proxy.port}`;
  for (const path of ["/data.csv", "/"]) {
    const answer = await exchange(proxy.port, rawRequest(path, { host: evil }), true);
    assert.equal(answer, "", `GET ${path} with Host ${evil}: no answer`);
  }
  const upgrade = await exchange(
    proxy.port,
    rawRequest("/data", upgradeHeaders({ host: evil, origin: `http://${evil}` })),
    true,
  );
  assert.equal(upgrade, "", `an upgrade with Host ${evil}: no answer`);
  // Without a Host (HTTP/1.0) it is the same.
  const hostless = await exchange(proxy.port, "GET /data.csv HTTP/1.0\r\n\r\n", true);
  assert.equal(hostless, "", "GET /data.csv without a Host: no answer");
  await waitFor(() => live.server.connections.size === 0, 5000, "the viewers' slots back");
});

Deno.test("after a reload nginx ends an old worker's WebSocket within worker_shutdown_timeout", async () => {
  await using live = await startLiveplot();
  await using proxy = await startProxy(Number(live.server.url.port));
  const viewer = await openSocket(new URL("/data", proxy.url).href.replace(/^http/, "ws"));
  const { messages, closed } = record(viewer);
  await live.write("1\n");
  await waitFor(() => dataLines(messages).length >= 1, 10_000, "a point through nginx");
  proxy.reload();
  // Without the timeout the old worker, and this socket, stay until the viewer leaves.
  await withTimeout(closed, 15_000, "the old worker to end the viewer's socket");
  const fresh = await openSocket(new URL("/data", proxy.url).href.replace(/^http/, "ws"));
  const after = record(fresh);
  await live.write("2\n");
  await waitFor(
    () => dataLines(after.messages).some((l) => l.endsWith(" 2")),
    10_000,
    "new workers",
  );
  await closeSocket(fresh);
});
