/**
 * A soak client process: `ECHO` echo clients that send a numbered message
 * every 200 ms and check each comes back in order; `VIEWERS` viewers of
 * `/data` that check the stream's x values never skip; `CHAOS` slots that
 * keep connecting and misbehaving (vanishing mid-stream, invalid frames,
 * garbage bytes). Runs `SECONDS`, then prints one JSON line of counts.
 *
 * Usage: soak_clients.ts URL ECHO VIEWERS CHAOS SECONDS
 *
 * @module
 */

import { sleep } from "../lib/time.ts";

const [url = "", echoText = "0", viewersText = "0", chaosText = "0", secondsText = "60"] =
  Deno.args;
const base = new URL(url);
const port = Number(base.port);
const deadline = Date.now() + Number(secondsText) * 1000;

const counts = {
  echoSent: 0,
  echoReceived: 0,
  echoOutOfOrder: 0,
  viewerPoints: 0,
  viewerGaps: 0,
  viewerReductions: 0,
  viewerReducedGaps: 0,
  unexpectedCloses: {} as Record<string, number>,
  chaosConnections: 0,
  connectFailures: 0,
};

function socketUrl(path: string): string {
  return `ws://${base.host}${path}`;
}

function noteClose(code: number): void {
  if (Date.now() >= deadline - 500) return;
  counts.unexpectedCloses[code] = (counts.unexpectedCloses[code] ?? 0) + 1;
}

async function open(path: string): Promise<WebSocket> {
  const socket = new WebSocket(socketUrl(path));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("connect failed"));
  });
  return socket;
}

async function echoClient(): Promise<void> {
  const socket = await open("/echo");
  let next = 0;
  let expected = 0;
  socket.onmessage = (event) => {
    counts.echoReceived++;
    if (event.data !== `echo ${expected}`) counts.echoOutOfOrder++;
    expected++;
  };
  socket.onclose = (event) => noteClose(event.code);
  while (Date.now() < deadline - 1000) {
    socket.send(`echo ${next++}`);
    counts.echoSent++;
    await sleep(200);
  }
  // Let the last echoes come back before closing.
  await sleep(800);
  socket.close(1000);
}

async function viewer(): Promise<void> {
  const socket = await open("/data");
  let last = -1;
  let snapshot = true;
  // A viewer that falls behind is told so and sent a reduced stream: its gaps are
  // the hub's choice, counted apart from losses.
  let reduced = false;
  socket.onmessage = (event) => {
    const data = event.data as string;
    if (data.startsWith("{")) {
      if (data.includes('"type":"status"')) snapshot = false;
      if (data.includes('"reduced":true')) {
        reduced = true;
        counts.viewerReductions++;
      }
      if (data.includes('"reduced":false')) reduced = false;
      return;
    }
    for (const line of data.split("\n")) {
      if (line === "") continue;
      const x = Number(line.split(" ")[1]);
      if (!snapshot && last >= 0 && x !== last + 1) {
        if (reduced) counts.viewerReducedGaps += x - last - 1;
        else counts.viewerGaps += x - last - 1;
      }
      last = x;
      counts.viewerPoints++;
    }
  };
  socket.onclose = (event) => noteClose(event.code);
  await sleep(deadline - Date.now());
  socket.close(1000);
}

const HANDSHAKE = (path: string) =>
  new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );

/** One misbehaving connection: which way it misbehaves goes round in turn. */
async function misbehave(turn: number): Promise<void> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  counts.chaosConnections++;
  try {
    if (turn % 3 === 0) {
      // Vanish mid-stream: upgrade to /data, read a little, drop the TCP connection.
      await connection.write(HANDSHAKE("/data"));
      await connection.read(new Uint8Array(4096));
    } else if (turn % 3 === 1) {
      // An invalid UTF-8 text frame (masked, as a client must).
      await connection.write(HANDSHAKE("/echo"));
      await connection.read(new Uint8Array(4096));
      await connection.write(new Uint8Array([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]));
      await connection.read(new Uint8Array(4096));
    } else {
      await connection.write(crypto.getRandomValues(new Uint8Array(512)));
      await connection.read(new Uint8Array(4096));
    }
  } catch {
    // The server closing on us is the expected answer.
  } finally {
    try {
      connection.close();
    } catch {
      // Closed already.
    }
  }
}

async function chaosSlot(slot: number): Promise<void> {
  for (let turn = slot; Date.now() < deadline - 1000; turn++) {
    await misbehave(turn).catch(() => counts.connectFailures++);
    await sleep(100);
  }
}

function spawnAll(count: number, start: (index: number) => Promise<void>): Promise<void>[] {
  return Array.from({ length: count }, (_, index) =>
    start(index).catch(() => {
      counts.connectFailures++;
    }));
}

await Promise.all([
  ...spawnAll(Number(echoText), echoClient),
  ...spawnAll(Number(viewersText), viewer),
  ...spawnAll(Number(chaosText), chaosSlot),
]);
console.log(JSON.stringify(counts));
Deno.exit(0);
