/**
 * The page row of `deno task bench`: liveplot's page in headless Chromium
 * while SERIES series stream at RATE points per second each, with POINTS
 * points in view (POINTS / SERIES per series: the server's `--window`).
 *
 * Measures, after the window is full:
 * - frame time: the page's own draw (store update, uPlot setData and
 *   redraw, to the end of uPlot's commit), p50 and p99 over MEASURE seconds;
 * - the interval between animation frames (p50/p99), which shows frames
 *   the page could not draw in time;
 * - the page's JS heap (CDP `Performance.getMetrics` JSHeapUsedSize) every
 *   10 s over the whole run (`--minutes`, 10 in the real bench): first,
 *   last and largest, to show it stays flat once the window is full.
 *
 * Usage: `deno run -A bench/cases/page.ts --help`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULTS } from "../../config.ts";
import { createLogger } from "../../log.ts";
import { startServer } from "../../server.ts";
import { launchBrowser } from "../../tests/browser.ts";
import type { BenchCase } from "../lib/case.ts";
import { percentile } from "../lib/format.ts";
import { sleep } from "../lib/time.ts";

/** What one run measured. */
export interface PageBenchResult {
  series: number;
  ratePerSeries: number;
  pointsInView: number;
  frameMs: { p50: number; p99: number; max: number; count: number };
  intervalMs: { p50: number; p99: number };
  heapMiB: { first: number; last: number; max: number; samples: number[] };
  minutes: number;
}

/** Options of one run. */
export interface PageBenchOptions {
  series: number;
  rate: number;
  points: number;
  measureSeconds: number;
  minutes: number;
  cpuProfile?: string;
  log?: (line: string) => void;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Runs the page benchmark once. */
export async function runPageBench(options: PageBenchOptions): Promise<PageBenchResult> {
  const say = options.log ?? ((line: string) => console.error(line));
  const perSeries = Math.ceil(options.points / options.series);
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  await using server = await startServer(
    {
      ...DEFAULTS,
      port: 0,
      open: false,
      source: { kind: "stdin" },
      window: { points: perSeries },
      historyBytes: 64 * 1024 * 1024,
    },
    { log: createLogger("quiet", () => {}), input: pipe.readable },
  );
  const writer = pipe.writable.getWriter();
  const encoder = new TextEncoder();
  let sample = 0;
  const line = () => {
    const i = sample++;
    let text = "";
    for (let k = 0; k < options.series; k++) {
      text += (k > 0 ? " " : "") + (Math.sin(i / (50 + 13 * k)) * (k + 1) * 10 + k * 3).toFixed(3);
    }
    return text + "\n";
  };
  // A header, then the window at once, so the view holds POINTS from the start.
  let text = Array.from({ length: options.series }, (_, k) => `s${k}`).join(" ") + "\n";
  for (let i = 0; i < perSeries; i++) text += line();
  await writer.write(encoder.encode(text));

  let streaming = true;
  const tickMs = 10;
  const streamer = (async () => {
    const started = performance.now();
    let sent = 0;
    while (streaming) {
      const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
      let chunk = "";
      for (; sent < due; sent++) chunk += line();
      if (chunk) await writer.write(encoder.encode(chunk));
      await sleep(tickMs);
    }
  })();

  await using browser = await launchBrowser([], { viewport: { width: 1600, height: 900 } });
  const { page, problems } = await browser.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const heap = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const used = metrics.find((m: { name: string }) => m.name === "JSHeapUsedSize")?.value ?? 0;
    return used / 1024 / 1024;
  };
  await page.goto(server.url.href);
  await page.waitForFunction(
    (want) => {
      // deno-lint-ignore no-explicit-any
      const series = (globalThis as any).liveplot?.series ?? [];
      // deno-lint-ignore no-explicit-any
      return series.length > 0 && series.every((s: any) => s.points >= want);
    },
    perSeries,
    { timeout: 60_000 },
  );
  say(`page bench: ${options.series} series × ${perSeries} points in view, streaming`);
  await sleep(2000);

