/**
 * Benchmark of the history store: bytes per stored point (chunk overhead
 * included, measured after full collections), append rate, range queries
 * reduced to 2,000 pixel columns, and CSV export rate. Prints a markdown
 * table. Run: `deno run -A bench/cases/history.ts` (it re-runs itself with
 * `--expose-gc` to measure memory).
 *
 * @module
 */

import { csvStream } from "../../stream/csv_export.ts";
import { CHUNK_OVERHEAD_BYTES, CHUNK_POINTS, History } from "../../stream/history.ts";

const gc = (globalThis as { gc?: () => void }).gc;

if (import.meta.main) {
  if (!gc) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    Deno.exit(code);
  }
  await main();
}

type Row = [string, string, string];

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(...measureMemory());
  rows.push(...measureAppend());
  for (const points of [1_000_000, 10_000_000]) rows.push(...measureRange(points));
  rows.push(...await measureCsv(false));
  rows.push(...await measureCsv(true));
  console.log(
    `\nDeno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${navigator.hardwareConcurrency} CPUs\n`,
  );
  console.log("| measure | value | notes |\n|---|---|---|");
  for (const [measure, value, notes] of rows) console.log(`| ${measure} | ${value} | ${notes} |`);
}

function used(): number {
  gc!();
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

function fill(history: History, points: number, series = 1): void {
  for (let index = 0; index < points; index++) {
    history.append(index % series, 1_700_000_000 + index / 1000, Math.sin(index / 100));
  }
}

function measureMemory(): Row[] {
  const points = 10_000_000;
  const before = used();
  const history = new History({ maxBytes: 1 << 30, windowPoints: 1000 });
  fill(history, points);
  const after = used();
  const chunks = Math.ceil(points / CHUNK_POINTS);
  const overhead = (after - before - 16 * CHUNK_POINTS * chunks) / chunks;
  const perPoint = (after - before) / points;
  return [
    ["bytes per stored point (10 M points)", perPoint.toFixed(2), "heap + array buffers, after GC"],
    [
      "overhead per chunk of 4,096 points",
      `${overhead.toFixed(0)} B`,
      `accounted as ${CHUNK_OVERHEAD_BYTES} B; bound counted by \`bytes\`: ${
        (history.bytes / points).toFixed(2)
      } B/point`,
    ],
  ];
}

function measureAppend(): Row[] {
  const rows: Row[] = [];
  // Values made beforehand, so that only the append is timed.
  const ys = Float64Array.from({ length: 1 << 20 }, (_, index) => Math.sin(index / 100));
  for (const series of [1, 8]) {
    const points = 20_000_000;
    const history = new History({ maxBytes: 64 * 1024 * 1024, windowPoints: 1000 });
    fill(history, 100_000, series);
    const started = performance.now();
    for (let index = 0; index < points; index++) {
      history.append(index % series, 1_700_000_100 + index / 1000, ys[index & 0xfffff]!);
    }
    const seconds = (performance.now() - started) / 1000;
    rows.push([
      `append rate, ${series} series`,
      `${(points / seconds / 1e6).toFixed(1)} M/s`,
      "20 M points into a 64 MiB bound, evicting the oldest chunks as it runs",
    ]);
  }
  return rows;
}

function measureRange(points: number): Row[] {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 1000 });
  fill(history, points);
  const first = 1_700_000_000, last = first + (points - 1) / 1000;
  const time = (from: number, to: number) => {
    for (let warm = 0; warm < 3; warm++) history.range(0, from, to, 2000);
    const samples: number[] = [];
    let out = 0;
    for (let run = 0; run < 15; run++) {
      const started = performance.now();
      out = history.range(0, from, to, 2000).xs.length;
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return { median: samples[7]!, worst: samples[14]!, out };
  };
  const label = points >= 1e7 ? "10 M" : "1 M";
  const all = time(first, last);
  const tenth = time(first + (last - first) * 0.45, first + (last - first) * 0.55);
  return [
    [
      `range, all ${label} points → 2,000 px`,
      `${all.median.toFixed(1)} ms`,
      `median of 15 (worst ${all.worst.toFixed(1)} ms), ${all.out} points out`,
    ],
    [
      `range, middle 10 % of ${label} → 2,000 px`,
      `${tenth.median.toFixed(1)} ms`,
      `median of 15 (worst ${tenth.worst.toFixed(1)} ms), ${tenth.out} points out`,
    ],
  ];
}

async function measureCsv(long: boolean): Promise<Row[]> {
  const points = 3_000_000;
  const history = new History({ maxBytes: 1 << 30, windowPoints: 1000 });
  fill(history, points, 3);
  let bytes = 0;
  const started = performance.now();
  for await (const chunk of csvStream({ history, names: ["a", "b", "c"], xKind: "time", long })) {
    bytes += chunk.length;
  }
  const seconds = (performance.now() - started) / 1000;
  // x never repeats here: one row per point in either form.
  const rows = points;
  return [[
    `CSV export, ${long ? "long" : "wide"} form, 3 M points, time x`,
    `${(bytes / seconds / 1e6).toFixed(0)} MB/s`,
    `${(rows / seconds / 1e6).toFixed(2)} M rows/s, ${(bytes / 1e6).toFixed(0)} MB`,
  ]];
}
