import assert from "node:assert/strict";
import { DEFAULTS } from "../config.ts";
import { createHandler } from "../handlers/router.ts";
import { Connections, OPEN_TIMEOUT_MS } from "../handlers/websocket.ts";
import {
  captureLog,
  closeSocket,
  nextMessage,
  openSocket,
  record,
  socketUrl,
  spawnCli,
  startTestServer,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";
import { closeOutcome, openRawSocket, rawExchange, upgradeHeaders } from "./raw_socket.ts";

const encoder = new TextEncoder();

/** Proves the server still answers plain HTTP and echoes on a fresh socket. */
async function assertServing(url: URL): Promise<void> {
  const response = await withTimeout(fetch(new URL("/test", url)), 3000, "GET /test");
  assert.equal(await response.text(), "Yes this is a test!");
  const socket = await openSocket(socketUrl(url, "/echo"));
  socket.send("ping?");
  assert.equal(await nextMessage(socket), "ping?");
  await closeSocket(socket);
}

Deno.test("a peer that does not answer pings is closed; one that answers stays", async () => {
  await using server = await startTestServer({ pingIntervalSeconds: 1 });
  const healthy = await openSocket(socketUrl(server.url, "/echo"));
  using silent = await openRawSocket(Number(server.url.port), "/echo");
  const started = Date.now();
  const outcome = await closeOutcome(silent, 5000);
  assert.equal(outcome.kind, "close", `closed with a close frame, not ${outcome.kind}`);
  assert.ok(outcome.kind === "close" && outcome.frames >= 1, "it was pinged first");
  assert.equal(outcome.kind === "close" && outcome.code, 1001);
  assert.ok(Date.now() - started < 4000);
  // It never answers the close either: the connection is then reset, freeing its slot.
  await waitFor(() => server.connections.size === 1, 3000, "the silent peer's slot to be freed");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(healthy.readyState, WebSocket.OPEN, "a peer that answers pings stays open");
  healthy.send("still here");
  assert.equal(await nextMessage(healthy), "still here");
  await closeSocket(healthy);
});

Deno.test("a message over --max-message is refused with 1009 as Deno hands it over; over 64 MiB Deno drops it", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ pingIntervalSeconds: 0 }, { log });
  const port = Number(server.url.port);
  {
    using raw = await openRawSocket(port, "/echo");
    await raw.send(2, new Uint8Array(2 * 1024 * 1024)).catch(() => {});
    const outcome = await closeOutcome(raw, 10_000);
    assert.deepEqual(outcome.kind === "close" && outcome.code, 1009, JSON.stringify(outcome));
  }
  const refused = lines.filter((line) => line.includes("event=message-refused"));
  assert.equal(refused.length, 1);
  assert.match(refused[0]!, /limit=1048576 path=\/echo remote=127\.0\.0\.1:\d+$/);
  {
    // A header announcing 1 GiB: over Deno's own 64 MiB, so Deno ends the connection itself
    // before any payload is read, and liveplot never sees the message (docs/transport.md).
    using raw = await openRawSocket(port, "/echo");
    const header = new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    await raw.connection.write(header);
    const outcome = await closeOutcome(raw, 5000);
    assert.notEqual(outcome.kind, "timeout", JSON.stringify(outcome));
  }
  await waitFor(() => server.connections.size === 0, 5000, "both slots freed");
  await assertServing(server.url);
});

