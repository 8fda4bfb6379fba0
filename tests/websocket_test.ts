import assert from "node:assert/strict";
import {
  captureLog,
  closeSocket,
  nextMessage,
  openSocket,
  record,
  socketUrl,
  startTestServer,
  waitFor,
  withTimeout,
} from "./helpers.ts";
import { rawExchange, upgradeHeaders } from "./raw_socket.ts";
import { exceedsBytes } from "../handlers/message_size.ts";
import type { Client } from "../handlers/policy.ts";
import { Connections } from "../handlers/websocket.ts";
import { DEFAULTS } from "../config.ts";

/** A client on loopback, as the router would identify it, for `Connections` used alone. */
const LOOPBACK_CLIENT: Client = { address: "127.0.0.1", remote: "127.0.0.1:1" };

function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = "GET",
): Promise<string> {
  const lines = Object.entries({ host: `127.0.0.1:${port}`, ...headers })
    .map(([name, value]) => `${name}: ${value}`);
  return rawExchange(port, `${method} ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

Deno.test("WebSocket /data sends 100 lines '0 i y' in order, then closes with 1000", async () => {
  await using server = await startTestServer();
  const socket = new WebSocket(socketUrl(server.url, "/data"));
  const { closed } = record(socket);
  const { messages, code } = await withTimeout(closed, 5000, "the demo stream to close");
  assert.equal(code, 1000);
  assert.ok(messages.length < 100, `lines are batched: ${messages.length} frames`);
  const text = messages.join("");
  assert.ok(text.endsWith("\n"));
  const lines = text.split("\n").slice(0, -1);
  assert.equal(lines.length, 100);
  lines.forEach((line, i) => {
    const [series, x, y, ...extra] = line.split(" ");
    assert.equal(series, "0");
    assert.equal(x, String(i));
    assert.equal(extra.length, 0);
    const value = Number(y);
    assert.ok(value >= 0 && value < 1, `y=${y} is in [0, 1)`);
  });
});

Deno.test("each demo connection gets its own random numbers", async () => {
  await using server = await startTestServer();
  const first = record(new WebSocket(socketUrl(server.url, "/data")));
  const second = record(new WebSocket(socketUrl(server.url, "/data")));
  const [a, b] = await withTimeout(Promise.all([first.closed, second.closed]), 5000, "two demos");
  assert.notEqual(a.messages.join(""), b.messages.join(""));
});

Deno.test("WebSocket /echo returns text as text and binary as binary, many in a row", async () => {
  await using server = await startTestServer();
  const socket = await openSocket(socketUrl(server.url, "/echo"));
  const { messages } = record(socket);
  const sent: (string | Uint8Array)[] = [];
  for (let i = 0; i < 200; i++) {
    const message = i % 2 === 0 ? `message ${i} ✓` : new Uint8Array([i, 0, 255, i]);
    sent.push(message);
    socket.send(message);
  }
  await withTimeout(
    (async () => {
      while (messages.length < sent.length) await new Promise((r) => setTimeout(r, 5));
    })(),
    5000,
    "200 echoes",
  );
  sent.forEach((message, i) => {
    const echoed = messages[i];
    if (typeof message === "string") assert.equal(echoed, message);
    else {
      assert.ok(echoed instanceof ArrayBuffer, `echo ${i} is binary`);
      assert.deepEqual(new Uint8Array(echoed), message);
    }
  });
  await closeSocket(socket);
});

Deno.test("text frames of every header size come back whole: 7-, 16- and 64-bit lengths, UTF-8", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1 << 20 });
  const socket = await openSocket(socketUrl(server.url, "/echo"));
  const { messages } = record(socket);
  // Byte lengths at each edge of the frame header's length forms, some in 2- and 3-byte characters.
  const sent = [
    "a".repeat(125),
    "a".repeat(126),
    "é".repeat(32_767) + "a",
    "a".repeat(65_536),
    "✓".repeat(100_000),
    "",
  ];
  for (const message of sent) socket.send(message);
  await waitFor(() => messages.length === sent.length, 5000, "every echo");
  assert.deepEqual(messages, sent);
  await closeSocket(socket);
});

Deno.test("an upgrade without Sec-WebSocket-Key answers 400", async () => {
  await using server = await startTestServer();
  const port = Number(server.url.port);
  const missing = await rawUpgrade(port, "/echo", upgradeHeaders({ "sec-websocket-key": "" }));
  assert.equal(statusOf(missing), 400);
  const malformed = await rawUpgrade(
    port,
    "/echo",
    upgradeHeaders({ "sec-websocket-key": "not-base64-of-16-bytes" }),
  );
  assert.equal(statusOf(malformed), 400);
  assert.match(malformed, /Sec-WebSocket-Key/);
});

Deno.test("an upgrade with an unsupported version answers 426 naming version 13", async () => {
  await using server = await startTestServer();
  const answer = await rawUpgrade(
    Number(server.url.port),
    "/data",
    upgradeHeaders({ "sec-websocket-version": "8" }),
  );
  assert.equal(statusOf(answer), 426);
  assert.match(answer, /sec-websocket-version: 13/i);
});

Deno.test("a non-GET upgrade answers 405 with Allow listing what the route allows", async () => {
  await using server = await startTestServer();
  const port = Number(server.url.port);
  const echo = await rawUpgrade(port, "/echo", upgradeHeaders(), "POST");
  assert.equal(statusOf(echo), 405);
  assert.match(echo, /\r\nallow: GET\r\n/i);
  assert.match(echo, /x-content-type-options: nosniff/i);
  const data = await rawUpgrade(port, "/data", upgradeHeaders(), "PUT");
  assert.equal(statusOf(data), 405);
  assert.match(data, /\r\nallow: GET, HEAD\r\n/i);
});

Deno.test("a valid raw upgrade answers 101 with the right accept key", async () => {
  await using server = await startTestServer();
  const answer = await rawUpgrade(Number(server.url.port), "/echo", upgradeHeaders());
  assert.equal(statusOf(answer), 101);
  // RFC 6455's own example key and answer.
  assert.match(answer, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
});

Deno.test("an upgrade from another origin answers 403 before upgrading; no Origin is allowed", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({}, { log });
  const port = Number(server.url.port);
  const foreign = await rawUpgrade(
    port,
    "/data",
    upgradeHeaders({ origin: "http://evil.example" }),
  );
  assert.equal(statusOf(foreign), 403);
  assert.ok(
    lines.some((line) =>
      line.includes("event=upgrade-refused") && line.includes("status=403") &&
      line.includes("remote=127.0.0.1:")
    ),
    lines.join("\n"),
  );
  const rebound = await rawUpgrade(
    port,
    "/data",
    upgradeHeaders({ host: `rebound.example:${port}`, origin: `http://rebound.example:${port}` }),
  );
  // A loopback listener answers no other host name at all (host_test.ts): 421, not an upgrade.
  assert.equal(statusOf(rebound), 421, "a DNS-rebound host is not the server's own");
  const own = await rawUpgrade(port, "/echo", upgradeHeaders({ origin: server.url.origin }));
  assert.equal(statusOf(own), 101);
  const none = await rawUpgrade(port, "/echo", upgradeHeaders());
  assert.equal(statusOf(none), 101);
});

