/**
 * `deno task bench`: fan-out, measured against a baseline in the same run.
 *
 * For 1, 100 and 1,000 viewers, a source writes timestamped lines into the
 * server's standard input at a fixed rate; viewer processes count what they
 * receive and how late (a point's y is the time it was written). The same
 * load runs against liveplot and against the naive broadcaster in
 * `naive_server.ts`, and one table compares them: points delivered per
 * second, the server's CPU per 1,000 delivered points, its memory, and the
 * delay from a line entering the server to a viewer receiving it.
 *
 * Loopback only; every run is bounded in time and stops by itself.
 *
 * @module
 */

import { lines, residentMiB } from "./proc.ts";

const ROOT = new URL("../", import.meta.url).pathname;
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
  naive: [`${ROOT}bench/naive_server.ts`],
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

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function nextLine(iterator: AsyncIterator<string>, what: string): Promise<string> {
  const next = await iterator.next();
  if (next.done) throw new Error(`${what}: the process ended`);
  return next.value;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function run(name: keyof typeof SERVERS, { viewers, rate }: Case): Promise<Result> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...SERVERS[name]],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const serverOut = lines(server.stdout);
  const url = /listening on (\S+)/.exec(await nextLine(serverOut, name))?.[1] ?? "";
  const socketUrl = url.replace("http:", "ws:") + "data";

  const clients = [];
  for (let left = viewers; left > 0; left -= VIEWERS_PER_PROCESS) {
    const count = Math.min(left, VIEWERS_PER_PROCESS);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/viewers.ts`,
        socketUrl,
        String(count),
        String(WARMUP_MS),
        String(MEASURE_MS),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    clients.push({ child, out: lines(child.stdout) });
  }
  for (const client of clients) await nextLine(client.out, "viewers");

  const writer = server.stdin.getWriter();
  const encoder = new TextEncoder();
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let writing = true;
  const feeding = (async () => {
    let next = now();
    while (writing) {
      const stamp = now().toFixed(3);
      await writer.write(encoder.encode(`${stamp}\n`.repeat(perTick)));
      next += TICK_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - now())));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const cpuBefore = await cpuSeconds(server.pid);
  const reports = await Promise.all(clients.map((client) => nextLine(client.out, "results")));
  const cpuAfter = await cpuSeconds(server.pid);
  const rssMiB = await residentMiB(server.pid);
  writing = false;
  await feeding;
  await writer.close().catch(() => {});
  server.kill("SIGTERM");
  await server.status;
  await Promise.all(clients.map((client) => client.child.status));

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
