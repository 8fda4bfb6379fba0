/**
 * `deno task bench`: liveplot against the servers a user would pick instead.
 *
 * Fan-out cases (viewers × source points per second): a source writes
 * timestamped lines every 10 ms (a point's last field is its send time, in ms
 * since the epoch); each server forwards them to every viewer. Peers, each
 * forwarding every read as one message: a bare `Deno.serve` broadcaster, Bun's
 * `server.publish`, nginx + nchan (the source POSTs each read) and a Node `ws`
 * broadcaster, when installed (`deno task bench:setup`); a missing peer is a
 * printed note. Viewers are Bun WebSocket clients (Deno's when Bun is
 * missing) in 1–4 processes whose CPU is measured; a row whose viewer process
 * used most of a core is flagged client-bound. liveplot's viewers ask for
 * binary frames (`liveplot-f64`) as its page does; `liveplot-text` is the same
 * server with viewers that get the seed's text lines. liveplot runs with the
 * environment its `deno task start` sets (deno.json).
 *
 * Per row: p50/p99/max delay, delivered fraction, server CPU seconds per 1M
 * delivered points (utime + stime of the server's process tree), server RSS,
 * messages per viewer per second and bytes per point (payload + frame
 * header). Servers are interleaved within each round; the table gives each
 * figure's median over the rounds, with ratios to liveplot.
 *
 * Also: the seed's routes (`GET /test` and `/echo` round trips at 1, 32 and
 * 256 connections, server CPU per operation against a bare-Deno server with
 * the same routes) and memory per idle WebSocket (RSS delta / N).
 *
 * Loopback only; every run is bounded in time and stops by itself.
 *
 * Usage: deno run -A bench/compare.ts [--quick] [--rounds N] [--case NAME]…
 *   [--server NAME]… [--measure S] [--cpu-prof DIR] [--json FILE]
 *   [--client bun|deno] [--viewers MAX (development: caps every case)]
 *   cases: 1000x1000 10000x100 100x10000 1x100000 1x100000-w2000 routes idle ingest redis
 *   servers: liveplot liveplot-text bun nchan deno node
 *
 * @module
 */

import { formatPageRow, runPageBench } from "./page.ts";
import { parseArgs } from "node:util";
import { nchanMissing, writeNchanConfig } from "./peers/nchan.ts";
import { freePort, lines, processTree, residentMiBOf, startTaskEnv } from "./proc.ts";
import { BINARY_PROTOCOL } from "../stream/frames.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BENCH = `${ROOT}bench/`;
/** Lines are written every TICK_MS, as a real source's bursts would be. */
const TICK_MS = 10;
/** Delays are recorded on about this many viewers per client process. */
const SAMPLED_PER_PROCESS = 25;
/** A viewer process that used this share of one core is the bottleneck. */
const CLIENT_BOUND_SHARE = 0.85;
const encoder = new TextEncoder();

// ---------------------------------------------------------------- options

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    case: { type: "string", multiple: true },
    server: { type: "string", multiple: true },
    measure: { type: "string" },
    "cpu-prof": { type: "string" },
    json: { type: "string" },
    viewers: { type: "string" },
    client: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(
    "Usage: deno task bench [--quick] [--rounds N] [--case NAME]… [--server NAME]… " +
      "[--measure S] [--cpu-prof DIR] [--json FILE] [--client bun|deno] [--viewers MAX]",
  );
  Deno.exit(0);
}
const QUICK = flags.quick;
const ROUNDS = Number(flags.rounds ?? (QUICK ? 1 : 3));
const MEASURE_MS = Number(flags.measure ?? (QUICK ? 2 : 5)) * 1000;
const WARMUP_MS = QUICK ? 1000 : 1500;
const ROUTE_MEASURE_MS = QUICK ? 1000 : 1500;
const IDLE_SOCKETS = QUICK ? 1000 : 2000;
const CPU_PROF_DIR = flags["cpu-prof"];
/** For development runs: caps every case's viewer count. */
const MAX_VIEWERS = flags.viewers ? Number(flags.viewers) : Infinity;

// ---------------------------------------------------------------- cases

/** One fan-out load. */
export interface FanOutCase {
  name: string;
  label: string;
  viewers: number;
  rate: number;
  /** liveplot's `--window`; undefined keeps its default. */
  window?: number;
  /** Only these servers (the others' rows would repeat another case's). */
  only?: string[];
}

const FAN_OUT_CASES: FanOutCase[] = [
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
const OTHER_CASES = ["routes", "idle", "ingest", "redis", "page"];
const ALL_CASES = [...FAN_OUT_CASES.map((c) => c.name), ...OTHER_CASES];
for (const name of flags.case ?? []) {
  if (!ALL_CASES.includes(name)) {
    console.error(`Unknown case "${name}": one of ${ALL_CASES.join(", ")}`);
    Deno.exit(1);
  }
}
function wanted(name: string): boolean {
  return !flags.case || flags.case.includes(name);
}

// ---------------------------------------------------------------- processes

function now(): number {
  return performance.timeOrigin + performance.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function nextLine(iterator: AsyncIterator<string>, what: string, ms = 60_000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    const next = await Promise.race([iterator.next(), timeout]);
    if (next.done) throw new Error(`${what}: the process ended`);
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

/** A child process with its stdout as lines and the tail of its stderr. */
interface Child {
  process: Deno.ChildProcess;
  out: AsyncIterator<string>;
  errTail: () => string;
}

/** Spawns `command` with the open-file limit raised to the hard limit. */
function spawn(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const process = new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...command],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
    env: options.env,
  }).spawn();
  let tail = "";
  (async () => {
    for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) {
      tail = (tail + text).slice(-2000);
    }
  })().catch(() => {});
  return { process, out: lines(process.stdout), errTail: () => tail.trim() } satisfies Child;
}