Deno.test("bad frames close only their own connection, with one log line each", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({}, { log });
  const port = Number(server.url.port);
  const bystander = await openSocket(socketUrl(server.url, "/echo"));
  const badFrames: [string, number, Uint8Array, { fin?: boolean }][] = [
    ["invalid UTF-8 in a text frame", 1, new Uint8Array([0xff, 0xfe]), {}],
    ["a reserved opcode", 3, new Uint8Array([1]), {}],
    ["a control frame over 125 bytes", 9, new Uint8Array(200), {}],
    ["a fragmented control frame", 9, new Uint8Array(2), { fin: false }],
    ["a continuation with nothing to continue", 0, new Uint8Array(2), {}],
  ];
  for (const [name, opcode, payload, options] of badFrames) {
    using raw = await openRawSocket(port, "/echo");
    await raw.send(opcode, payload, options);
    const outcome = await closeOutcome(raw, 5000);
    // Deno 2.9.6 fails the connection as RFC 6455 §7.1.7 allows: it drops it, no close frame.
    assert.equal(outcome.kind, "eof", `${name}: ${JSON.stringify(outcome)}`);
    bystander.send(name);
    assert.equal(await nextMessage(bystander), name, `the bystander after ${name}`);
  }
  await waitFor(
    () =>
      lines.filter((line) => line.includes("event=websocket-error")).length === badFrames.length,
    5000,
    "one websocket-error line per bad frame",
  );
  await waitFor(() => server.connections.size === 1, 5000, "only the bystander to be counted");
  await closeSocket(bystander);
});

Deno.test("a peer gone without a close frame is logged at debug; a bad frame still warns", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({}, { log });
  const port = Number(server.url.port);
  const lost = () => lines.filter((line) => line.includes("event=websocket-lost"));
  {
    using raw = await openRawSocket(port, "/echo");
    // An echo proves the server's side is open before the connection goes.
    await raw.send(1, encoder.encode("here"));
    await raw.readUntilClose(5000, (text) => text === "here");
  } // Disposed: the TCP connection ends without a close frame, as a shut lid's would.
  await waitFor(() => lost().length === 1, 5000, "the websocket-lost line");
  assert.match(
    lost()[0]!,
    /^level=debug event=websocket-lost path=\/echo remote=127\.0\.0\.1:\d+ /,
  );
  await waitFor(() => server.connections.size === 0, 5000, "the vanished peer's slot freed");
  assert.deepEqual(lines.filter((line) => line.startsWith("level=warn")), []);
  {
    using raw = await openRawSocket(port, "/echo");
    await raw.send(1, new Uint8Array([0xff, 0xfe]));
    assert.notEqual((await closeOutcome(raw, 5000)).kind, "timeout");
  }
  assert.match(
    await waitForLine(
      lines,
      /^level=warn event=websocket-error /,
      5000,
      "the bad frame's websocket-error line",
    ),
    /remote=127\.0\.0\.1:/,
  );
});