Deno.test("--origin allows listed origins and '*' allows all", async () => {
  await using listed = await startTestServer({ origins: ["http://allowed.example:9000"] });
  const port = Number(listed.url.port);
  const ok = await rawUpgrade(
    port,
    "/echo",
    upgradeHeaders({ origin: "http://allowed.example:9000" }),
  );
  assert.equal(statusOf(ok), 101);
  const other = await rawUpgrade(port, "/echo", upgradeHeaders({ origin: "http://other.example" }));
  assert.equal(statusOf(other), 403);

  const { log, lines } = captureLog();
  await using open = await startTestServer({ origins: ["*"] }, { log });
  const any = await rawUpgrade(
    Number(open.url.port),
    "/echo",
    upgradeHeaders({ origin: "http://other.example" }),
  );
  assert.equal(statusOf(any), 101);
  assert.ok(lines.some((line) => line.includes("event=origin-check-disabled")));
});

Deno.test("a message over --max-message closes with 1009 and others keep echoing", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  const bystander = await openSocket(socketUrl(server.url, "/echo"));
  const socket = await openSocket(socketUrl(server.url, "/echo"));
  const { messages, closed } = record(socket);
  socket.send("x".repeat(1024));
  assert.equal(await nextMessage(socket), "x".repeat(1024), "a message at the limit is echoed");
  socket.send(new Uint8Array(1025));
  const { code } = await withTimeout(closed, 5000, "the close after an oversized message");
  assert.equal(code, 1009);
  assert.equal(messages.length, 1, "the oversized message was not echoed");
  bystander.send("still here");
  assert.equal(await nextMessage(bystander), "still here");
  await closeSocket(bystander);
});

Deno.test("--max-message counts a text message in UTF-8 bytes, not UTF-16 units", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  const socket = await openSocket(socketUrl(server.url, "/echo"));
  const { messages, closed } = record(socket);
  // "é" is one UTF-16 unit and two UTF-8 bytes: 512 of them are 1,024 bytes, at the limit.
  socket.send("é".repeat(512));
  assert.equal(await nextMessage(socket), "é".repeat(512), "1,024 bytes are echoed");
  // 1,026 bytes in 513 units: over the limit, though its length is half of it.
  socket.send("é".repeat(513));
  const { code } = await withTimeout(closed, 5000, "the close after 1,026 bytes of text");
  assert.equal(code, 1009);
  assert.equal(messages.length, 1, "the oversized message was not echoed");
});

