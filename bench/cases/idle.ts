/**
 * Memory per idle WebSocket: every available server with viewers open that
 * never hear anything, liveplot against bare Deno's `Deno.serve` in the same
 * run. RSS delta / N after one first viewer (so lazily built per-socket
 * machinery is not counted), read at two counts on the way up: at 2,000 the
 * figure still carries the process's one-time growth (V8's young generation
 * growing to its largest, about 13 MiB, and malloc's arenas: several KiB a
 * socket there, and it swings by as much between runs); at 10,000 (the fan-out
 * case's count) it is mostly the sockets' own, and the target is read there.
 *
 * @module
 */

import { type BenchCase, figure, type Table } from "../lib/case.ts";
import { openViewers } from "../lib/fan_out.ts";
import { fmt } from "../lib/format.ts";
import { residentMiBOf } from "../lib/proc.ts";
import { type Child, stopChild } from "../lib/process.ts";
import { sleep } from "../lib/time.ts";

/** One server's memory per idle socket, at each count. */
export interface IdleResult {
  server: string;
  /** KiB per socket, in the order of `counts`. */
  kibPerSocket: number[];
}

/** The issue 16 target: at most bare Deno's figure plus this many KiB. */
const TARGET_EXTRA_KIB = 4;

/** The socket counts read on the way up; the target is read at the last. */
const counts = (quick: boolean) => (quick ? [1000, 3000] : [2000, 10_000]);

/** The idle table: a row per count, a column per server. */
export const idleTable: Table<IdleResult> = {
  title: (options) =>
    `Memory per idle WebSocket (RSS delta / N at ${
      counts(options.quick).map((n) => fmt(n, 0)).join(" and ")
    } sockets)`,
  render(results, context) {
    const sizes = counts(context.options.quick);
    const lines = [
      `| sockets | ${results.map((r) => r.server).join(" | ")} |`,
      `|--:|${results.map(() => "--:").join("|")}|`,
      ...sizes.map((n, i) =>
        `| ${fmt(n, 0)} | ${
          results.map((r) => `${fmt(r.kibPerSocket[i] ?? NaN, 1)} KiB`).join(" | ")
        } |`
      ),
    ];
    const live = results.find((r) => r.server === "liveplot");
    const bare = results.find((r) => r.server === "deno");
    const last = sizes.length - 1;
    const figures = live
      ? [figure(
        {
          measure: `Memory per idle WebSocket at ${fmt(sizes[last]!, 0)}`,
          value: live.kibPerSocket[last] ?? NaN,
          unit: "KiB",
          baseline: bare && { server: "bare Deno.serve", value: bare.kibPerSocket[last] ?? NaN },
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
  about:
    "memory per idle WebSocket at 2,000 and 10,000 sockets, every server (liveplot vs bare Deno)",
  once: true,
  table: idleTable,
  async round(context) {
    const results: IdleResult[] = [];
    for (const peer of context.peers) {
      const clients: Child[] = [];
      try {
        const server = await peer.start();
        try {
          clients.push(
            ...(await openViewers(context, server.viewerUrls, 1, server.protocol)).clients,
          );
          await sleep(500);
          const before = residentMiBOf(server.pids());
          const kibPerSocket: number[] = [];
          let open = 0;
          for (const target of counts(context.options.quick)) {
            const more = await openViewers(
              context,
              server.viewerUrls,
              target - open,
              server.protocol,
            );
            clients.push(...more.clients);
            open += more.opened;
            await sleep(1000);
            kibPerSocket.push(((residentMiBOf(server.pids()) - before) * 1024) / open);
          }
          results.push({ server: peer.name, kibPerSocket });
        } finally {
          await Promise.all(clients.map((client) => stopChild(client)));
          await server.stop();
        }
      } catch (error) {
        context.fail(`idle ${peer.name}`, error);
      }
    }
    return results;
  },
};
