/**
 * The seed's routes: `GET /test` and `/echo` round trips at 1, 32 and 256
 * connections (`clients/load_client.ts`, one operation at a time per
 * connection), server CPU per operation of liveplot against a bare
 * `Deno.serve` with the same routes (`peers/deno_routes.ts`), and for
 * `/test` of that bare server sending liveplot's security headers too (what
 * the headers alone cost), each once a round, the order rotating.
 *
 * @module
 */

import { type BenchCase, type Figure, figure, type Table } from "../lib/case.ts";
import { fmt, median } from "../lib/format.ts";
import { cpuSeconds } from "../lib/proc.ts";
import { nextLine, spawn, startServer, stopChild, writeLine } from "../lib/process.ts";
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
/** Bare Deno.serve whose `/test` carries liveplot's security headers (`--security-headers`). */
const HEADERS_PEER = "deno-headers";
const CONNECTIONS = [1, 32, 256];
/** The issue 16 target: at most this many times bare `Deno.serve`'s CPU per operation. */
const TARGET_RATIO = 1.1;

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

/** The routes table: liveplot against bare Deno, medians over the rounds. */
export const routesTable: Table<RouteResult> = {
  title: "Seed routes: server CPU per operation",
  render(results) {
    const lines = [
      "| route | connections | liveplot µs CPU / op | bare Deno µs CPU / op | liveplot / bare | bare + liveplot's headers µs CPU / op | liveplot / that | liveplot ops/s | bare ops/s | broken connections |",
      "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ];
    const figures: Figure[] = [];
    for (const route of ROUTES) {
      for (const conns of CONNECTIONS) {
        const mine = results.filter((r) => r.route === route && r.conns === conns);
        const pick = (server: string, key: keyof RouteResult) =>
          median(mine.filter((r) => r.server === server).map((r) => r[key] as number));
        const live = pick("liveplot", "cpuMicrosPerOp");
        const bare = pick("deno", "cpuMicrosPerOp");
        const headed = pick(HEADERS_PEER, "cpuMicrosPerOp");
        const cells = [
          label(route),
          String(conns),
          fmt(live, 1),
          fmt(bare, 1),
          `${fmt(live / bare, 2)}×`,
          Number.isFinite(headed) ? fmt(headed, 1) : "–",
          Number.isFinite(headed) ? `${fmt(live / headed, 2)}×` : "–",
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
        if (route === "test") {
          figures.push(figure({
            measure: `${label(route)} at ${conns} connection${
              conns > 1 ? "s" : ""
            }: server CPU per op, against bare Deno sending the same headers`,
            value: live,
            unit: "µs",
            baseline: { server: "bare Deno.serve + liveplot's headers", value: headed },
            target: "–",
          }));
        }
      }
    }
    return { lines, figures };
  },
};

/** Both servers once a round, each through every route and connection count. */
export const routesCase: BenchCase<RouteResult> = {
  name: "routes",
  about: "GET /test and /echo at 1, 32, 256 connections: CPU per op vs bare Deno.serve",
  servers: ["liveplot"],
  table: routesTable,
  async round(context, round) {
    const measureMs = context.options.quick ? 1000 : 2500;
    const results: RouteResult[] = [];
    const order = ["liveplot", "deno", HEADERS_PEER];
    for (const name of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
      try {
        const peer = [DENO, "run", "-A", `${BENCH}peers/deno_routes.ts`];
        const { child, url } = name === "liveplot"
          ? await startServer(
            liveplotCommand(context.tools, ["--port", "0", "--no-open", "--quiet"]),
            name,
            { env: LIVEPLOT_ENV },
          )
          : await startServer(name === "deno" ? peer : [...peer, "--security-headers"], name);
        try {
          // The headers peer differs from bare Deno on /test alone.
          for (const route of name === HEADERS_PEER ? ["test" as const] : ROUTES) {
            for (const conns of CONNECTIONS) {
              const pid = child.process.pid;
              results.push(await measureRoute(name, pid, route, url, conns, measureMs));
            }
          }
        } finally {
          await stopChild(child);
        }
        context.progress(`round ${round + 1} routes ${name}: done`);
      } catch (error) {
        context.fail(`routes ${name}`, error);
      }
    }
    return results;
  },
};