  if (options.cpuProfile) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.start");
  }
  await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const window = globalThis as any;
    window.liveplot.frameTimes.length = 0;
    window.__intervals = [];
    let last = performance.now();
    const tick = (now: number) => {
      window.__intervals.push(now - last);
      last = now;
      window.requestAnimationFrame(tick);
    };
    window.requestAnimationFrame(tick);
  });
  await sleep(options.measureSeconds * 1000);
  const { frames, intervals } = await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const window = globalThis as any;
    return { frames: [...window.liveplot.frameTimes], intervals: [...window.__intervals] };
  });
  if (options.cpuProfile) {
    const { profile } = await cdp.send("Profiler.stop");
    await Deno.writeTextFile(options.cpuProfile, JSON.stringify(profile));
    say(`page bench: CPU profile in ${options.cpuProfile} (open in Chrome DevTools)`);
  }

  const samples = [await heap()];
  const end = performance.now() + options.minutes * 60_000;
  while (performance.now() < end) {
    await sleep(Math.min(10_000, Math.max(0, end - performance.now())));
    samples.push(await heap());
    say(`page bench: heap ${round(samples.at(-1) ?? 0)} MiB`);
  }
  streaming = false;
  await streamer;
  await writer.close().catch(() => {});
  if (problems.length > 0) say(`page bench: page problems: ${problems.join("; ")}`);
  return {
    series: options.series,
    ratePerSeries: options.rate,
    pointsInView: perSeries * options.series,
    frameMs: {
      p50: round(percentile(frames, 0.5)),
      p99: round(percentile(frames, 0.99)),
      max: round(Math.max(...frames)),
      count: frames.length,
    },
    intervalMs: { p50: round(percentile(intervals, 0.5)), p99: round(percentile(intervals, 0.99)) },
    heapMiB: {
      first: round(samples[0] ?? 0),
      last: round(samples.at(-1) ?? 0),
      max: round(Math.max(...samples)),
      samples: samples.map(round),
    },
    minutes: options.minutes,
  };
}

/** One table row, as `deno task bench` prints it. */
export function formatPageRow(result: PageBenchResult): string {
  return `page (${result.series} × ${result.ratePerSeries}/s, ${result.pointsInView} in view): ` +
    `frame p50 ${result.frameMs.p50} ms, p99 ${result.frameMs.p99} ms ` +
    `(${result.frameMs.count} frames); rAF interval p50 ${result.intervalMs.p50} ms, ` +
    `p99 ${result.intervalMs.p99} ms; heap ${result.heapMiB.first} → ${result.heapMiB.last} MiB ` +
    `(max ${result.heapMiB.max}) over ${result.minutes} min`;
}

/** The page row of `deno task bench`: 8 series × 1,000/s, 100,000 in view, once. */
export const pageCase: BenchCase<string> = {
  name: "page",
  about: "liveplot's page in headless Chromium: frame time and heap",
  once: true,
  table: { title: "Page (headless Chromium)", render: (rows) => ({ lines: rows }) },
  async round(context) {
    const quick = context.options.quick;
    try {
      // 10 minutes in a full run: the page's memory must stay flat once the window is full.
      const options = { series: 8, rate: 1000, points: 100_000 };
      const timing = { measureSeconds: quick ? 5 : 10, minutes: quick ? 1 : 10 };
      return [formatPageRow(await runPageBench({ ...options, ...timing }))];
    } catch (error) {
      context.fail("page", error);
      return [];
    }
  },
};

/** This file's usage, printed by `--help`. */
const USAGE =
  "Usage: deno run -A bench/cases/page.ts [--minutes 10] [--measure 10] [--series 8]\n" +
  "  [--rate 1000] [--points 100000] [--json FILE] [--cpu-prof FILE]";

/** The options from `args`, or one line saying what is wrong. */
function pageOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      minutes: { type: "string", default: "10" },
      measure: { type: "string", default: "10" },
      series: { type: "string", default: "8" },
      rate: { type: "string", default: "1000" },
      points: { type: "string", default: "100000" },
      json: { type: "string" },
      "cpu-prof": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const numbers = {
    minutes: Number(values.minutes),
    measureSeconds: Number(values.measure),
    series: Number(values.series),
    rate: Number(values.rate),
    points: Number(values.points),
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (!(value > 0)) throw new TypeError(`${name} must be a positive number`);
  }
  return { ...numbers, cpuProfile: values["cpu-prof"], json: values.json, help: values.help };
}

if (import.meta.main) {
  let options;
  try {
    options = pageOptions(Deno.args);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error} (see --help)`);
    Deno.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const result = await runPageBench(options);
  console.log(formatPageRow(result));
  if (options.json) await Deno.writeTextFile(options.json, JSON.stringify(result, null, 2) + "\n");
}