Deno.test("garbage, an endless request line and slow headers do not stop the server", async () => {
  await using server = await startTestServer();
  const port = Number(server.url.port);
  const garbage = crypto.getRandomValues(new Uint8Array(4096));
  const answer = await rawExchange(port, garbage, 3000);
  assert.ok(answer === "" || answer.startsWith("HTTP/1.1 400"), `garbage: ${answer.slice(0, 40)}`);

  const endless = await rawExchange(port, `GET /${"a".repeat(1024 * 1024)}`, 5000);
  assert.ok(
    endless === "" || /^HTTP\/1\.1 4\d\d/.test(endless),
    `endless: ${endless.slice(0, 40)}`,
  );

  // Slowloris: 200 connections dribbling a header byte every 100 ms.
  const slow = await Promise.all(
    Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  const request = encoder.encode("GET /test HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  let dribbling = true;
  const dribble = (async () => {
    for (let i = 0; dribbling && i < request.length; i++) {
      await Promise.all(slow.map((connection) => connection.write(request.subarray(i, i + 1))));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  for (let i = 0; i < 5; i++) await assertServing(server.url);
  dribbling = false;
  await dribble.catch(() => {});
  for (const connection of slow) connection.close();
  await assertServing(server.url);
});

Deno.test("viewers that vanish mid-stream are forgotten and the others keep receiving", async () => {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  await using server = await startTestServer(
    { source: { kind: "stdin" }, x: { kind: "index" } },
    { input: pipe.readable },
  );
  const writer = pipe.writable.getWriter();
  const steady = new WebSocket(socketUrl(server.url, "/data"));
  const { messages } = record(steady);
  await new Promise((resolve) => steady.addEventListener("open", resolve, { once: true }));
  const port = Number(server.url.port);
  for (let round = 0; round < 5; round++) {
    const vanishing = await Promise.all(
      Array.from({ length: 20 }, () => openRawSocket(port, "/data")),
    );
    await writer.write(encoder.encode(`${round}\n`));
    // Gone without a close frame, as a laptop lid closing.
    for (const raw of vanishing) raw.connection.close();
    await writer.write(encoder.encode(`${round}\n`));
  }
  await waitFor(() => server.hub?.viewerCount === 1, 10_000, "only the steady viewer to remain");
  await writer.write(encoder.encode("99\n"));
  await waitFor(
    () => messages.some((message) => typeof message === "string" && message.includes(" 99\n")),
    5000,
    "the steady viewer's next point",
  );
  await closeSocket(steady);
  await writer.close();
});

Deno.test("2,000 clients arriving at once are all served", async () => {
  await using server = await startTestServer();
  const sockets = await Promise.all(
    Array.from({ length: 2000 }, () => openSocket(socketUrl(server.url, "/echo"), 20_000)),
  );
  assert.equal(server.connections.size, 2000);
  const echoes = await Promise.all(sockets.map((socket, i) => {
    const echoed = nextMessage(socket, 20_000);
    socket.send(`client ${i}`);
    return echoed;
  }));
  echoes.forEach((echo, i) => assert.equal(echo, `client ${i}`));
  await assertServing(server.url);
  await Promise.all(sockets.map((socket) => closeSocket(socket, 20_000)));
});

Deno.test("an unexpected error is logged with the request and answered 500 with security headers", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer();
  const config = { ...DEFAULTS, maxClients: 10, maxMessageBytes: 1024 };
  const handler = createHandler({
    config,
    connections: new Connections(config, log),
    streams: server.streams,
    log,
  });
  const request = new Request("http://127.0.0.1:8000/echo?token=read-secret", {
    headers: upgradeHeaders(),
  });
  Object.defineProperty(request.headers, "get", {
    value: () => {
      throw new Error("header store broke");
    },
  });
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 4321 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
  const response = await handler(request, info);
  assert.equal(response.status, 500);
  assert.equal(await response.text(), "Internal server error\n");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? "",
    /^level=error event=request-failed method=GET path=\/echo remote=127\.0\.0\.1:4321 error=".*header store broke/,
  );
  assert.ok(!lines[0]!.includes("read-secret"), "no token in the log");
});

Deno.test("after all of that the CLI process is alive and logged no error", async () => {
  const cli = spawnCli(["--port", "0", "--no-open"]);
  const url = await cli.url;
  const port = Number(url.port);
  await rawExchange(port, crypto.getRandomValues(new Uint8Array(1024)), 1000);
  await rawExchange(port, "GET /test HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 1000);
  for (const opcode of [1, 3]) {
    using raw = await openRawSocket(port, "/echo");
    await raw.send(opcode, new Uint8Array([0xff]));
    assert.notEqual((await closeOutcome(raw, 3000)).kind, "timeout");
  }
  using vanishing = await openRawSocket(port, "/data");
  vanishing.connection.close();
  await assertServing(url);
  assert.equal((await cli.stop()).code, 0);
  const errors = cli.stderr.filter((line) =>
    line.startsWith("level=error") || /Uncaught|panicked/.test(line)
  );
  assert.deepEqual(errors, []);
});

Deno.test("a client gone during its route's first upgrade gives its slot back", async () => {
  // One slot: held for good by a socket Deno never opens (the module was loading) before.
  const cli = spawnCli(["--port", "0", "--no-open", "--max-clients", "1"]);
  const url = await cli.url;
  const port = Number(url.port);
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = Object.entries({ host: `127.0.0.1:${port}`, ...upgradeHeaders() })
    .map(([name, value]) => `${name}: ${value}\r\n`).join("");
  await connection.write(encoder.encode(`GET /echo HTTP/1.1\r\n${head}\r\n`));
  connection.close();
  await waitFor(
    async () => {
      const socket = new WebSocket(socketUrl(url, "/echo"));
      const opened = await new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => resolve(false);
      });
      if (opened) await closeSocket(socket);
      return opened;
    },
    OPEN_TIMEOUT_MS + 10_000,
    "an /echo client served",
  );
  assert.equal((await cli.stop()).code, 0);
});
