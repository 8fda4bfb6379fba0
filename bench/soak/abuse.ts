/**
 * The abuse half of `deno task soak`: one liveplot process, then each kind of
 * abuse in turn (an echo flood, one address taking slots, a
 * log flood, a stdin flood past a stuck viewer), with the server's memory
 * (VmRSS) and open sockets (file descriptors) before, during and after each.
 * Returns the table's rows and whether every bound held.
 *
 * @module
 */

import { startServer, stopChild } from "../lib/process.ts";
import { DENO, LIVEPLOT_ENV, ROOT } from "../lib/servers.ts";
import { sleep } from "../lib/time.ts";
import {
  closeAll,
  frame,
  openViewer,
  rawUpgrade,
  sampler,
  snapshot,
  waitUntil,
} from "./sockets.ts";

const encoder = new TextEncoder();
const PING_SECONDS = 2;
const MAX_CLIENTS = 500;
/** Issue 16: no single abuse raises RSS by more than this. */
const MAX_ABUSE_GROWTH_MIB = 128;
const PER_ADDRESS = 50;

/** One kind of abuse, measured. */
export interface AbuseRow {
  abuse: string;
  sockets: [number, number, number];
  rssMiB: [number, number, number];
  outcome: string;
  held: boolean;
}

/** Runs every kind of abuse against one liveplot process. */
export async function runAbuse(stdinMiB: number): Promise<{ rows: AbuseRow[]; notes: string[] }> {
  const stderr: string[] = [];
  const started = await startServer(
    [
      DENO,
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
    "liveplot",
    // As users run it: with what `deno task start` sets.
    { stderrLines: stderr, env: LIVEPLOT_ENV },
  );
  const server = started.child;
  const url = new URL(started.url);
  const port = Number(url.port);
  const dataUrl = `ws://${url.host}/data`;
  const pid = server.process.pid;
  const writer = server.process.stdin.getWriter();
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
  // 1. Stalled readers: a process of their own (stalled.ts), as Deno keeps them until
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
          // All sent: now see how it ended. (Deno drops the connection one message after
          // liveplot closes it, so a flooder's write is usually reset: the catch below.)
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
      // Issue 16's bound for any single abuse: RSS up by at most 128 MiB, during and after.
      // The messages Deno read from a flooder are garbage until V8 collects them, so the
      // second round's figure is the allocator's and the collector's, not a leak's.
      held: stopped === 100 && during.rss - before.rss <= MAX_ABUSE_GROWTH_MIB &&
        after.rss - before.rss <= MAX_ABUSE_GROWTH_MIB,
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
      // Every bad frame is logged or counted; a fold line may also carry the phase before's.
      held: logged.length <= Math.ceil(seconds) + 3 && accounted >= sent,
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
  writer.releaseLock();
  const status = await stopChild(server);
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
