/**
 * The fan-out cases (viewers × source points per second): a source writes
 * timestamped lines every 10 ms and each server forwards them to every
 * viewer; every available server runs each load once a round, in rotating
 * order. One table for all of them (the Redis rows join it), with ratios to
 * liveplot, and liveplot's CPU per delivered point against Bun's and bare
 * Deno's from the same run.
 *
 * @module
 */

import { type BenchCase, type Context, type Figure, figure, type Table } from "../lib/case.ts";
import {
  CLIENT_BOUND_SHARE,
  type FanOutLoad,
  type FanOutResult,
  measureFanOut,
} from "../lib/fan_out.ts";
import { fmt, median, mergeNotes, ratio } from "../lib/format.ts";
import { now } from "../lib/time.ts";

/** The loads, in table order. */
export const FAN_OUT_LOADS: FanOutLoad[] = [
  { name: "1000x1000", label: "1,000 viewers × 1,000 pts/s", viewers: 1000, rate: 1000 },
  { name: "10000x100", label: "10,000 viewers × 100 pts/s", viewers: 10_000, rate: 100 },
  { name: "100x10000", label: "100 viewers × 10,000 pts/s", viewers: 100, rate: 10_000 },
  { name: "1x100000", label: "1 viewer × 100,000 pts/s", viewers: 1, rate: 100_000 },
  {
    name: "1x100000-w2000",
    label: "1 viewer × 100,000 pts/s, --window 2000",
    viewers: 1,
    rate: 100_000,
    window: 2000,
    only: ["liveplot", "bun", "deno"],
  },
];

/** CPU s per 1M delivered points before the move to `Deno.serve` (issue 16: at or below). */
const CPU_BEFORE: Record<string, number> = { "1000x1000": 0.463, "10000x100": 0.557 };

const HEAD =
  "| case | server | p50 ms | p99 ms | max ms | delivered | CPU s / 1M pts | server core " +
  "| RSS MiB | msgs / viewer / s | bytes / pt | client CPU | flags |";

/** Why there is no baseline row from `server` in this run. */
function absent(context: Context, server: string): string {
  if (!context.wantsServer(server)) return `${server} not run (--server)`;
  if (!context.peers.some((peer) => peer.name === server)) {
    return `${server} not found here (deno task bench:setup)`;
  }
  return `no ${server} row`;
}

/** liveplot's CPU per delivered point against a baseline's, for the results file. */
function cpuFigures(load: FanOutLoad, rows: FanOutResult[], context: Context): Figure[] {
  const med = (server: string) =>
    rows.some((r) => r.server === server)
      ? median(rows.filter((r) => r.server === server).map((r) => r.cpuPerMillion))
      : undefined;
  const against = (server: string, baseline: string, target?: string, limit?: number) => {
    const value = med(server);
    if (value === undefined) return [];
    const base = med(baseline);
    const before = CPU_BEFORE[load.name];
    return [figure(
      {
        measure: `${load.label}: CPU s per 1M delivered points (${server} vs ${baseline})`,
        server,
        value,
        unit: "s",
        baseline: base === undefined ? undefined : { server: baseline, value: base },
        target,
        missing: base === undefined ? absent(context, baseline) : undefined,
      },
      target
        ? (v, b) => (limit !== undefined ? v / b <= limit : v < b && (!before || v <= before))
        : undefined,
    )];
  };
  const before = CPU_BEFORE[load.name];
  const figures = [
    ...against("liveplot", "bun", before ? `< Bun's and ≤ ${before}` : undefined),
  ];
  if (load.name === "1x100000") {
    figures.push(...against("liveplot", "deno", "≤ 1.50×", 1.5));
    figures.push(...against("liveplot-text", "deno", "≤ 1.75×", 1.75));
  }
  if (load.name === "100x10000" && med("liveplot") !== undefined) {
    const p99 = median(rows.filter((r) => r.server === "liveplot").map((r) => r.p99));
    figures.push(figure(
      { measure: `${load.label}: delay p99`, value: p99, unit: "ms", target: "≤ 6 ms" },
      (v) => v <= 6,
    ));
  }
  return figures;
}

