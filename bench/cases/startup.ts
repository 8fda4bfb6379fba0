/**
 * Start-up: from spawning the process to the first answer of `GET /test`,
 * liveplot (`deno task start`'s environment, the demo source) against a bare
 * `Deno.serve` with the same route (`peers/deno_routes.ts`), alternating,
 * after one untimed start of each so both find Deno's caches warm.
 *
 * @module
 */

import { type BenchCase, figure, type Table } from "../lib/case.ts";
import { fmt, median } from "../lib/format.ts";
import { startServer, stopChild } from "../lib/process.ts";
import { BENCH, DENO, LIVEPLOT_ENV, liveplotCommand } from "../lib/servers.ts";
import { now } from "../lib/time.ts";

/** One start, timed. */
export interface StartupResult {
  server: string;
  ms: number;
}

/** The issue 16 target: at most this many times bare Deno's start-up. */
const TARGET_RATIO = 1.5;

/** Starts `server` and times it to its first answered request. */
async function timeStart(server: "liveplot" | "deno"): Promise<number> {
  const command = server === "liveplot"
    ? liveplotCommand({}, ["--port", "0", "--no-open", "--quiet"])
    : [DENO, "run", "-A", `${BENCH}peers/deno_routes.ts`];
  const started = now();
  const { child, url } = await startServer(
    command,
    server,
    server === "liveplot" ? { env: LIVEPLOT_ENV } : {},
  );
  try {
    const response = await fetch(`${url}test`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${server}: GET /test answered ${response.status}`);
    return now() - started;
  } finally {
    await stopChild(child);
  }
}

/** The start-up table: medians over every start. */
export const startupTable: Table<StartupResult> = {
  title: "Start-up: spawn to the first answer of GET /test",
  render(results) {
    const med = (server: string) =>
      median(results.filter((r) => r.server === server).map((r) => r.ms));
    const count = (server: string) => results.filter((r) => r.server === server).length;
    const live = med("liveplot");
    const bare = med("deno");
    const lines = [
      "| server | ms (median) | starts | ratio to bare Deno |",
      "|---|--:|--:|--:|",
      `| liveplot | ${fmt(live, 0)} | ${count("liveplot")} | ${fmt(live / bare, 2)}× |`,
      `| bare Deno.serve | ${fmt(bare, 0)} | ${count("deno")} | 1.00× |`,
    ];
    const figures = [figure(
      {
        measure: "Start-up, spawn to the first answer of GET /test",
        value: live,
        unit: "ms",
        baseline: { server: "bare Deno.serve", value: bare },
        target: `≤ ${fmt(TARGET_RATIO, 2)}×`,
      },
      (v, b) => v / b <= TARGET_RATIO,
    )];
    return { lines, figures };
  },
};

/** A few starts of each a round, alternating. */
export const startupCase: BenchCase<StartupResult> = {
  name: "startup",
  about: "spawn to the first answered GET /test, liveplot vs bare Deno.serve",
  servers: ["liveplot"],
  table: startupTable,
  async round(context, round) {
    const results: StartupResult[] = [];
    const servers = ["liveplot", "deno"] as const;
    try {
      if (round === 0) { for (const server of servers) await timeStart(server); }
      for (let i = 0; i < (context.options.quick ? 3 : 5); i++) {
        for (const server of (i + round) % 2 ? [...servers].reverse() : servers) {
          results.push({ server, ms: await timeStart(server) });
        }
      }
    } catch (error) {
      context.fail(`startup round ${round + 1}`, error);
    }
    return results;
  },
};
