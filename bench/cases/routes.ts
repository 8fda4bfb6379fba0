/**
 * The seed's routes: `GET /test` and `/echo` round trips at 1, 32 and 256
 * connections (`clients/load_client.ts`, one operation at a time per
 * connection), server CPU per operation of liveplot against a bare
 * `Deno.serve` with the same routes (`peers/deno_routes.ts`).
 *
 * The servers run side by side. Each row is measured in slices of a second,
 * each slice on every server back to back, the order rotating; a figure is
 * the median over every slice of every round. This machine's speed drifts
 * by ±25% within seconds (measured: two runs of the old order, every row of
 * one server for 2.5 s and then the other's, gave `/test` at 32 connections
 * 1.07× and 1.51×); slices taken side by side, many times, see the same
 * drift on both sides.
 *
 * @module
 */

import { type BenchCase, type Context, type Figure, figure, type Table } from "../lib/case.ts";
import { fmt, median } from "../lib/format.ts";
import { cpuSeconds } from "../lib/proc.ts";
import { type Child, nextLine, spawn, startServer, stopChild, writeLine } from "../lib/process.ts";
import { BENCH, DENO, LIVEPLOT_ENV, liveplotCommand } from "../lib/servers.ts";
import { now, sleep } from "../lib/time.ts";

/** One route at one connection count on one server. */
export interface RouteResult {
  server: string;
  route: "test" | "echo";
  conns: number;
  opsPerSecond: number;
  cpuMicrosPerOp: number;
  /** Connections the server closed or broke mid-run. */
  errors: number;
}

const ROUTES = ["test", "echo"] as const;
const CONNECTIONS = [1, 32, 256];
/** The issue 16 target: at most this many times bare `Deno.serve`'s CPU per operation. */
const TARGET_RATIO = 1.1;
/** Slices a row is measured in each round (one with `--quick`), and a slice's length. */
const SLICES = 4;
const SLICE_MS = 1000;

async function measureRoute(
  server: string,
  pid: number,
  route: "test" | "echo",
  url: string,
  conns: number,
  measureMs: number,
): Promise<RouteResult> {
  const target = route === "test" ? `${url}test` : `${url.replace(/^http/, "ws")}echo`;
  const mode = route === "test" ? "http" : "echo";
  const client = spawn([
    DENO,
    "run",
    "-A",
    `${BENCH}clients/load_client.ts`,
    mode,
    target,
    `${conns}`,
  ]);
  try {
    await nextLine(client, "load client");
    const t0 = now() + 300;
    const t1 = t0 + measureMs;
    await writeLine(client, `${t0} ${t1}`);
    await sleep(t0 - now());
    const cpu0 = cpuSeconds([pid]);
    await sleep(t1 - now());
    const cpu = cpuSeconds([pid]) - cpu0;
    const { ops, errors } = JSON.parse(await nextLine(client, "load results")) as {
      ops: number;
      errors: number;
    };
    return {
      server,
      route,
      conns,
      opsPerSecond: ops / (measureMs / 1000),
      cpuMicrosPerOp: ops > 0 ? (cpu * 1e6) / ops : NaN,
      errors,
    };
  } finally {
    await stopChild(client);
  }
}

const label = (route: string) => route === "test" ? "HTTP GET /test" : "WebSocket /echo round trip";

/** The routes table: liveplot against bare Deno, medians over every slice of every round. */
export const routesTable: Table<RouteResult> = {
  title: "Seed routes: server CPU per operation",
  render(results) {
    const lines = [
      "| route | connections | liveplot µs CPU / op | bare Deno µs CPU / op | liveplot / bare | liveplot ops/s | bare ops/s | broken connections |",
      "|---|--:|--:|--:|--:|--:|--:|--:|",
    ];
    const figures: Figure[] = [];
    for (const route of ROUTES) {
      for (const conns of CONNECTIONS) {
        const mine = results.filter((r) => r.route === route && r.conns === conns);
        const pick = (server: string, key: keyof RouteResult) =>
          median(mine.filter((r) => r.server === server).map((r) => r[key] as number));
        const live = pick("liveplot", "cpuMicrosPerOp");
        const bare = pick("deno", "cpuMicrosPerOp");
        const cells = [
          label(route),
          String(conns),
          fmt(live, 1),
          fmt(bare, 1),
          `${fmt(live / bare, 2)}×`,
          fmt(pick("liveplot", "opsPerSecond"), 0),
          fmt(pick("deno", "opsPerSecond"), 0),
          String(mine.reduce((sum, r) => sum + r.errors, 0)),
        ];
        lines.push(`| ${cells.join(" | ")} |`);
        figures.push(figure(
          {
            measure: `${label(route)} at ${conns} connection${
              conns > 1 ? "s" : ""
            }: server CPU per op`,
            value: live,
            unit: "µs",
            baseline: { server: "bare Deno.serve", value: bare },
            target: `≤ ${fmt(TARGET_RATIO, 2)}×`,
          },
          (v, b) => v / b <= TARGET_RATIO,
        ));
      }
    }
    return { lines, figures };
  },
};

/** The servers a round starts, side by side. */
const SERVERS = ["liveplot", "deno"] as const;

/** Starts one of `SERVERS`. */
function startPeer(context: Context, name: string) {
  const peer = [DENO, "run", "-A", `${BENCH}peers/deno_routes.ts`];
  if (name === "liveplot") {
    return startServer(
      liveplotCommand(context.tools, ["--port", "0", "--no-open", "--quiet"]),
      name,
      { env: LIVEPLOT_ENV },
    );
  }
  return startServer(peer, name);
}

/** Every server running side by side, each row measured on each server back to back. */
export const routesCase: BenchCase<RouteResult> = {
  name: "routes",
  about: "GET /test and /echo at 1, 32, 256 connections: CPU per op vs bare Deno.serve",
  servers: ["liveplot"],
  table: routesTable,
  async round(context, round) {
    const slices = context.options.quick ? 1 : SLICES;
    const results: RouteResult[] = [];
    const running: { name: string; child: Child; url: string }[] = [];
    try {
      for (const name of SERVERS) {
        try {
          running.push({ name, ...await startPeer(context, name) });
        } catch (error) {
          context.fail(`routes ${name}`, error);
        }
      }
      let turn = round;
      for (const route of ROUTES) {
        for (const conns of CONNECTIONS) {
          for (let slice = 0; slice < slices; slice++) {
            const first = turn++ % running.length;
            for (const server of [...running.slice(first), ...running.slice(0, first)]) {
              const { name, child, url } = server;
              try {
                results.push(
                  await measureRoute(name, child.process.pid, route, url, conns, SLICE_MS),
                );
              } catch (error) {
                context.fail(`routes ${name} ${route} at ${conns}`, error);
              }
            }
          }
        }
      }
      context.progress(`round ${round + 1} routes: done`);
    } finally {
      await Promise.all(running.map(({ child }) => stopChild(child)));
    }
    return results;
  },
};
