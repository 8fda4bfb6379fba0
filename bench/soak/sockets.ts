/**
 * What the soak's abuse runs do to a server, one helper each: raw WebSocket
 * upgrades and frames written by hand (a client that never reads, a bad
 * frame), viewers opened and closed in batches, and the server's memory and
 * open descriptors sampled while it happens.
 *
 * @module
 */

import { openFiles, residentMiB } from "../lib/proc.ts";
import { sleep } from "../lib/time.ts";

const encoder = new TextEncoder();

/** A server's resident memory (MiB) and open descriptors at one moment. */
export interface Snapshot {
  rss: number;
  fds: number;
}

/** The server's memory and descriptors now. */
export async function snapshot(pid: number): Promise<Snapshot> {
  return { rss: await residentMiB(pid), fds: await openFiles(pid) };
}

/** Samples the server every 200 ms until stopped; returns the peak. */
export function sampler(pid: number): { stop(): Promise<Snapshot> } {
  let peak: Snapshot = { rss: 0, fds: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = await snapshot(pid).catch(() => peak);
      peak = { rss: Math.max(peak.rss, now.rss), fds: Math.max(peak.fds, now.fds) };
      await sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** The text of a WebSocket upgrade request for `path`, with `extra` headers. */
export function upgradeRequest(
  port: number,
  path: string,
  extra: Record<string, string> = {},
): string {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return `GET ${path} HTTP/1.1\r\n${lines}\r\n`;
}

/** Opens a raw upgrade; resolves with the connection, its status and head, never reading past that. */
export async function rawUpgrade(
  port: number,
  path: string,
  extra: Record<string, string> = {},
): Promise<{ connection: Deno.TcpConn; status: number; head: string }> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  await connection.write(encoder.encode(upgradeRequest(port, path, extra)));
  const buffer = new Uint8Array(1024);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const count = await connection.read(buffer);
    if (count === null) break;
    head += new TextDecoder().decode(buffer.subarray(0, count));
  }
  return { connection, status: Number(head.slice(9, 12)), head };
}

/** A masked client frame. */
export function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const header = length < 126
    ? [0x80 | opcode, 0x80 | length]
    : length < 65536
    ? [0x80 | opcode, 0x80 | 126, length >> 8, length & 255]
    : [
      0x80 | opcode,
      0x80 | 127,
      0,
      0,
      0,
      0,
      length >>> 24,
      (length >> 16) & 255,
      (length >> 8) & 255,
      length & 255,
    ];
  const out = new Uint8Array(header.length + 4 + length);
  out.set(header);
  out.set(payload, header.length + 4); // mask of zeros: payload unchanged
  return out;
}

/** A WebSocket open on `url`, or undefined if it did not open within `timeoutMs`. */
export async function openViewer(url: string, timeoutMs: number): Promise<WebSocket | undefined> {
  const socket = new WebSocket(url);
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => {
      socket.onopen = () => resolve(true);
      socket.onerror = () => resolve(false);
    }),
    sleep(timeoutMs).then(() => false),
  ]);
  if (opened) return socket;
  try {
    socket.close();
  } catch {
    // Never opened.
  }
  return undefined;
}

/** Closes every socket, waiting up to 3 s for each close. */
export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.onclose = () => resolve();
      socket.close();
      setTimeout(resolve, 3000);
    })
  ));
}

/** Milliseconds until `condition` held, checked every 100 ms, or -1 after `timeoutMs`. */
export async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) return -1;
    await sleep(100);
  }
  return Date.now() - started;
}
