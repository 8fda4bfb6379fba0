/**
 * `deno task soak`: a bounded soak run against a real liveplot process.
 *
 * 2,000 clients for 60 s (SOAK_SECONDS): 1,000 echo clients, 900 viewers of
 * a live stream fed at 100 points/s, and 100 slots that keep connecting and
 * misbehaving (vanishing mid-stream, invalid frames, garbage bytes). Prints
 * the server's memory at start and end, the errors it logged, and what the
 * well-behaved clients lost (must be zero).
 *
 * First, on a server of its own, each kind of abuse in turn with the
 * server's memory and sockets before, during and after (`abuse.ts`;
 * SOAK_STDIN_MIB sets the stdin flood, 256 by default), and 300 + 100
 * stalled viewers on another (`stalled.ts`).
 *
 * Loopback only; bounded in time; stops by itself.
 *
 * @module
 */

import { residentMiB } from "../lib/proc.ts";
import { startServer, stopChild } from "../lib/process.ts";
import { BENCH, DENO, LIVEPLOT_ENV, ROOT } from "../lib/servers.ts";
import { sleep } from "../lib/time.ts";
import { formatAbuse, runAbuse } from "./abuse.ts";
import { runStalled } from "./stalled.ts";

const SECONDS = Number(Deno.env.get("SOAK_SECONDS") ?? 60);
const PROCESSES = 2;
const PER_PROCESS = { echo: 500, viewers: 450, chaos: 50 };

console.log("soak: abuse, one kind at a time");
const abuse = await runAbuse(Number(Deno.env.get("SOAK_STDIN_MIB") ?? 256));
// 300 stalled viewers of a slow stream and 100 of a full-speed one, on a process of their own.
abuse.rows.unshift(await runStalled());
console.log(formatAbuse(abuse.rows));
for (const note of abuse.notes) console.log(note);
const abuseHeld = abuse.rows.every((row) => row.held);

const stderr: string[] = [];
const { child: server, url } = await startServer(
  [DENO, "run", "-A", `${ROOT}main.ts`, "--port", "0", "--no-open", "--x", "index", "-"],
  "liveplot",
  // As users run it: with what `deno task start` sets.
  { stderrLines: stderr, env: LIVEPLOT_ENV },
);
const pid = server.process.pid;
console.log(`soak: ${url}, ${SECONDS} s, ${PROCESSES} client processes`);

const writer = server.process.stdin.getWriter();
let feeding = true;
let sequence = 0;
const feed = (async () => {
  while (feeding) {
    await writer.write(new TextEncoder().encode(`${sequence++}\n`));
    await sleep(10);
  }
})();

const startMiB = await residentMiB(pid);
const clients = Array.from({ length: PROCESSES }, () => {
  const args = [url, PER_PROCESS.echo, PER_PROCESS.viewers, PER_PROCESS.chaos, SECONDS].map(String);
  return new Deno.Command(DENO, {
    args: ["run", "-A", `${BENCH}soak/clients.ts`, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
});
let peakMiB = startMiB;
const samples: number[] = [];
let tick = 0;
const sampling = setInterval(async () => {
  const now = await residentMiB(pid).catch(() => 0);
  peakMiB = Math.max(peakMiB, now);
  if (++tick % 10 === 0) samples.push(now);
}, 1000);
const outputs = await Promise.all(clients);
clearInterval(sampling);
const endMiB = await residentMiB(pid);
feeding = false;
await feed;
await writer.close();
writer.releaseLock();
const status = await stopChild(server);

type Counts = {
  echoSent: number;
  echoReceived: number;
  echoOutOfOrder: number;
  viewerPoints: number;
  viewerGaps: number;
  viewerReductions: number;
  viewerReducedGaps: number;
  unexpectedCloses: Record<string, number>;
  chaosConnections: number;
  connectFailures: number;
};
const reports = outputs.map((output) =>
  JSON.parse(new TextDecoder().decode(output.stdout)) as Counts
);
const sum = (key: Exclude<keyof Counts, "unexpectedCloses">) =>
  reports.reduce((total, report) => total + report[key], 0);
const closes: Record<string, number> = {};
for (const report of reports) {
  for (const [code, count] of Object.entries(report.unexpectedCloses)) {
    closes[code] = (closes[code] ?? 0) + count;
  }
}
const events: Record<string, number> = {};
for (const line of stderr) {
  const event = /event=(\S+)/.exec(line)?.[1];
  if (event) events[event] = (events[event] ?? 0) + 1;
}
const errors = stderr.filter((line) =>
  line.startsWith("level=error") || /Uncaught|panicked/.test(line)
);
const lost = sum("echoSent") - sum("echoReceived") + sum("echoOutOfOrder") + sum("viewerGaps");

const mib = (value: number) => value.toFixed(0);
const rows: [string, string | number][] = [
  [
    "clients",
    `${PROCESSES * (PER_PROCESS.echo + PER_PROCESS.viewers + PER_PROCESS.chaos)} (echo ` +
    `${PROCESSES * PER_PROCESS.echo}, viewers ${PROCESSES * PER_PROCESS.viewers}, ` +
    `misbehaving slots ${PROCESSES * PER_PROCESS.chaos})`,
  ],
  ["duration", `${SECONDS} s`],
  [
    "server RSS before clients / peak / end",
    `${mib(startMiB)} / ${mib(peakMiB)} / ${mib(endMiB)} MiB`,
  ],
  ["server RSS every 10 s", `${samples.map(mib).join(", ")} MiB`],
  ["echo messages sent / received", `${sum("echoSent")} / ${sum("echoReceived")}`],
  ["points received by viewers", sum("viewerPoints")],
  [
    "viewers put on a reduced stream / points it left out",
    `${sum("viewerReductions")} / ${sum("viewerReducedGaps")}`,
  ],
  ["misbehaving connections made", sum("chaosConnections")],
  ["messages lost by well-behaved clients", lost],
  ["unexpected closes of well-behaved clients", JSON.stringify(closes)],
  ["failed connects", sum("connectFailures")],
  ["server log lines by event", JSON.stringify(events)],
  ["server errors (level=error, uncaught)", errors.length],
  ["server exit code after SIGTERM", status.code],
];
console.log("| measure | value |\n|---|---:|");
for (const [measure, value] of rows) console.log(`| ${measure} | ${value} |`);
if (errors.length > 0) console.log(errors.slice(0, 10).join("\n"));
Deno.exit(abuseHeld && lost === 0 && errors.length === 0 && status.code === 0 ? 0 : 1);