/** The fan-out table: every load's rows, medians over the rounds, ratios to liveplot. */
export const fanOutTable: Table<FanOutResult> = {
  title: "Fan-out",
  render(results, context) {
    const names = context.peers.map((peer) => peer.name);
    const servers = [...new Set([...names, ...results.map((r) => r.server)])];
    const seconds = context.options.measureMs / 1000;
    const lines = [HEAD, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"];
    const figures: Figure[] = [];
    for (const load of FAN_OUT_LOADS) {
      const rows = results.filter((r) => r.case === load.name);
      if (rows.length === 0) continue;
      figures.push(...cpuFigures(load, rows, context));
      const med = (server: string, key: keyof FanOutResult) =>
        median(rows.filter((r) => r.server === server).map((r) => r[key] as number));
      const hasBase = rows.some((r) => r.server === "liveplot");
      const cell = (server: string, key: keyof FanOutResult, digits?: number) =>
        fmt(med(server, key), digits) +
        ratio(med(server, key), hasBase ? med("liveplot", key) : undefined);
      let first = true;
      for (const server of servers) {
        const mine = rows.filter((r) => r.server === server);
        if (mine.length === 0) continue;
        const flags = [];
        if (med(server, "clientShare") >= CLIENT_BOUND_SHARE) flags.push("client-bound");
        if (med(server, "machineShare") >= 0.9) flags.push("machine saturated");
        if (med(server, "othersShare") >= 0.15) {
          flags.push(`others used ${fmt(med(server, "othersShare") * 100, 0)}%`);
        }
        const lost = Math.max(...mine.map((r) => r.lost));
        if (lost > 0) flags.push(`${lost} viewers lost`);
        flags.push(...mergeNotes(mine.flatMap((r) => r.note?.split("; ") ?? [])));
        const cells = [
          first ? load.label : "",
          server,
          cell(server, "p50"),
          cell(server, "p99"),
          fmt(med(server, "max")),
          `${fmt(med(server, "delivered") * 100, 1)}%`,
          cell(server, "cpuPerMillion", 3),
          fmt(med(server, "serverCpu") / seconds, 2),
          cell(server, "rssMiB", 0),
          fmt(med(server, "messagesPerViewerSecond"), 1),
          fmt(med(server, "bytesPerPoint"), 1),
          `${fmt(med(server, "clientShare") * 100, 0)}%`,
          flags.join("; "),
        ];
        lines.push(`| ${cells.join(" | ")} |`);
        first = false;
      }
    }
    lines.push(
      "",
      `client CPU = busiest viewer process's share of one core; client-bound ≥ ${
        CLIENT_BOUND_SHARE * 100
      }%. Delays from sampled viewers (about 25 per process). Delivered = share of the points ` +
        "sent in the first 60% of the window that reached the sampled viewers by 0.5 s after " +
        `its end (at least ${fmt(seconds * 0.4 + 0.5, 1)} s after being sent). CPU and RSS: ` +
        "the server's process tree (nginx master + worker; Redis included in Redis rows); " +
        "server core = its CPU time / wall time (1.00 = one core busy).",
    );
    return { lines, figures };
  },
};

/** The case for one load: each available server once a round, the order rotating. */
function fanOutCase(load: FanOutLoad): BenchCase<FanOutResult> {
  return {
    name: load.name,
    about: load.label,
    table: fanOutTable,
    async round(context, round) {
      const peers = context.peers.filter((peer) => !load.only || load.only.includes(peer.name));
      // Rotate the order each round so no server always runs first.
      const order = peers.map((_, i) => peers[(i + round) % peers.length]!);
      const results: FanOutResult[] = [];
      for (const peer of order) {
        const started = now();
        try {
          const server = await peer.start({ window: load.window });
          try {
            const result = await measureFanOut(context, load, server);
            results.push(result);
            context.progress(
              `round ${round + 1} ${load.name} ${peer.name}: p99 ${fmt(result.p99)} ms, ` +
                `delivered ${fmt(result.delivered * 100, 1)}%, ` +
                `CPU ${fmt(result.cpuPerMillion, 3)} s/1M, client ${
                  fmt(result.clientShare * 100, 0)
                }% (opening ${fmt(result.openSeconds, 1)} s, row ${
                  fmt((now() - started) / 1000, 1)
                } s)`,
            );
          } finally {
            await server.stop();
          }
        } catch (error) {
          context.fail(`${load.name} ${peer.name} round ${round + 1}`, error);
        }
      }
      return results;
    },
  };
}

/** One case per load, named as `--case` takes them. */
export const fanOutCases: BenchCase<FanOutResult>[] = FAN_OUT_LOADS.map(fanOutCase);
