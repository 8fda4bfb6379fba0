/**
 * The abuse half of `deno task soak`: one liveplot process, then each kind of
 * abuse in turn (an echo flood, one address taking slots, a
 * log flood, a stdin flood past a stuck viewer), with the server's memory
 * (VmRSS) and open sockets (file descriptors) before, during and after each.
 * Returns the table's rows and whether every bound held.
 *
 * @module
 */

import { statusResidentMiB } from "./proc.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const encoder = new TextEncoder();
const PING_SECONDS = 2;
const MAX_CLIENTS = 500;
const PER_ADDRESS = 50;

/** One kind of abuse, measured. */
export interface AbuseRow {
  abuse: string;
  sockets: [number, number, number];
  rssMiB: [number, number, number];
  outcome: string;
  held: boolean;
}

interface Snapshot {
  rss: number;
  fds: number;
}

async function snapshot(pid: number): Promise<Snapshot> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  let fds = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
  return { rss: statusResidentMiB(status), fds };
}

/** Samples the server every 200 ms until stopped; returns the peak. */
function sampler(pid: number): { stop(): Promise<Snapshot> } {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function upgradeRequest(port: number, path: string, extra: Record<string, string> = {}): string {
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

/** Opens a raw upgrade; resolves with the connection and its status, never reading past that. */
async function rawUpgrade(
  port: number,
  path: string,
  extra: Record<string, string> = {},
): Promise<{ connection: Deno.TcpConn; status: number }> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  await connection.write(encoder.encode(upgradeRequest(port, path, extra)));
  const buffer = new Uint8Array(1024);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const count = await connection.read(buffer);
    if (count === null) break;
    head += new TextDecoder().decode(buffer.subarray(0, count));
  }
  return { connection, status: Number(head.slice(9, 12)) };
}

/** A masked client frame. */
function frame(opcode: number, payload: Uint8Array): Uint8Array {
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

async function openViewer(url: string, timeoutMs: number): Promise<WebSocket | undefined> {
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

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.onclose = () => resolve();
      socket.close();
      setTimeout(resolve, 3000);
    })
  ));
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) return -1;
    await sleep(100);
  }
  return Date.now() - started;
}