async function stopChild(child: Child, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  try {
    child.process.kill(signal);
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 3000);
  await child.process.status;
  clearTimeout(timer);
  await child.process.stdin.close().catch(() => {});
}

/** CPU seconds (user + system) of processes, from /proc/PID/stat. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* gone */ }
  }
  return ticks / 100;
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = Deno.readTextFileSync("/proc/stat").split("\n")[0]!.trim().split(/\s+/).slice(1)
    .map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

async function commandOutput(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { success, stdout, stderr } = await new Deno.Command(command, { args }).output();
    if (!success) return undefined;
    return (new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr)).trim();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- servers

/** A running server under test. */
export interface Server {
  name: string;
  /** Process ids whose CPU and memory count as the server's. */
  pids: () => number[];
  /** WebSocket URLs viewers connect to (spread evenly). */
  viewerUrls: string[];
  /** The subprotocol viewers offer: liveplot's page asks for binary frames. */
  protocol?: string;
  /** Sends one read's bytes to the server (stdin write or HTTP POST). */
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>;
  /** Ends the server's standard input (stdin servers only). */
  closeInput?: () => Promise<void>;
  stop: () => Promise<void>;
}

interface Peer {
  name: string;
  /** Why it cannot run here, or undefined. */
  missing: () => Promise<string | undefined>;
  start: (fanOut: FanOutCase | undefined) => Promise<Server>;
}

