/**
 * A viewer process for `deno task bench`, run by Bun (its WebSocket client is
 * the lightest) or by Deno: opens `COUNT` WebSockets spread over the URLs,
 * counts messages, points (lines) and bytes received inside a time window,
 * and, on every `SAMPLE_EVERY`th viewer, the delay of each point: the last
 * space-separated field of a line is its send time in ms since the epoch.
 * Reads liveplot's frames (`ID X Y` lines; a frame starting with `{` is JSON
 * and skipped; with PROTOCOL `liveplot-f64`, binary frames of runs `ID N
 * X1…XN Y1…YN` as the page gets them) and the peers' raw lines alike.
 *
 * Usage: viewer_client.ts URL[,URL…] COUNT SAMPLE_EVERY [PROTOCOL]
 * Prints `ready OPEN FAILED` once every socket has opened or failed, then
 * reads `T0 T1 S1` (epoch ms) on standard input: it counts what arrives in
 * [T0, T1], and sampled viewers also count the points stamped in [T0, S1]
 * until TAIL_MS after T1 (S1 < T1 leaves late points time to arrive). Then
 * it prints one JSON line of results and exits.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import { now, sleep } from "../lib/time.ts";

const runtime = globalThis as any;
const args: string[] = runtime.Deno ? runtime.Deno.args : runtime.process.argv.slice(2);
const [urlList = "", countText = "1", sampleText = "1", protocol = ""] = args;
const urls = urlList.split(",");
const count = Number(countText);
const sampleEvery = Math.max(1, Number(sampleText));

/** Delay histogram: 0.05 ms buckets below 100 ms, then 1 ms buckets to 20 s. */
const FINE_MS = 100;
const FINE_STEP = 0.05;
const FINE_BUCKETS = FINE_MS / FINE_STEP;
const histogram = new Uint32Array(FINE_BUCKETS + 20_000);

/** How long after T1 late points stamped in [T0, S1] still count as delivered. */
const TAIL_MS = 500;
let t0 = Infinity;
let t1 = -Infinity;
/** Send-time window for the delivered fraction: points stamped in it, on sampled viewers. */
let s0 = Infinity;
let s1 = -Infinity;
let stampedInWindow = 0;
let sampledOpen = 0;
let messages = 0;
let points = 0;
let bytes = 0;
let sampledPoints = 0;
let maxDelay = 0;
let negative = 0;
let closedEarly = 0;

function exit(): never {
  if (runtime.Deno) runtime.Deno.exit(0);
  runtime.process.exit(0);
  throw new Error("unreachable");
}

function record(delay: number): void {
  if (delay < 0) {
    negative++;
    delay = 0;
  }
  if (delay > maxDelay) maxDelay = delay;
  const bucket = delay < FINE_MS
    ? Math.floor(delay / FINE_STEP)
    : Math.min(histogram.length - 1, FINE_BUCKETS + Math.floor(delay - FINE_MS));
  histogram[bucket]!++;
  sampledPoints++;
}

/** A binary frame: runs of `ID N X1…XN Y1…YN` doubles; each y is a send time. */
function onBinary(data: ArrayBuffer, sampled: boolean, received: number): void {
  const values = new Float64Array(data);
  const late = received > t1;
  if (!late) {
    messages++;
    bytes += data.byteLength + (data.byteLength < 126 ? 2 : data.byteLength < 65536 ? 4 : 10);
  }
  for (let run = 0; run + 2 <= values.length;) {
    const count = values[run + 1]!;
    const ys = run + 2 + count;
    if (!late) points += count;
    if (sampled) {
      for (let i = ys; i < ys + count; i++) {
        const stamp = values[i]!;
        if (!late) record(received - stamp);
        if (stamp >= s0 && stamp <= s1) stampedInWindow++;
      }
    }
    run = ys + count;
  }
}

function onMessage(data: string | ArrayBuffer, sampled: boolean): void {
  const received = now();
  if (received < t0) return;
  if (data instanceof ArrayBuffer) return onBinary(data, sampled, received);
  if (typeof data !== "string" || data.charCodeAt(0) === 123 /* { */) return;
  if (received > t1) {
    if (sampled) countStamped(data);
    return;
  }
  messages++;
  // Server-to-client frame header: 2, 4 or 10 bytes by payload length.
  bytes += data.length + (data.length < 126 ? 2 : data.length < 65536 ? 4 : 10);
  let start = 0;
  for (;;) {
    const end = data.indexOf("\n", start);
    if (end === -1) break;
    points++;
    if (sampled) {
      const space = data.lastIndexOf(" ", end);
      const stamp = Number(data.slice(space < start ? start : space + 1, end));
      record(received - stamp);
      if (stamp >= s0 && stamp <= s1) stampedInWindow++;
    }
    start = end + 1;
  }
}

function open(index: number): Promise<boolean> {
  const url = urls[Math.floor((index * urls.length) / count)]!;
  const socket = protocol ? new WebSocket(url, [protocol]) : new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const sampled = index % sampleEvery === 0;
  return new Promise((resolve) => {
    socket.onopen = () => {
      if (sampled) sampledOpen++;
      socket.onclose = () => {
        if (!(t1 > 0) || now() < t1) closedEarly++;
      };
      resolve(true);
    };
    socket.onerror = () => resolve(false);
    socket.onmessage = (event: MessageEvent) => onMessage(event.data, sampled);
  });
}

/** After T1, only the sampled viewers' stamped points are still counted. */
function countStamped(data: string): void {
  let start = 0;
  for (;;) {
    const end = data.indexOf("\n", start);
    if (end === -1) break;
    const space = data.lastIndexOf(" ", end);
    const stamp = Number(data.slice(space < start ? start : space + 1, end));
    if (stamp >= s0 && stamp <= s1) stampedInWindow++;
    start = end + 1;
  }
}

let opened = 0;
let failed = 0;
const BATCH = 250;
for (let i = 0; i < count; i += BATCH) {
  const results = await Promise.all(
    Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => open(i + k)),
  );
  for (const ok of results) ok ? opened++ : failed++;
}
console.log(`ready ${opened} ${failed}`);

const input: ReadableStream<Uint8Array> = runtime.Deno
  ? runtime.Deno.stdin.readable
  : runtime.Bun.stdin.stream();
const reader = input.getReader();
let text = "";
while (!text.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) exit();
  text += new TextDecoder().decode(value);
}
[t0, t1, s1] = text.trim().split(" ").map(Number) as [number, number, number];
s0 = t0;
await sleep(t1 - now() + TAIL_MS);
const buckets: [number, number][] = [];
histogram.forEach((n, i) => {
  if (n > 0) buckets.push([i < FINE_BUCKETS ? i * FINE_STEP : FINE_MS + (i - FINE_BUCKETS), n]);
});
console.log(JSON.stringify({
  opened,
  failed,
  messages,
  points,
  bytes,
  sampledPoints,
  sampledOpen,
  stampedInWindow,
  maxDelay,
  negative,
  closedEarly,
  buckets,
}));
exit();
