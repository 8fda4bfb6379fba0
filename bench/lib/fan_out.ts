/**
 * One fan-out measurement, shared by the fan-out and Redis cases: viewer
 * processes (`clients/viewer_client.ts`, on Bun or Deno) open N WebSockets,
 * a source writes timestamped lines every TICK_MS, and the server's CPU and
 * memory are read from `/proc` over the measured window.
 *
 * @module
 */

import type { Context } from "./case.ts";
import { fmt } from "./format.ts";
import { cpuSeconds, machineTicks, residentMiBOf } from "./proc.ts";
import { type Child, nextLine, spawn, stopChild, writeLine } from "./process.ts";
import { BENCH, DENO } from "./servers.ts";
import { now, sleep } from "./time.ts";

/** Lines are written every TICK_MS, as a real source's bursts would be. */
export const TICK_MS = 10;
/** Delays are recorded on about this many viewers per client process. */
export const SAMPLED_PER_PROCESS = 25;
/** A viewer process that used this share of one core is the bottleneck. */
export const CLIENT_BOUND_SHARE = 0.85;
const encoder = new TextEncoder();

/** One fan-out load: viewers × source points per second. */
export interface FanOutLoad {
  name: string;
  label: string;
  viewers: number;
  rate: number;
  /** liveplot's `--window`; undefined keeps its default. */
  window?: number;
  /** Only these servers (the others' rows would repeat another case's). */
  only?: string[];
}

/** What one viewer process reports (clients/viewer_client.ts). */
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
  /** Share of the whole machine busy, and the part not used by server, source and viewers. */
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

/** The servers a fan-out row measures: where viewers connect, how to feed it, what to read. */
export interface FanOutTarget {
  name: string;
  viewerUrls: string[];
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>;
  pids: () => number[];
  protocol?: string;
}

/** Viewer processes run on Bun unless it is missing or `--client deno` says otherwise. */
export function viewerCommand(context: Context): string[] {
  return context.tools.bun && context.options.client === "bun"
    ? ["bun", `${BENCH}clients/viewer_client.ts`]
    : [DENO, "run", "-A", `${BENCH}clients/viewer_client.ts`];
}

function viewerProcesses(viewers: number): number {
  if (viewers <= 1) return 1;
  return Math.min(4, Math.max(2, Math.ceil(viewers / 2500)));
}

/** Opens `viewers` viewers over `urls` in client processes; resolves once all are open. */
export async function openViewers(
  context: Context,
  urls: string[],
  viewers: number,
  protocol = "",
): Promise<{ clients: Child[]; opened: number; failed: number }> {
  const processes = viewerProcesses(viewers);
  const clients: Child[] = [];
  for (let p = 0; p < processes; p++) {
    const count = Math.floor(viewers / processes) + (p < viewers % processes ? 1 : 0);
    const sampleEvery = Math.max(1, Math.floor(count / SAMPLED_PER_PROCESS));
    const args = [urls.join(","), String(count), String(sampleEvery), protocol];
    clients.push(spawn([...viewerCommand(context), ...args]));
  }
  let opened = 0;
  let failed = 0;
  try {
    for (const client of clients) {
      const line = await nextLine(client, "viewers", 120_000);
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
export function startSource(
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>,
  rate: number,
) {
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

/** The delay at quantile `q` of the viewers' histograms (bucket middle). */
function percentileOf(buckets: Map<number, number>, total: number, q: number): number {
  if (total === 0) return NaN;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (const [value, count] of [...buckets].sort((a, b) => a[0] - b[0])) {
    seen += count;
    if (seen >= rank) return value + (value < 100 ? 0.025 : 0.5);
  }
  return NaN;
}

const sum = (reports: ViewerReport[], key: keyof ViewerReport) =>
  reports.reduce((total, report) => total + (report[key] as number), 0);

/** Measures one fan-out row on servers already started. */
export async function measureFanOut(
  context: Context,
  load: FanOutLoad,
  target: FanOutTarget,
): Promise<FanOutResult> {
  const { measureMs, warmupMs, maxViewers } = context.options;
  const openStarted = now();
  const viewers = Math.min(load.viewers, maxViewers);
  const { clients, opened, failed } = await openViewers(
    context,
    target.viewerUrls,
    viewers,
    target.protocol,
  );
  let source: ReturnType<typeof startSource> | undefined;
  try {
    source = startSource(target.publish, load.rate);
    await sleep(warmupMs);
    const t0 = now() + 100;
    const t1 = t0 + measureMs;
    // Delivered = points stamped in [t0, s1] that arrive by t1 + 0.5 s (the viewer
    // client's TAIL_MS): a point counts as delivered within 40% of the window + 0.5 s.
    const s1 = t1 - measureMs * 0.4;
    for (const client of clients) await writeLine(client, `${t0} ${t1} ${s1}`);
    const clientPids = clients.map((client) => client.process.pid);
    await sleep(t0 - now());
    const serverPids = target.pids();
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
    const seconds = measureMs / 1000;
    const ownShare = (serverCpu + sourceCpu + clientCpu.reduce((a, b) => a + b, 0)) / seconds /
      navigator.hardwareConcurrency;
    const rssMiB = residentMiBOf(serverPids);
    const reports = await Promise.all(
      clients.map(async (client) =>
        JSON.parse(await nextLine(client, "viewer results", 30_000)) as ViewerReport
      ),
    );
    await source.stop();

    const points = sum(reports, "points");
    const buckets = new Map<number, number>();
    let sampled = 0;
    for (const report of reports) {
      for (const [value, count] of report.buckets) {
        buckets.set(value, (buckets.get(value) ?? 0) + count);
        sampled += count;
      }
    }
    const sent = source.sentBetween(t0, s1);
    const sampledOpen = sum(reports, "sampledOpen");
    const negative = sum(reports, "negative");
    const notes = [];
    if (failed > 0) notes.push(`${failed} viewers could not connect`);
    if (points === 0) notes.push("no points received");
    const expected = Math.max(1, Math.round((load.rate * TICK_MS) / 1000)) *
      Math.floor((s1 - t0) / TICK_MS);
    if (sent < expected * 0.9) {
      notes.push(`source held back: ${fmt((sent / expected) * 100, 0)}% of its rate`);
    }
    if (negative > sampled * 0.01) notes.push(`${negative} negative delays`);
    return {
      server: target.name,
      case: load.name,
      p50: percentileOf(buckets, sampled, 0.5),
      p99: percentileOf(buckets, sampled, 0.99),
      max: Math.max(...reports.map((r) => r.maxDelay)),
      delivered: sent > 0 && sampledOpen > 0
        ? sum(reports, "stampedInWindow") / (sent * sampledOpen)
        : NaN,
      cpuPerMillion: points > 0 ? (serverCpu * 1e6) / points : NaN,
      rssMiB,
      messagesPerViewerSecond: opened > 0 ? sum(reports, "messages") / opened / seconds : NaN,
      bytesPerPoint: points > 0 ? sum(reports, "bytes") / points : NaN,
      clientShare: Math.max(...clientCpu) / seconds,
      openSeconds: (t0 - warmupMs - 100 - openStarted) / 1000,
      machineShare: machineBusy,
      othersShare: Math.max(0, machineBusy - ownShare),
      opened,
      lost: failed + sum(reports, "closedEarly"),
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
