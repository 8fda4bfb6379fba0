/**
 * Ingest, in process: lines per second and points per second through the
 * line splitter and a format reader into a sink that only counts, for each
 * format, with no server and no viewer. The input is built in memory first
 * and fed in 64 KiB reads, so only parsing is measured.
 *
 * ```sh
 * deno run -A bench/cases/parse.ts            # 1,000,000 lines per format
 * deno run -A bench/cases/parse.ts 200000     # fewer
 * ```
 *
 * @module
 */

import { createLineReader, type FormatName } from "../../stream/formats/mod.ts";
import { splitLines } from "../../stream/line_splitter.ts";
import type { PointSink, XKind } from "../../stream/sink.ts";

const READ_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 1024 * 1024;

interface Case {
  name: string;
  format: FormatName;
  header?: string;
  line: (index: number) => string;
}

/** Three series a line, values like a sensor's: varied decimals. */
const value = (index: number, column: number) => ((index * 7 + column * 13) % 1000 / 8).toFixed(3);

const CASES: Case[] = [
  {
    name: "columns (3, whitespace)",
    format: "auto",
    line: (i) => `${value(i, 0)} ${value(i, 1)} ${value(i, 2)}`,
  },
  {
    name: "csv (3, header)",
    format: "auto",
    header: "a,b,c",
    line: (i) => `${value(i, 0)},${value(i, 1)},${value(i, 2)}`,
  },
  {
    name: "pairs (3, a=1)",
    format: "auto",
    line: (i) => `a=${value(i, 0)} b=${value(i, 1)} c=${value(i, 2)}`,
  },
  {
    name: "json (3 fields)",
    format: "auto",
    line: (i) => `{"a":${value(i, 0)},"b":${value(i, 1)},"c":${value(i, 2)}}`,
  },
  {
    name: "influx (3 fields, ns)",
    format: "auto",
    line: (i) =>
      `m,host=a a=${value(i, 0)},b=${value(i, 1)},c=${value(i, 2)} ${
        1732531200000000000 + i * 1000000
      }`,
  },
];

/** Counts points; refuses nothing. */
class CountingSink implements PointSink {
  points = 0;
  add(_name: string, _x: number, _y: number): boolean {
    this.points++;
    return true;
  }
  commit(): void {}
  setXKind(_kind: XKind): void {}
}

function build(bench: Case, lines: number): Uint8Array {
  const parts: string[] = bench.header ? [bench.header] : [];
  for (let index = 0; index < lines; index++) parts.push(bench.line(index));
  return new TextEncoder().encode(`${parts.join("\n")}\n`);
}

function reads(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + READ_BYTES));
      offset += READ_BYTES;
    },
  });
}

async function run(bench: Case, bytes: Uint8Array) {
  const reader = createLineReader(bench.format, { kind: "auto" });
  const sink = new CountingSink();
  let lines = 0;
  let arrival = Date.now() / 1000;
  const started = performance.now();
  for await (const batch of splitLines(reads(bytes), MAX_LINE_BYTES, () => {})) {
    for (const line of batch) {
      reader.read(line, arrival, sink);
      arrival += 1e-6;
    }
    lines += batch.length;
    sink.commit();
  }
  const seconds = (performance.now() - started) / 1000;
  return { lines, points: sink.points, seconds, detected: reader.detected };
}

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? 1_000_000);
  console.log(
    `Ingest in process: ${
      count.toLocaleString("en")
    } lines per format, splitLines + reader + a counting sink`,
  );
  console.log(`(Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores)\n`);
  console.log("| format | detected | lines/s | points/s | MB/s |");
  console.log("| --- | --- | ---: | ---: | ---: |");
  const format = (n: number) => Math.round(n).toLocaleString("en");
  for (const bench of CASES) {
    const bytes = build(bench, count);
    // Warm the JIT up as a long-running stream would, then keep the better of two passes.
    const warmUp = bytes.subarray(0, bytes.indexOf(10, Math.min(bytes.length - 1, 8 << 20)) + 1);
    await run(bench, warmUp);
    await run(bench, warmUp);
    const first = await run(bench, bytes);
    const second = await run(bench, bytes);
    const result = first.seconds < second.seconds ? first : second;
    const detected = result.detected
      ? `${result.detected.format}, ${result.detected.series} series`
      : "none";
    console.log(
      `| ${bench.name} | ${detected} | ${format(result.lines / result.seconds)} | ${
        format(result.points / result.seconds)
      } | ${(bytes.length / result.seconds / 1e6).toFixed(0)} |`,
    );
  }
}