Deno.test("a message's size is its UTF-8 bytes, for --max-message and /echo's --max-queue alike", () => {
  // One, two, three and four (a surrogate pair: two units) bytes a character.
  for (const [character, bytes] of [["x", 1], ["é", 2], ["€", 3], ["😀", 4]] as const) {
    const text = character.repeat(300);
    assert.equal(exceedsBytes(text, 300 * bytes), false, `${character} at ${300 * bytes} bytes`);
    assert.equal(exceedsBytes(text, 300 * bytes - 1), true, `${character} over by one byte`);
  }
  assert.equal(exceedsBytes(new ArrayBuffer(10), 10), false);
  assert.equal(exceedsBytes(new ArrayBuffer(11), 10), true);
  assert.equal(exceedsBytes(new Blob(["€"]), 2), true);
  // /echo asks with what room its queue has left, which may be none.
  assert.equal(exceedsBytes("", -1), true);
});

Deno.test("over --max-clients upgrades get 503 with Retry-After; plain HTTP keeps working", async () => {
  await using server = await startTestServer({ maxClients: 2 });
  const sockets = [
    await openSocket(socketUrl(server.url, "/echo")),
    await openSocket(socketUrl(server.url, "/echo")),
  ];
  const answer = await rawUpgrade(Number(server.url.port), "/echo", upgradeHeaders());
  assert.equal(statusOf(answer), 503);
  assert.match(answer, /retry-after: \d+/i);
  const page = await fetch(new URL("/test", server.url));
  assert.equal(await page.text(), "Yes this is a test!");
  await closeSocket(sockets[0] as WebSocket);
  const again = await openSocket(socketUrl(server.url, "/echo"));
  await closeSocket(again);
  await closeSocket(sockets[1] as WebSocket);
});

Deno.test("shutdown closes open WebSockets with 1001", async () => {
  const server = await startTestServer();
  const socket = await openSocket(socketUrl(server.url, "/echo"));
  const { closed } = record(socket);
  await server.shutdown();
  const { code } = await withTimeout(closed, 5000, "the close on shutdown");
  assert.equal(code, 1001);
});

Deno.test("shutdown closes with 1001 a socket still opening, once it opens, and takes no new one", async () => {
  const { log } = captureLog();
  const connections = new Connections({ ...DEFAULTS, origins: [], hostname: "127.0.0.1" }, log);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const { response } = connections.accept(request, LOOPBACK_CLIENT, "/echo");
      // The server side opens after this answer: shutdown comes between the two.
      connections.closeAll(1001, "Server shutting down");
      return response;
    },
  );
  const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/echo`);
  const { closed } = record(socket);
  const { code, reason } = await withTimeout(closed, 5000, "the close of a socket still opening");
  assert.equal(code, 1001);
  assert.equal(reason, "Server shutting down");
  // From then on, upgrades are refused while the listener stops.
  const upgrade = new Request(`http://127.0.0.1:${server.addr.port}/echo`, {
    headers: upgradeHeaders(),
  });
  const refusal = connections.check(upgrade, LOOPBACK_CLIENT);
  assert.equal(refusal?.status, 503);
  assert.equal(refusal?.reason, "Server shutting down");
});

Deno.test("messages sent the moment a socket opens are echoed, none lost, by 200 clients at once", async () => {
  await using server = await startTestServer();
  const url = socketUrl(server.url, "/echo");
  const sockets = Array.from({ length: 200 }, () => new WebSocket(url));
  const echoes = sockets.map((socket, i) =>
    withTimeout(
      new Promise<unknown>((resolve) => {
        socket.onopen = () => socket.send(`first ${i}`);
        socket.onmessage = (event) => resolve(event.data);
      }),
      15_000,
      `the first echo of client ${i}`,
    )
  );
  const received = await Promise.all(echoes);
  received.forEach((data, i) => assert.equal(data, `first ${i}`));
  await Promise.all(sockets.map((socket) => closeSocket(socket, 15_000)));
});

Deno.test("Deno's WebSocket copies what it sends: one buffer serves every binary frame", async () => {
  const serverSide = Promise.withResolvers<WebSocket>();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () => serverSide.resolve(socket);
    return response;
  });
  const client = await openSocket(`ws://127.0.0.1:${server.addr.port}/`);
  const received: Uint8Array[] = [];
  client.onmessage = (event) => received.push(new Uint8Array(event.data as ArrayBuffer));
  const socket = await withTimeout(serverSide.promise, 5000, "the server side to open");
  // One buffer, written over after each send, in one turn: before any frame reaches the wire.
  const frame = new Uint8Array(64 * 1024);
  for (let round = 0; round < 20; round++) socket.send(frame.fill(round));
  await waitFor(() => received.length === 20, 5000, "20 frames");
  received.forEach((bytes, round) => {
    assert.equal(bytes.length, frame.length);
    assert.ok(bytes.every((byte) => byte === round), `frame ${round} holds what was sent`);
  });
  await closeSocket(client);
});
