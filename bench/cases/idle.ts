/**
 * Memory per idle WebSocket: every available server with N viewers open that
 * never hear anything (RSS delta / N, after one first viewer so lazily built
 * per-socket machinery is not counted), liveplot against bare Deno's
 * `Deno.serve` in the same run.
 *
 * @module
 */

import { type BenchCase, figure, type Table } from "../lib/case.ts";
import { openViewers } from "../lib/fan_out.ts";
import { fmt } from "../lib/format.ts";
import { residentMiBOf } from "../lib/proc.ts";
import { stopChild } from "../lib/process.ts";
import { sleep } from "../lib/time.ts";

/** One server's memory per idle socket. */
export interface IdleResult {
  server: string;
  kibPerSocket: number;
}

/** The issue 16 target: at most bare Deno's figure plus this many KiB. */
const TARGET_EXTRA_KIB = 4;

const sockets = (quick: boolean) => (quick ? 1000 : 2000);

/** The idle table: one column per server. */
export const idleTable: Table<IdleResult> = {
  title: (options) =>
    `Memory per idle WebSocket (${sockets(options.quick)} sockets, RSS delta / N)`,
  render(results) {
    const lines = [
      `| ${results.map((r) => r.server).join(" | ")} |`,
      `|${results.map(() => "--:").join("|")}|`,
      `| ${results.map((r) => `${fmt(r.kibPerSocket, 1)} KiB`).join(" | ")} |`,
    ];
    const live = results.find((r) => r.server === "liveplot");
    const bare = results.find((r) => r.server === "deno");
    const figures = live
      ? [figure(
        {
          measure: "Memory per idle WebSocket",
          value: live.kibPerSocket,
          unit: "KiB",
          baseline: bare && { server: "bare Deno.serve", value: bare.kibPerSocket },
          missing: bare ? undefined : "bare Deno not run",
          target: `≤ bare Deno's + ${TARGET_EXTRA_KIB} KiB`,
        },
        (v, b) => v <= b + TARGET_EXTRA_KIB,
      )]
      : [];
    return { lines, figures };
  },
};

/** Every available server, once, after the rounds. */
export const idleCase: BenchCase<IdleResult> = {
  name: "idle",
  about: "memory per idle WebSocket, every server (liveplot vs bare Deno)",
  once: true,
  table: idleTable,
  async round(context) {
    const results: IdleResult[] = [];
    for (const peer of context.peers) {
      try {
        const server = await peer.start();
        try {
          const first = await openViewers(context, server.viewerUrls, 1, server.protocol);
          await sleep(500);
          const before = residentMiBOf(server.pids());
          const many = sockets(context.options.quick);
          const { clients, opened } = await openViewers(
            context,
            server.viewerUrls,
            many,
            server.protocol,
          );
          await sleep(1000);
          const after = residentMiBOf(server.pids());
          await Promise.all([...first.clients, ...clients].map((client) => stopChild(client)));
          results.push({ server: peer.name, kibPerSocket: ((after - before) * 1024) / opened });
        } finally {
          await server.stop();
        }
      } catch (error) {
        context.fail(`idle ${peer.name}`, error);
      }
    }
    return results;
  },
};