/** Runs every kind of abuse against one liveplot process. */
export async function runAbuse(stdinMiB: number): Promise<{ rows: AbuseRow[]; notes: string[] }> {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "--port",
      "0",
      "--no-open",
      "--max-clients",
      String(MAX_CLIENTS),
      "--max-clients-per-ip",
      String(PER_ADDRESS),
      "--ping-interval",
      String(PING_SECONDS),
      "--trust-proxy",
      "--x",
      "index",
      "--window",
      "200",
      // History is bounded by design (256 MiB by default); a small one keeps this about sockets.
      "--history",
      "32MiB",
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = async (readable: ReadableStream<Uint8Array>, into: string[]) => {
    let buffered = "";
    for await (const text of readable.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      into.push(...lines);
    }
  };
  const reading = Promise.all([collect(server.stdout, stdout), collect(server.stderr, stderr)]);
  while (!stdout.some((line) => line.startsWith("liveplot listening on"))) await sleep(50);
  const url = new URL(
    stdout.find((line) => line.startsWith("liveplot listening"))!.split(" ").at(-1)!,
  );
  const port = Number(url.port);
  const dataUrl = `ws://${url.host}/data`;
  const pid = server.pid;
  const writer = server.stdin.getWriter();
  // A live source throughout: 8 series, 100 lines a second.
  const line = Array.from({ length: 8 }, (_, i) => String(1e6 + i)).join(" ") + "\n";
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      await writer.write(encoder.encode(line.repeat(10)));
      await sleep(100);
    }
  })();
  await sleep(1000);
  const rows: AbuseRow[] = [];
  const notes: string[] = [];

  // 1. Stalled readers: a process of their own (soak_stalled.ts), as Deno keeps them until
  // their peers go.

  // 2. Echo flood: 50 clients send 512 KiB messages and never read; twice, to tell a
  // leak (the second round adds as much again) from the allocator's high-water mark.
  {
    const before = await snapshot(pid);
    const peak = sampler(pid);
    const message = frame(2, new Uint8Array(512 * 1024));
    const flood = () =>
      Promise.all(Array.from({ length: 50 }, async () => {
        const { connection } = await rawUpgrade(port, "/echo");
        try {
          for (let i = 0; i < 80; i++) {
            for (let offset = 0; offset < message.length;) {
              offset += await connection.write(message.subarray(offset));
            }
          }
          // All sent (the server reads on while it closes): now see how it ended.
          const sink = new Uint8Array(64 * 1024);
          const deadline = Date.now() + 15_000;
          while (Date.now() < deadline) {
            if ((await connection.read(sink)) === null) return "eof";
          }
          return "never closed";
        } catch (error) {
          return (error as Error).name;
        } finally {
          try {
            connection.close();
          } catch {
            // Gone.
          }
        }
      }));
    const first = await flood();
    await waitUntil(async () => (await snapshot(pid)).fds <= before.fds + 5, 10_000);
    const afterFirst = await snapshot(pid);
    const second = await flood();
    const during = await peak.stop();
    await waitUntil(async () => (await snapshot(pid)).fds <= before.fds + 5, 10_000);
    const after = await snapshot(pid);
    const stopped = [...first, ...second].filter((outcome) => outcome !== "never closed").length;
    const dropped = stderr.filter((entry) => entry.includes("event=echo-dropped")).length;
    rows.push({
      abuse: "50 /echo clients sending 512 KiB messages, never reading (two rounds)",
      sockets: [before.fds, during.fds, after.fds],
      rssMiB: [before.rss, during.rss, after.rss],
      outcome: `${stopped} of 100 ended by the server before 40 MiB each; RSS after the first ` +
        `round ${afterFirst.rss.toFixed(0)} MiB, after the second ${after.rss.toFixed(0)}; ` +
        `echo-dropped lines: ${dropped}`,
      // Bounded per client (queue 1 MiB, a message in flight, buffers), and no leak.
      held: stopped === 100 && during.rss - before.rss < 50 * 4 &&
        after.rss - afterFirst.rss < 16,
    });
  }

  // 3. One address takes slots: 1,000 upgrades forwarded for one address.
  {
    const before = await snapshot(pid);
    const attempts = [];
    for (let i = 0; i < 1000; i += 100) {
      attempts.push(
        ...await Promise.all(
          Array.from(
            { length: 100 },
            () => rawUpgrade(port, "/echo", { "x-forwarded-for": "203.0.113.9" }),
          ),
        ),
      );
    }
    const during = await snapshot(pid);
    const admitted = attempts.filter((attempt) => attempt.status === 101).length;
    const refused = attempts.filter((attempt) => attempt.status === 503).length;
    const other = await openViewer(`ws://${url.host}/echo`, 5000);
    const lines = stderr.filter((entry) => entry.includes("event=address-over-limit")).length;
    for (const attempt of attempts) attempt.connection.close();
    if (other) await closeAll([other]);
    await waitUntil(async () => (await snapshot(pid)).fds <= before.fds + 5, 10_000);
    const after = await snapshot(pid);
    rows.push({
      abuse: `1,000 upgrades from one address (--max-clients-per-ip ${PER_ADDRESS})`,
      sockets: [before.fds, during.fds, after.fds],
      rssMiB: [before.rss, during.rss, after.rss],
      outcome: `${admitted} admitted, ${refused} refused 503; another address served: ` +
        `${other ? "yes" : "no"}; log lines: ${lines}`,
      held: admitted === PER_ADDRESS && refused === 1000 - PER_ADDRESS && other !== undefined &&
        lines === 1,
    });
  }

  // 4. Log flood: connections that each send a frame with a reserved opcode.
  {
    const before = await snapshot(pid);
    const linesBefore = stderr.length;
    const started = Date.now();
    const bad = frame(3, new Uint8Array([1]));
    let sent = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      for (let i = 0; i < 250; i++) {
        const { connection } = await rawUpgrade(port, "/echo");
        await connection.write(bad).catch(() => 0);
        sent++;
        const sink = new Uint8Array(1024);
        while ((await connection.read(sink).catch(() => null)) !== null) {
          // Until the server closes it.
        }
        connection.close();
      }
    }));
    const seconds = (Date.now() - started) / 1000;
    await sleep(1500);
    const after = await snapshot(pid);
    const logged = stderr.slice(linesBefore).filter((entry) => entry.includes("websocket-error"));
    const accounted = logged.reduce(
      (sum, entry) => sum + Number(/suppressed=(\d+)/.exec(entry)?.[1] ?? 1),
      0,
    );
    rows.push({
      abuse: `${sent} connections sending a bad frame, in ${seconds.toFixed(1)} s`,
      sockets: [before.fds, after.fds, after.fds],
      rssMiB: [before.rss, after.rss, after.rss],
      outcome: `${logged.length} websocket-error lines accounting for ${accounted}`,
      held: logged.length <= Math.ceil(seconds) + 3 && accounted === sent,
    });
  }

  // 5. Standard input flood past a viewer that never reads.
  {
    const before = await snapshot(pid);
    const peak = sampler(pid);
    const stuck = await rawUpgrade(port, "/data");
    const healthy = await openViewer(dataUrl, 5000);
    let received = 0;
    healthy?.addEventListener("message", () => received++);
    const chunk = encoder.encode(`${"12345.678 ".repeat(8)}\n`.repeat(10_000));
    const started = Date.now();
    for (let written = 0; written < stdinMiB * 1024 * 1024; written += chunk.length) {
      await writer.write(chunk);
    }
    const seconds = (Date.now() - started) / 1000;
    const during = await peak.stop();
    await sleep(1000);
    if (healthy) await closeAll([healthy]);
    try {
      stuck.connection.close();
    } catch {
      // Reset already.
    }
    await sleep(1000);
    const after = await snapshot(pid);
    rows.push({
      abuse: `${stdinMiB} MiB through stdin past a viewer that never reads (--history 32MiB)`,
      sockets: [before.fds, during.fds, after.fds],
      rssMiB: [before.rss, during.rss, after.rss],
      outcome: `fed in ${seconds.toFixed(0)} s; the healthy viewer got ${received} frames`,
      held: after.rss - before.rss < 32 + 64 && received > 0,
    });
  }

  feeding = false;
  await feed.catch(() => {});
  await writer.close().catch(() => {});
  server.kill("SIGTERM");
  const status = await server.status;
  await reading;
  const errors = stderr.filter((entry) => entry.startsWith("level=error"));
  notes.push(
    `abuse server: exit ${status.code}, ${errors.length} error lines, ` +
      `${stderr.length} log lines in all`,
  );
  if (errors.length > 0) notes.push(...errors.slice(0, 5));
  return { rows, notes };
}

/** The rows as a Markdown table. */
export function formatAbuse(rows: AbuseRow[]): string {
  const mib = (values: number[]) => values.map((value) => value.toFixed(0)).join(" / ");
  const lines = [
    "| abuse | sockets before / during / after | RSS MiB before / during / after | outcome | bound held |",
    "|---|---:|---:|---|:---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.abuse} | ${row.sockets.join(" / ")} | ${mib(row.rssMiB)} | ${row.outcome} | ` +
        `${row.held ? "yes" : "NO"} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { rows, notes } = await runAbuse(Number(Deno.env.get("SOAK_STDIN_MIB") ?? 256));
  console.log(formatAbuse(rows));
  for (const note of notes) console.log(note);
  Deno.exit(rows.every((row) => row.held) ? 0 : 1);
}
