/**
 * A benchmark client process: opens `count` WebSocket viewers of `/data`,
 * counts the points they receive during the measured window and the delay
 * of each point (its y is the time it was written, in ms since the epoch).
 *
 * Usage: viewers.ts URL COUNT WARMUP_MS MEASURE_MS
 * Prints "ready" once every viewer is open, then one JSON line of results.
 *
 * @module
 */

import { now, sleep } from "../lib/time.ts";

const [url = "", countText = "1", warmupText = "1000", measureText = "5000"] = Deno.args;
const count = Number(countText);
const warmupMs = Number(warmupText);
const measureMs = Number(measureText);
/** Delays are sampled from every `SAMPLE_EVERY`th viewer to bound memory. */
const SAMPLE_EVERY = Math.max(1, Math.floor(count / 50));

let measuring = false;
let points = 0;
let frames = 0;
const delays: number[] = [];

async function open(index: number): Promise<WebSocket> {
  const socket = new WebSocket(url);
  const sampled = index % SAMPLE_EVERY === 0;
  socket.onmessage = (event) => {
    const data = event.data as string;
    if (!measuring || data.startsWith("{")) return;
    frames++;
    const received = now();
    let start = 0;
    for (;;) {
      const end = data.indexOf("\n", start);
      if (end === -1) break;
      points++;
      if (sampled) delays.push(received - Number(data.slice(data.lastIndexOf(" ", end) + 1, end)));
      start = end + 1;
    }
  };
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`viewer ${index} could not connect`));
  });
  return socket;
}

const sockets: WebSocket[] = [];
for (let i = 0; i < count; i += 100) {
  sockets.push(
    ...await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => open(i + k))),
  );
}
console.log("ready");
await sleep(warmupMs);
measuring = true;
await sleep(measureMs);
measuring = false;
let closed = 0;
for (const socket of sockets) if (socket.readyState !== WebSocket.OPEN) closed++;
console.log(JSON.stringify({ points, frames, delays, closed }));
Deno.exit(0);
