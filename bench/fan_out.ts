/**
 * `deno task bench:fan-out`: fan-out, measured against a baseline in the same run.
 *
 * For 1, 100 and 1,000 viewers, a source writes timestamped lines into the
 * server's standard input at a fixed rate; viewer processes count what they
 * receive and how late (a point's y is the time it was written). The same
 * load runs against liveplot and against the naive broadcaster in
 * `peers/naive_server.ts`, and one table compares them: points delivered per
 * second, the server's CPU per 1,000 delivered points, its memory, and the
 * delay from a line entering the server to a viewer receiving it.
 *
 * Loopback only; every run is bounded in time and stops by itself.
 *
 * @module
 */

import { percentile } from "./lib/format.ts";
import { cpuSeconds, residentMiB } from "./lib/proc.ts";
import { type Child, nextLine, spawn, startServer, stopChild } from "./lib/process.ts";
import { BENCH, DENO, ROOT } from "./lib/servers.ts";
import { now, sleep } from "./lib/time.ts";

const WARMUP_MS = 1000;
const MEASURE_MS = Number(Deno.env.get("BENCH_MEASURE_MS") ?? 5000);
const VIEWERS_PER_PROCESS = 500;
/** Lines are written every TICK_MS, as a real source's bursts would be. */
const TICK_MS = 10;

interface Case {
  viewers: number;
  rate: number;
}

const CASES: Case[] = [
  { viewers: 1, rate: 1000 },
  { viewers: 100, rate: 1000 },
  { viewers: 1000, rate: 1000 },
  { viewers: 100, rate: 10_000 },
];

const SERVERS = {
  liveplot: [`${ROOT}main.ts`, "--port", "0", "--no-open", "--quiet", "--x", "index", "-"],
  naive: [`${BENCH}peers/naive_server.ts`],
};

interface Result {
  server: string;
  viewers: number;
  rate: number;
  delivered: number;
  perViewer: number;
  cpuPerThousand: number;
  rssMiB: number;
  p50: number;
  p99: number;
  dropped: number;
}

async function run(name: keyof typeof SERVERS, { viewers, rate }: Case): Promise<Result> {
  const { child: server, url } = await startServer([DENO, "run", "-A", ...SERVERS[name]], name);
  const socketUrl = url.replace("http:", "ws:") + "data";
  const pid = server.process.pid;

  const clients: Child[] = [];
  for (let left = viewers; left > 0; left -= VIEWERS_PER_PROCESS) {
    const count = Math.min(left, VIEWERS_PER_PROCESS);
    const args = [socketUrl, count, WARMUP_MS, MEASURE_MS].map(String);
    clients.push(spawn([DENO, "run", "-A", `${BENCH}clients/viewers.ts`, ...args]));
  }
  for (const client of clients) await nextLine(client, "viewers");

  const writer = server.process.stdin.getWriter();
  const encoder = new TextEncoder();
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let writing = true;
  const feeding = (async () => {
    let next = now();
    while (writing) {
      const stamp = now().toFixed(3);
      await writer.write(encoder.encode(`${stamp}\n`.repeat(perTick)));
      next += TICK_MS;
      await sleep(next - now());
    }
  })();

  await sleep(WARMUP_MS);
  const cpuBefore = cpuSeconds([pid]);
  const reports = await Promise.all(clients.map((client) => nextLine(client, "results")));
  const cpuAfter = cpuSeconds([pid]);
  const rssMiB = await residentMiB(pid);
  writing = false;
  await feeding;
  await writer.close().catch(() => {});
  await stopChild(server);
  await Promise.all(clients.map((client) => client.process.status));

  const parsed = reports.map((line) =>
    JSON.parse(line) as { points: number; delays: number[]; closed: number }
  );
  const points = parsed.reduce((sum, report) => sum + report.points, 0);
  const delays = parsed.flatMap((report) => report.delays).sort((a, b) => a - b);
  const seconds = MEASURE_MS / 1000;
  return {
    server: name,
    viewers,
    rate,
    delivered: points / seconds,
    perViewer: points / seconds / viewers,
    cpuPerThousand: points > 0 ? ((cpuAfter - cpuBefore) * 1000 * 1000) / points : NaN,
    rssMiB,
    p50: percentile(delays, 0.5),
    p99: percentile(delays, 0.99),
    dropped: parsed.reduce((sum, report) => sum + report.closed, 0),
  };
}

function format(value: number, digits = 0): string {
  return Number.isFinite(value)
    ? value.toLocaleString("en-US", {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    })
    : "–";
}

if (import.meta.main) {
  console.log(
    `fan-out benchmark: ${MEASURE_MS / 1000} s measured after ${
      WARMUP_MS / 1000
    } s warm-up per row; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores\n`,
  );
  console.log(
    "| server | viewers | source pts/s | delivered pts/s | per viewer pts/s | server CPU ms / 1k pts | server RSS MiB | delay p50 ms | delay p99 ms | viewers lost |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const benchCase of CASES) {
    for (const name of ["liveplot", "naive"] as const) {
      const result = await run(name, benchCase);
      console.log(
        `| ${result.server} | ${format(result.viewers)} | ${format(result.rate)} | ${
          format(result.delivered)
        } | ` +
          `${format(result.perViewer)} | ${format(result.cpuPerThousand, 3)} | ${
            format(result.rssMiB)
          } | ` +
          `${format(result.p50, 1)} | ${format(result.p99, 1)} | ${format(result.dropped)} |`,
      );
    }
  }
}
