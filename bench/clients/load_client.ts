/**
 * A load client for the seed-routes rows of `deno task bench`: keeps `CONNS`
 * connections busy, each doing one operation at a time (no pipelining), and
 * counts the operations completed inside a time window.
 *
 * - `http URL CONNS`: raw HTTP/1.1 keep-alive `GET` on TCP (no client library
 *   in the way); an operation is one full response.
 * - `echo URL CONNS`: WebSockets each sending a 32-byte text message and
 *   waiting for it to come back; an operation is one round trip.
 *
 * Prints `ready`, reads `T0 T1` (epoch ms) on standard input, then prints one
 * JSON line `{"ops":N,"errors":N}` after T1 and exits.
 *
 * @module
 */

import { now, sleep } from "../lib/time.ts";

const [mode = "http", url = "", connsText = "1"] = Deno.args;
const conns = Number(connsText);
let t0 = Infinity;
let t1 = Infinity;
let ops = 0;
let errors = 0;
let stopping = false;

function count(): void {
  const t = now();
  if (t >= t0 && t <= t1) ops++;
}

async function httpConnection(): Promise<() => Promise<void>> {
  const target = new URL(url);
  const connection = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  connection.setNoDelay(true);
  const request = new TextEncoder().encode(
    `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`,
  );
  const buffer = new Uint8Array(64 * 1024);
  const decoder = new TextDecoder();
  return async () => {
    while (!stopping) {
      await connection.write(request);
      let text = "";
      let needed = Infinity;
      while (text.length < needed) {
        const n = await connection.read(buffer);
        if (n === null) {
          errors++;
          return;
        }
        text += decoder.decode(buffer.subarray(0, n));
        const headEnd = text.indexOf("\r\n\r\n");
        if (headEnd !== -1 && needed === Infinity) {
          const length = /content-length:\s*(\d+)/i.exec(text.slice(0, headEnd))?.[1];
          needed = headEnd + 4 + Number(length ?? 0);
        }
      }
      count();
    }
    connection.close();
  };
}

async function echoConnection(): Promise<() => Promise<void>> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Cannot open ${url}`));
  });
  const message = "x".repeat(32);
  return () =>
    new Promise<void>((resolve) => {
      socket.onmessage = () => {
        count();
        if (stopping) {
          socket.close();
          resolve();
        } else socket.send(message);
      };
      socket.onclose = () => resolve();
      socket.send(message);
    });
}

const open = mode === "echo" ? echoConnection : httpConnection;
const loops: (() => Promise<void>)[] = [];
for (let i = 0; i < conns; i += 64) {
  loops.push(...await Promise.all(Array.from({ length: Math.min(64, conns - i) }, open)));
}
console.log("ready");
const reader = Deno.stdin.readable.getReader();
let text = "";
while (!text.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) Deno.exit(0);
  text += new TextDecoder().decode(value);
}
[t0, t1] = text.trim().split(" ").map(Number) as [number, number];
const running = loops.map((loop) => loop());
await sleep(t1 - now() + 10);
stopping = true;
await Promise.race([Promise.all(running), sleep(1000)]);
console.log(JSON.stringify({ ops, errors }));
Deno.exit(0);