/** Starts a server that reads standard input and prints `listening on URL`. */
async function startStdinServer(
  name: string,
  command: string[],
  path: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Server> {
  const child = spawn(command, options);
  let url: string | undefined;
  while (!url) {
    const line = await nextLine(child.out, `${name} start`, 30_000).catch((error) => {
      throw new Error(`${error.message}: ${child.errTail()}`);
    });
    url = /listening on (\S+)/.exec(line)?.[1];
  }
  (async () => {
    for (;;) if ((await child.out.next()).done) break;
  })().catch(() => {});
  const writer = child.process.stdin.getWriter();
  const pid = child.process.pid;
  return {
    name,
    pids: () => processTree(pid),
    viewerUrls: [url.replace(/^http/, "ws").replace(/\/?$/, "/") + path],
    publish: (bytes) => writer.write(bytes),
    closeInput: () => writer.close(),
    stop: async () => {
      writer.releaseLock();
      await stopChild(child);
    },
  };
}

const deno = Deno.execPath();
/** liveplot runs with what `deno task start` sets (deno.json), as users' does. */
const LIVEPLOT_ENV = startTaskEnv();

/** `deno run` flags that make a liveplot process write a CPU profile on exit. */
function profileFlags(): string[] {
  return CPU_PROF_DIR ? [`--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
}
let bunVersion: string | undefined;
let nodeWsMissing: string | undefined;

/** liveplot reading the source on standard input; its viewers offer `protocol`. */
async function startLiveplot(fanOut: FanOutCase | undefined, protocol?: string): Promise<Server> {
  const window = fanOut?.window ? ["--window", String(fanOut.window)] : [];
  const args = [
    ...["--port", "0", "--no-open", "--quiet", "--x", "index", "--max-clients", "20000"],
    ...window,
    "-",
  ];
  const server = await startStdinServer(
    "liveplot",
    [
      ...[deno, "run", "-A", ...profileFlags(), `${ROOT}main.ts`],
      ...args,
    ],
    "data",
    { env: LIVEPLOT_ENV },
  );
  return { ...server, protocol };
}

const PEERS: Peer[] = [
  {
    // Viewers get what the page gets: binary frames (`liveplot-f64`).
    name: "liveplot",
    missing: () => Promise.resolve(undefined),
    start: (fanOut) => startLiveplot(fanOut, BINARY_PROTOCOL),
  },
  {
    // Viewers get what a client written for the seed gets: text lines.
    name: "liveplot-text",
    missing: () => Promise.resolve(undefined),
    start: (fanOut) => startLiveplot(fanOut),
  },
  {
    name: "bun",
    missing: () => Promise.resolve(bunVersion ? undefined : "bun not found"),
    start: () => startStdinServer("bun", ["bun", `${BENCH}peers/bun_server.ts`], "data"),
  },
  {
    name: "nchan",
    missing: nchanMissing,
    start: async () => {
      const dir = await Deno.makeTempDir({ prefix: "liveplot-bench-nchan-" });
      const setup = await writeNchanConfig(dir, freePort());
      const child = spawn(setup.command);
      const pid = child.process.pid;
      const deadline = now() + 10_000;
      for (;;) {
        try {
          const response = await fetch(setup.publishUrl, { method: "GET" });
          await response.body?.cancel();
          break;
        } catch (error) {
          if (now() > deadline) throw new Error(`nchan start: ${error} ${child.errTail()}`);
          await sleep(50);
        }
      }
      const client = Deno.createHttpClient({});
      let pending: Uint8Array<ArrayBuffer>[] = [];
      let wake: (() => void) | undefined;
      let running = true;
      let failure: string | undefined;
      const pump = (async () => {
        while (running) {
          if (pending.length === 0) {
            await new Promise<void>((resolve) => wake = resolve);
            continue;
          }
          const body = new Blob(pending);
          pending = [];
          try {
            const response = await fetch(setup.publishUrl, { method: "POST", body, client });
            await response.arrayBuffer();
          } catch (error) {
            failure = String(error);
            return;
          }
        }
      })();
      return {
        name: "nchan",
        pids: () => processTree(pid),
        viewerUrls: [setup.subscribeUrl],
        // Like a pipe read, each POST carries everything written since the
        // previous POST was answered: one message per "read", one in flight.
        publish: (bytes) => {
          if (failure) return Promise.reject(new Error(`nchan publish: ${failure}`));
          pending.push(bytes);
          wake?.();
          return Promise.resolve();
        },
        stop: async () => {
          running = false;
          wake?.();
          await pump;
          client.close();
          await stopChild(child);
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        },
      };
    },
  },
  {
    name: "deno",
    missing: () => Promise.resolve(undefined),
    start: () =>
      startStdinServer("deno", [deno, "run", "-A", `${BENCH}peers/deno_server.ts`], "data"),
  },
  {
    name: "node",
    missing: () => Promise.resolve(nodeWsMissing),
    start: () => startStdinServer("node", ["node", `${BENCH}peers/node_server.cjs`], "data"),
  },
];

// ---------------------------------------------------------------- fan-out

interface ViewerReport {
  opened: number;
  failed: number;
  messages: number;
  points: number;
  bytes: number;
  sampledPoints: number;
  maxDelay: number;
  negative: number;
  closedEarly: number;
  sampledOpen: number;
  stampedInWindow: number;
  buckets: [number, number][];
}

/** One fan-out run's figures. */
export interface FanOutResult {
  server: string;
  case: string;
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  cpuPerMillion: number;
  rssMiB: number;
  messagesPerViewerSecond: number;
  bytesPerPoint: number;
  /** Seconds it took to open every viewer. */
  openSeconds: number;
  /** Highest share of one core used by a viewer process. */
  clientShare: number;
  /** Share of the whole machine busy (/proc/stat), and the part not used by server, source and viewers. */
  machineShare: number;
  othersShare: number;
  opened: number;
  lost: number;
  /** Points the source sent during the window, received points, server CPU s. */
  sent: number;
  points: number;
  serverCpu: number;
  note?: string;
}

/** Viewer processes run on Bun unless it is missing or `--client deno` says otherwise. */
function viewerCommand(): string[] {
  return bunVersion && flags.client !== "deno"
    ? ["bun", `${BENCH}viewer_client.ts`]
    : [deno, "run", "-A", `${BENCH}viewer_client.ts`];
}

function viewerProcesses(viewers: number): number {
  if (viewers <= 1) return 1;
  return Math.min(4, Math.max(2, Math.ceil(viewers / 2500)));
}

/** Opens `viewers` viewers over `urls` in client processes; resolves once all are open. */
async function openViewers(urls: string[], viewers: number, protocol = "") {
  const processes = viewerProcesses(viewers);
  const clients: Child[] = [];
  for (let p = 0; p < processes; p++) {
    const count = Math.floor(viewers / processes) + (p < viewers % processes ? 1 : 0);
    const sampleEvery = Math.max(1, Math.floor(count / SAMPLED_PER_PROCESS));
    clients.push(
      spawn([...viewerCommand(), urls.join(","), String(count), String(sampleEvery), protocol]),
    );
  }
  let opened = 0;
  let failed = 0;
  try {
    for (const client of clients) {
      const line = await nextLine(client.out, "viewers", 120_000).catch((error) => {
        throw new Error(`${error.message}: ${client.errTail()}`);
      });
      const [, open, bad] = line.split(" ").map(Number) as [number, number, number];
      opened += open;
      failed += bad;
    }
  } catch (error) {
    await Promise.all(clients.map((client) => stopChild(client)));
    throw error;
  }
  return { clients, opened, failed };
}

/** Writes timestamped lines at `rate` per second in TICK_MS bursts until stopped. */
function startSource(publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>, rate: number) {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const stamps: number[] = [];
  let running = true;
  let failure: unknown;
  const done = (async () => {
    let next = now();
    while (running) {
      const stamp = now();
      await publish(encoder.encode(`${stamp.toFixed(3)}\n`.repeat(perTick)));
      stamps.push(stamp);
      next += TICK_MS;
      if (next < now() - 1000) next = now(); // never burst more than a second's worth
      await sleep(next - now());
    }
  })().catch((error) => failure = error);
  return {
    sentBetween: (t0: number, t1: number) =>
      stamps.filter((stamp) => stamp >= t0 && stamp <= t1).length * perTick,
    /** Stops writing; a write stuck on a server that stopped reading is left behind. */
    stop: async () => {
      running = false;
      await Promise.race([done, sleep(5000)]);
      if (failure) throw failure;
    },
  };
}

function percentileOf(buckets: Map<number, number>, total: number, p: number): number {
  if (total === 0) return NaN;
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (const [value, count] of [...buckets].sort((a, b) => a[0] - b[0])) {
    seen += count;
    if (seen >= rank) return value + (value < 100 ? 0.025 : 0.5);
  }
  return NaN;
}

/**
 * Measures one fan-out run on servers already started: opens the viewers on
 * `viewerUrls`, feeds `publish`, and reads CPU and memory of `pids`. Exported
 * for the Redis rows, where the URLs are several liveplot processes.
 */
export async function measureFanOut(
  name: string,
  fanOut: FanOutCase,
  viewerUrls: string[],
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>,
  pids: () => number[],
  protocol?: string,
): Promise<FanOutResult> {
  const openStarted = now();
  const { clients, opened, failed } = await openViewers(
    viewerUrls,
    Math.min(fanOut.viewers, MAX_VIEWERS),
    protocol,
  );
  let source: ReturnType<typeof startSource> | undefined;
  try {
    source = startSource(publish, fanOut.rate);
    await sleep(WARMUP_MS);
    const t0 = now() + 100;
    const t1 = t0 + MEASURE_MS;
    // Delivered = points stamped in [t0, s1] that arrive by t1 + 0.5 s (viewer_client's
    // TAIL_MS): a point counts as delivered within 40% of the window + 0.5 s.
    const s1 = t1 - MEASURE_MS * 0.4;
    for (const client of clients) {
      const writer = client.process.stdin.getWriter();
      await writer.write(encoder.encode(`${t0} ${t1} ${s1}\n`));
      writer.releaseLock();
    }
    const clientPids = clients.map((client) => client.process.pid);
    await sleep(t0 - now());
    const serverPids = pids();
    const serverCpu0 = cpuSeconds(serverPids);
    const clientCpu0 = clientPids.map((pid) => cpuSeconds([pid]));
    const machine0 = machineTicks();
    const self0 = cpuSeconds([Deno.pid]);
    await sleep(t1 - now());
    const serverCpu = cpuSeconds(serverPids) - serverCpu0;
    const clientCpu = clientPids.map((pid, i) => cpuSeconds([pid]) - clientCpu0[i]!);
    const machine1 = machineTicks();
    const sourceCpu = cpuSeconds([Deno.pid]) - self0;
    const machineBusy = (machine1.busy - machine0.busy) / (machine1.total - machine0.total);
    const ownShare = (serverCpu + sourceCpu + clientCpu.reduce((a, b) => a + b, 0)) /
      (MEASURE_MS / 1000) / navigator.hardwareConcurrency;
    const rssMiB = residentMiBOf(serverPids);
    const reports = await Promise.all(
      clients.map(async (client) =>
        JSON.parse(await nextLine(client.out, "viewer results", 30_000)) as ViewerReport
      ),
    );
    await source.stop();

    const seconds = MEASURE_MS / 1000;
    const points = reports.reduce((sum, r) => sum + r.points, 0);
    const messages = reports.reduce((sum, r) => sum + r.messages, 0);
    const bytes = reports.reduce((sum, r) => sum + r.bytes, 0);
    const buckets = new Map<number, number>();
    let sampled = 0;
    for (const report of reports) {
      for (const [value, count] of report.buckets) {
        buckets.set(value, (buckets.get(value) ?? 0) + count);
        sampled += count;
      }
    }
    const p50 = percentileOf(buckets, sampled, 0.5);
    const sent = source.sentBetween(t0, s1);
    const stamped = reports.reduce((sum, r) => sum + r.stampedInWindow, 0);
    const sampledOpen = reports.reduce((sum, r) => sum + r.sampledOpen, 0);
    const negative = reports.reduce((sum, r) => sum + r.negative, 0);
    const lost = failed + reports.reduce((sum, r) => sum + r.closedEarly, 0);
    const notes = [];
    if (failed > 0) notes.push(`${failed} viewers could not connect`);
    if (points === 0) notes.push("no points received");
    const expected = Math.max(1, Math.round((fanOut.rate * TICK_MS) / 1000)) *
      Math.floor((s1 - t0) / TICK_MS);
    if (sent < expected * 0.9) {
      notes.push(`source held back: ${fmt((sent / expected) * 100, 0)}% of its rate`);
    }
    if (negative > sampled * 0.01) notes.push(`${negative} negative delays`);
    return {
      server: name,
      case: fanOut.name,
      p50,
      p99: percentileOf(buckets, sampled, 0.99),
      max: Math.max(...reports.map((r) => r.maxDelay)),
      delivered: sent > 0 && sampledOpen > 0 ? stamped / (sent * sampledOpen) : NaN,
      cpuPerMillion: points > 0 ? (serverCpu * 1e6) / points : NaN,
      rssMiB,
      messagesPerViewerSecond: opened > 0 ? messages / opened / seconds : NaN,
      bytesPerPoint: points > 0 ? bytes / points : NaN,
      clientShare: Math.max(...clientCpu) / seconds,
      openSeconds: (t0 - WARMUP_MS - 100 - openStarted) / 1000,
      machineShare: machineBusy,
      othersShare: Math.max(0, machineBusy - ownShare),
      opened,
      lost,
      sent,
      points,
      serverCpu,
      note: notes.join("; ") || undefined,
    };
  } finally {
    await source?.stop().catch(() => {});
    await Promise.all(clients.map((client) => stopChild(client)));
  }
}

async function runFanOut(peer: Peer, fanOut: FanOutCase): Promise<FanOutResult> {
  const server = await peer.start(fanOut);
  try {
    return await measureFanOut(
      peer.name,
      fanOut,
      server.viewerUrls,
      server.publish,
      server.pids,
      server.protocol,
    );
  } finally {
    await server.stop();
  }
}

/** What `bench/redis_fan_out.ts` (part 8's Redis rows) provides. */
interface RedisModule {
  startRedisServers: (processes: number, fanOut: FanOutCase) => Promise<
    {
      viewerUrls: string[];
      pids: () => number[];
      publish: Server["publish"];
      stop: () => Promise<void>;
    } | string
  >;
}

/** Liveplot process counts of the Redis rows (1 writer + the rest viewer-only). */
const REDIS_PROCESSES = [2, 4];

/**
 * A Redis row: `processes` liveplot processes joined by Redis
 * (`startRedisServers` in redis_fan_out.ts), viewers spread over all of them.
 * Returns a string when the rows cannot run here (a note, not a failure).
 */
async function runRedis(processes: number, fanOut: FanOutCase): Promise<FanOutResult | string> {
  let module: RedisModule;
  try {
    module = await import("./redis_fan_out.ts");
  } catch (error) {
    return `bench/redis_fan_out.ts cannot be loaded: ${
      error instanceof Error ? error.message : error
    }`;
  }
  const servers = await module.startRedisServers(processes, fanOut);
  if (typeof servers === "string") return servers;
  try {
    return await measureFanOut(
      `liveplot ×${processes} + Redis`,
      fanOut,
      servers.viewerUrls,
      servers.publish,
      servers.pids,
      BINARY_PROTOCOL,
    );
  } finally {
    await servers.stop();
  }
}

// ---------------------------------------------------------------- routes

interface RouteResult {
  server: string;
  route: string;
  conns: number;
  opsPerSecond: number;
  cpuMicrosPerOp: number;
  /** Connections the server closed or broke mid-run. */
  errors: number;
}

async function startRouteServer(name: string): Promise<{ child: Child; url: string }> {
  const command = name === "liveplot"
    ? [
      deno,
      "run",
      "-A",
      ...profileFlags(),
      `${ROOT}main.ts`,
      "--port",
      "0",
      "--no-open",
      "--quiet",
    ]
    : [deno, "run", "-A", `${BENCH}peers/deno_routes.ts`];
  const child = spawn(command, name === "liveplot" ? { env: LIVEPLOT_ENV } : {});
  let url: string | undefined;
  while (!url) url = /listening on (\S+)/.exec(await nextLine(child.out, `${name} start`))?.[1];
  (async () => {
    for (;;) if ((await child.out.next()).done) break;
  })().catch(() => {});
  return { child, url: url.replace(/\/?$/, "/") };
}

async function measureRoute(
  server: string,
  pid: number,
  route: "test" | "echo",
  url: string,
  conns: number,
): Promise<RouteResult> {
  const target = route === "test" ? `${url}test` : `${url.replace(/^http/, "ws")}echo`;
  const client = spawn([
    deno,
    "run",
    "-A",
    `${BENCH}load_client.ts`,
    route === "test" ? "http" : "echo",
    target,
    String(conns),
  ]);
  try {
    await nextLine(client.out, "load client").catch((error) => {
      throw new Error(`${error.message}: ${client.errTail()}`);
    });
    const t0 = now() + 300;
    const t1 = t0 + ROUTE_MEASURE_MS;
    const writer = client.process.stdin.getWriter();
    await writer.write(encoder.encode(`${t0} ${t1}\n`));
    writer.releaseLock();
    await sleep(t0 - now());
    const cpu0 = cpuSeconds([pid]);
    await sleep(t1 - now());
    const cpu = cpuSeconds([pid]) - cpu0;
    const { ops, errors } = JSON.parse(await nextLine(client.out, "load results")) as {
      ops: number;
      errors: number;
    };
    return {
      server,
      route,
      conns,
      opsPerSecond: ops / (ROUTE_MEASURE_MS / 1000),
      cpuMicrosPerOp: ops > 0 ? (cpu * 1e6) / ops : NaN,
      errors,
    };
  } finally {
    await stopChild(client);
  }
}

async function runRoutes(name: string): Promise<RouteResult[]> {
  const { child, url } = await startRouteServer(name);
  const results = [];
  try {
    for (const route of ["test", "echo"] as const) {
      for (const conns of [1, 32, 256]) {
        results.push(await measureRoute(name, child.process.pid, route, url, conns));
      }
    }
  } finally {
    await stopChild(child);
  }
  return results;
}

// ---------------------------------------------------------------- ingest

/** Lines fed to liveplot in the ingest rows (3 columns each). */
const INGEST_LINES = QUICK ? 1_000_000 : 3_000_000;

interface IngestResult {
  format: string;
  pointsPerSecond: number;
  cpuPerMillion: number;
  rssMiB: number;
}

/** Whether liveplot's `/data` says the source has ended. */
async function sourceEnded(socketUrl: string): Promise<boolean> {
  const socket = new WebSocket(socketUrl);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000);
      socket.onmessage = (event) => {
        const data = String(event.data);
        if (!data.startsWith("{")) return;
        const message = JSON.parse(data) as { type?: string; state?: string };
        if (message.type !== "status") return;
        clearTimeout(timer);
        resolve(message.state === "ended");
      };
      socket.onerror = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
  } finally {
    socket.close();
  }
}

/**
 * Ingest with no viewer: INGEST_LINES rows of 3 numbers written to liveplot's
 * standard input as fast as it takes them, timed from the first write to the
 * status saying the source ended.
 */
async function runIngest(format: "columns" | "csv"): Promise<IngestResult> {
  const separator = format === "csv" ? "," : " ";
  let text = "";
  for (let i = 0; i < 10_000; i++) {
    text += [i * 0.5, Math.sin(i).toFixed(6), (i % 977) * 1.25].join(separator) + "\n";
  }
  const chunk = encoder.encode(text);
  const server = await startStdinServer(
    "liveplot",
    [
      ...[deno, "run", "-A", ...profileFlags(), `${ROOT}main.ts`, "--port", "0", "--no-open"],
      ...["--quiet", "--x", "index", "--format", format, "-"],
    ],
    "data",
    { env: LIVEPLOT_ENV },
  );
  try {
    const pids = server.pids();
    const cpu0 = cpuSeconds(pids);
    const started = now();
    for (let written = 0; written < INGEST_LINES; written += 10_000) {
      await server.publish(chunk);
    }
    await server.closeInput?.();
    const deadline = now() + 120_000;
    while (!(await sourceEnded(server.viewerUrls[0]!))) {
      if (now() > deadline) throw new Error("ingest: the source never ended");
      await sleep(20);
    }
    const seconds = (now() - started) / 1000;
    const points = Math.ceil(INGEST_LINES / 10_000) * 10_000 * 3;
    return {
      format,
      pointsPerSecond: points / seconds,
      cpuPerMillion: ((cpuSeconds(pids) - cpu0) * 1e6) / points,
      rssMiB: residentMiBOf(pids),
    };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- idle memory

async function runIdle(peer: Peer): Promise<number> {
  const server = await peer.start(undefined);
  try {
    // One viewer first, so lazily built per-socket machinery is not counted.
    const first = await openViewers(server.viewerUrls, 1);
    await sleep(500);
    const before = residentMiBOf(server.pids());
    const { clients, opened } = await openViewers(server.viewerUrls, IDLE_SOCKETS);
    await sleep(1000);
    const after = residentMiBOf(server.pids());
    await Promise.all([...first.clients, ...clients].map((client) => stopChild(client)));
    return ((after - before) * 1024) / opened;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- report

function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return "–";
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString("en-US", {
    maximumFractionDigits: places,
    minimumFractionDigits: places,
  });
}

function ratio(value: number, base: number | undefined): string {
  if (base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base === 0) {
    return "";
  }
  return ` (${fmt(value / base, 2)}×)`;
}

/** One note per kind over the rounds: "source held back: 80%/71% of its rate". */
function mergeNotes(notes: string[]): string[] {
  const kinds = new Map<string, string[]>();
  for (const note of notes) {
    const kind = note.replace(/[\d.,]+/g, "#");
    kinds.set(kind, [...(kinds.get(kind) ?? []), ...(note.match(/[\d.,]+/g) ?? [])]);
  }
  return [...kinds].map(([kind, values]) => {
    const slots = (kind.match(/#/g) ?? []).length;
    if (slots !== 1) return kind.replace(/#/g, () => values.shift() ?? "");
    return kind.replace("#", values.join("/"));
  });
}

function fanOutTable(results: FanOutResult[], servers: string[]): string[] {
  const out = [
    "| case | server | p50 ms | p99 ms | max ms | delivered | CPU s / 1M pts | server core | RSS MiB | msgs / viewer / s | bytes / pt | client CPU | flags |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const fanOut of FAN_OUT_CASES) {
    const rows = results.filter((r) => r.case === fanOut.name);
    if (rows.length === 0) continue;
    const med = (server: string, key: keyof FanOutResult) =>
      median(rows.filter((r) => r.server === server).map((r) => r[key] as number));
    const base = (key: keyof FanOutResult) =>
      rows.some((r) => r.server === "liveplot") ? med("liveplot", key) : undefined;
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
      out.push(
        `| ${first ? fanOut.label : ""} | ${server} | ${fmt(med(server, "p50"))}${
          ratio(med(server, "p50"), base("p50"))
        } | ${fmt(med(server, "p99"))}${ratio(med(server, "p99"), base("p99"))} | ${
          fmt(med(server, "max"))
        } | ${fmt(med(server, "delivered") * 100, 1)}% | ${fmt(med(server, "cpuPerMillion"), 3)}${
          ratio(med(server, "cpuPerMillion"), base("cpuPerMillion"))
        } | ${fmt(med(server, "serverCpu") / (MEASURE_MS / 1000), 2)} | ${
          fmt(med(server, "rssMiB"), 0)
        }${ratio(med(server, "rssMiB"), base("rssMiB"))} | ${
          fmt(med(server, "messagesPerViewerSecond"), 1)
        } | ${fmt(med(server, "bytesPerPoint"), 1)} | ${
          fmt(med(server, "clientShare") * 100, 0)
        }% | ${flags.join("; ")} |`,
      );
      first = false;
    }
  }
  return out;
}

function routesTable(results: RouteResult[]): string[] {
  const out = [
    "| route | connections | liveplot µs CPU / op | bare Deno µs CPU / op | liveplot / bare | liveplot ops/s | bare ops/s | broken connections |",
    "|---|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const route of ["test", "echo"]) {
    for (const conns of [1, 32, 256]) {
      const pick = (server: string, key: keyof RouteResult) =>
        median(
          results.filter((r) => r.server === server && r.route === route && r.conns === conns)
            .map((r) => r[key] as number),
        );
      const live = pick("liveplot", "cpuMicrosPerOp");
      const bare = pick("deno", "cpuMicrosPerOp");
      out.push(
        `| ${route === "test" ? "HTTP GET /test" : "WebSocket /echo round trip"} | ${conns} | ${
          fmt(live, 1)
        } | ${fmt(bare, 1)} | ${fmt(live / bare, 2)}× | ${
          fmt(pick("liveplot", "opsPerSecond"), 0)
        } | ${fmt(pick("deno", "opsPerSecond"), 0)} | ${
          results.filter((r) => r.route === route && r.conns === conns)
            .reduce((sum, r) => sum + r.errors, 0)
        } |`,
      );
    }
  }
  return out;
}

/** Top functions by self time in a V8 .cpuprofile. */
export async function profileSummary(dir: string, top = 15): Promise<string[]> {
  const files = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".cpuprofile")) files.push(`${dir}/${entry.name}`);
  }
  const out: string[] = [];
  for (const file of files.sort()) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as {
      nodes: {
        id: number;
        callFrame: { functionName: string; url: string; lineNumber: number };
      }[];
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    const byFile = new Map<string, number>();
    let busy = 0;
    let idle = 0;
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!.callFrame;
      const delta = profile.timeDeltas[i] ?? 0;
      if (frame.functionName === "(idle)") {
        idle += delta;
        return;
      }
      const file = frame.url.replace(`file://${ROOT}`, "");
      const where = file ? `${file}:${frame.lineNumber + 1}` : "";
      const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + delta);
      const group = file || frame.functionName;
      byFile.set(group, (byFile.get(group) ?? 0) + delta);
      busy += delta;
    });
    out.push(
      `${file}: ${fmt(busy / 1e6, 2)} s busy, ${fmt(idle / 1e6, 2)} s idle ` +
        "(start-up included); self time as % of busy:",
    );
    for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out.push(`  ${fmt((micros / busy) * 100, 1)}%  ${key}`);
    }
    out.push("  by file:");
    for (const [key, micros] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      out.push(`  ${fmt((micros / busy) * 100, 1)}%  ${key}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- main

if (import.meta.main) {
  bunVersion = await commandOutput("bun", ["--version"]);
  const nodeVersion = await commandOutput("node", ["--version"]);
  if (!nodeVersion) nodeWsMissing = "node not found";
  else {
    try {
      await Deno.stat(`${BENCH}peers/node_modules/ws/package.json`);
    } catch {
      nodeWsMissing = "ws not installed in bench/peers/node_modules";
    }
  }
  const nginxVersion = await commandOutput("nginx", ["-v"]);
  const hardLimit = Number(await commandOutput("sh", ["-c", "ulimit -Hn"]));
  const cpuModel = /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1];
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

  const notes: string[] = [];
  const available: Peer[] = [];
  for (const peer of PEERS) {
    if (flags.server && !flags.server.includes(peer.name)) continue;
    const missing = await peer.missing();
    if (missing) notes.push(`${peer.name}: skipped (${missing}; see \`deno task bench:setup\`)`);
    else available.push(peer);
  }
  const servers = available.map((peer) => peer.name);
  if (CPU_PROF_DIR) await Deno.mkdir(CPU_PROF_DIR, { recursive: true });

  console.log(
    `# liveplot comparison bench, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC` +
      `${QUICK ? " (quick)" : ""}\n\n` +
      `${navigator.hardwareConcurrency} cores (${cpuModel}), load average at start ${load}; ` +
      `Deno ${Deno.version.deno}, Bun ${bunVersion ?? "–"}, ${nginxVersion ?? "nginx –"}, ` +
      `Node ${nodeVersion ?? "–"}. Viewers: ${
        viewerCommand()[0] === "bun" ? "Bun" : "Deno"
      } WebSocket clients ` +
      `in 1–4 processes. ${ROUNDS} round(s), ${MEASURE_MS / 1000} s measured after ` +
      `${WARMUP_MS / 1000} s warm-up per row; medians over rounds; (×) = ratio to liveplot.\n`,
  );
  if (MAX_VIEWERS < Infinity) notes.push(`viewers capped at ${MAX_VIEWERS} (--viewers)`);
  for (const note of notes) console.log(`- ${note}`);
  if (hardLimit < 10_500 && wanted("10000x100")) {
    console.log(`- open-file hard limit ${hardLimit}: 10,000 viewers may fail to connect`);
  }

  const fanOut: FanOutResult[] = [];
  const redisNotes: string[] = [];
  const routes: RouteResult[] = [];
  const idle = new Map<string, number>();
  const ingest: IngestResult[] = [];
  const errors: string[] = [];
  const cases = FAN_OUT_CASES.filter((c) => wanted(c.name));
  for (let round = 0; round < ROUNDS; round++) {
    for (const fanOutCase of cases) {
      // Rotate the order each round so no server always runs first.
      const order = available.map((_, i) => available[(i + round) % available.length]!);
      for (const peer of order) {
        if (fanOutCase.only && !fanOutCase.only.includes(peer.name)) continue;
        const started = now();
        try {
          const result = await runFanOut(peer, fanOutCase);
          fanOut.push(result);
          console.error(
            `round ${round + 1} ${fanOutCase.name} ${peer.name}: p99 ${fmt(result.p99)} ms, ` +
              `delivered ${fmt(result.delivered * 100, 1)}%, CPU ${
                fmt(result.cpuPerMillion, 3)
              } s/1M, ` +
              `client ${fmt(result.clientShare * 100, 0)}% (opening ${
                fmt(result.openSeconds, 1)
              } s, row ${fmt((now() - started) / 1000, 1)} s)`,
          );
        } catch (error) {
          const message = `${fanOutCase.name} ${peer.name} round ${round + 1}: ${
            error instanceof Error ? error.message : error
          }`;
          errors.push(message);
          console.error(`failed: ${message}`);
        }
      }
    }
    if (wanted("redis") && (!flags.server || flags.server.includes("redis"))) {
      // 1,000 × 1,000 and 10,000 × 100, spread over 2 and 4 processes.
      for (const redisCase of FAN_OUT_CASES.slice(0, 2)) {
        for (const processes of REDIS_PROCESSES) {
          if (redisNotes.length > 0) break;
          try {
            const result = await runRedis(processes, redisCase);
            if (typeof result === "string") {
              redisNotes.push(`redis rows: skipped (${result})`);
              break;
            }
            fanOut.push(result);
            if (!servers.includes(result.server)) servers.push(result.server);
            console.error(
              `round ${round + 1} ${redisCase.name} ${result.server}: p99 ${fmt(result.p99)} ms, ` +
                `delivered ${fmt(result.delivered * 100, 1)}%`,
            );
          } catch (error) {
            errors.push(
              `redis ×${processes} ${redisCase.name} round ${round + 1}: ${
                error instanceof Error ? error.message : error
              }`,
            );
          }
        }
      }
    }
    if (wanted("routes") && (!flags.server || flags.server.includes("liveplot"))) {
      for (const name of round % 2 ? ["deno", "liveplot"] : ["liveplot", "deno"]) {
        try {
          routes.push(...await runRoutes(name));
          console.error(`round ${round + 1} routes ${name}: done`);
        } catch (error) {
          errors.push(`routes ${name}: ${error instanceof Error ? error.message : error}`);
        }
      }
    }
  }
  if (wanted("ingest") && (!flags.server || flags.server.includes("liveplot"))) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const format of ["columns", "csv"] as const) {
        try {
          ingest.push(await runIngest(format));
        } catch (error) {
          errors.push(`ingest ${format}: ${error instanceof Error ? error.message : error}`);
        }
      }
    }
  }
  let pageRow: string | undefined;
  if (wanted("page")) {
    try {
      // 10 minutes in a full run (the page's memory must stay flat once the window is full).
      pageRow = formatPageRow(
        await runPageBench({
          series: 8,
          rate: 1000,
          points: 100_000,
          measureSeconds: QUICK ? 5 : 10,
          minutes: QUICK ? 1 : 10,
        }),
      );
    } catch (error) {
      errors.push(`page: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (wanted("idle")) {
    for (const peer of available) {
      try {
        idle.set(peer.name, await runIdle(peer));
      } catch (error) {
        errors.push(`idle ${peer.name}: ${error instanceof Error ? error.message : error}`);
      }
    }
  }

  console.log("\n## Fan-out\n");
  if (fanOut.length > 0) console.log(fanOutTable(fanOut, servers).join("\n"));
  else console.log("(no fan-out rows)");
  if (fanOut.length > 0) {
    console.log(
      `\nclient CPU = busiest viewer process's share of one core; client-bound ≥ ${
        CLIENT_BOUND_SHARE * 100
      }%. Delays from ${SAMPLED_PER_PROCESS} sampled viewers per process. Delivered = share of ` +
        `the points sent in the first 60% of the window that reached the sampled viewers by 0.5 s ` +
        `after its end (at least ${
          fmt(MEASURE_MS * 0.4 / 1000 + 0.5, 1)
        } s after being sent). CPU and RSS: the ` +
        `server's process tree (nginx master + worker; Redis included in Redis rows); ` +
        "server core = its CPU time / wall time (1.00 = one core busy).",
    );
  }
  if (pageRow) console.log(`\n## Page (headless Chromium)\n\n${pageRow}`);
  if (routes.length > 0) {
    console.log("\n## Seed routes: server CPU per operation\n");
    console.log(routesTable(routes).join("\n"));
  }
  if (idle.size > 0) {
    console.log(`\n## Memory per idle WebSocket (${IDLE_SOCKETS} sockets, RSS delta / N)\n`);
    console.log(`| ${[...idle.keys()].join(" | ")} |`);
    console.log(`|${[...idle.keys()].map(() => "--:").join("|")}|`);
    console.log(`| ${[...idle.values()].map((kib) => `${fmt(kib, 1)} KiB`).join(" | ")} |`);
  }
  if (ingest.length > 0) {
    console.log(
      `\n## Ingest, no viewer (${INGEST_LINES.toLocaleString("en-US")} rows of 3 numbers ` +
        "on standard input, to the source-ended status)\n",
    );
    console.log("| format | points / s | CPU s / 1M pts | RSS MiB after |");
    console.log("|---|--:|--:|--:|");
    for (const format of ["columns", "csv"]) {
      const mine = ingest.filter((r) => r.format === format);
      if (mine.length === 0) continue;
      const med = (key: keyof IngestResult) => median(mine.map((r) => r[key] as number));
      console.log(
        `| ${format === "csv" ? "CSV (`--format csv`)" : "whitespace (`--format columns`)"} | ${
          fmt(med("pointsPerSecond"), 0)
        } | ${fmt(med("cpuPerMillion"), 3)} | ${fmt(med("rssMiB"), 0)} |`,
      );
    }
  }
  for (const note of redisNotes) console.log(`\n- ${note}`);
  if (errors.length > 0) {
    console.log("\n## Failed runs\n");
    for (const error of errors) console.log(`- ${error}`);
  }
  if (CPU_PROF_DIR) {
    console.log("\n## liveplot CPU profile\n");
    console.log((await profileSummary(CPU_PROF_DIR)).join("\n"));
  }
  if (flags.json) {
    await Deno.writeTextFile(
      flags.json,
      JSON.stringify(
        { date: new Date().toISOString(), fanOut, routes, idle: [...idle], errors },
        null,
        2,
      ),
    );
  }
}
