/**
 * Ingest with no viewer, end to end through the CLI: rows of 3 numbers
 * written to liveplot's standard input as fast as it takes them, timed from
 * the first write to the status saying the source ended, for whitespace
 * columns and CSV; against a bare Deno process that only splits the same
 * input into numbers and counts them (`peers/deno_ingest.ts`), in the same
 * round. (The readers alone, in process: `cases/parse.ts`.)
 *
 * @module
 */

import { type BenchCase, type Figure, figure, type Table } from "../lib/case.ts";
import { fmt, median } from "../lib/format.ts";
import { cpuSeconds, residentMiBOf } from "../lib/proc.ts";
import { nextLine, spawn, stopChild } from "../lib/process.ts";
import { BENCH, DENO, LIVEPLOT_ENV, liveplotCommand, startStdinServer } from "../lib/servers.ts";
import { now, sleep } from "../lib/time.ts";

const FORMATS = ["columns", "csv"] as const;
/** Rows are written in chunks of this many. */
const CHUNK_ROWS = 10_000;

/** One format's run on liveplot or on the bare-Deno baseline (`server: "deno"`). */
export interface IngestResult {
  server: "liveplot" | "deno";
  format: string;
  pointsPerSecond: number;
  cpuPerMillion: number;
  rssMiB: number;
}

const rowsFed = (quick: boolean) => (quick ? 1_000_000 : 3_000_000);

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

/** CHUNK_ROWS rows of 3 numbers in `format`. */
function chunkOf(format: typeof FORMATS[number]): Uint8Array<ArrayBuffer> {
  const separator = format === "csv" ? "," : " ";
  let text = "";
  for (let i = 0; i < CHUNK_ROWS; i++) {
    text += [i * 0.5, Math.sin(i).toFixed(6), (i % 977) * 1.25].join(separator) + "\n";
  }
  return new TextEncoder().encode(text);
}

/** The bare-Deno baseline: the same bytes through a process that only counts the numbers. */
async function runBare(format: typeof FORMATS[number], rows: number): Promise<IngestResult> {
  const chunk = chunkOf(format);
  const child = spawn([DENO, "run", "-A", `${BENCH}peers/deno_ingest.ts`]);
  try {
    const writer = child.process.stdin.getWriter();
    const started = now();
    for (let written = 0; written < rows; written += CHUNK_ROWS) await writer.write(chunk);
    await writer.close();
    const report = JSON.parse(await nextLine(child, "bare Deno ingest", 120_000)) as {
      points: number;
      cpuSeconds: number;
      rssMiB: number;
    };
    const seconds = (now() - started) / 1000;
    return {
      server: "deno",
      format,
      pointsPerSecond: report.points / seconds,
      cpuPerMillion: (report.cpuSeconds * 1e6) / report.points,
      rssMiB: report.rssMiB,
    };
  } finally {
    await stopChild(child);
  }
}

async function runIngest(
  format: typeof FORMATS[number],
  rows: number,
  cpuProfDir?: string,
): Promise<IngestResult> {
  const chunk = chunkOf(format);
  const args = ["--port", "0", "--no-open", "--quiet", "--x", "index", "--format", format, "-"];
  const server = await startStdinServer("liveplot", liveplotCommand({ cpuProfDir }, args), "data", {
    env: LIVEPLOT_ENV,
  });
  try {
    const pids = server.pids();
    const cpu0 = cpuSeconds(pids);
    const started = now();
    for (let written = 0; written < rows; written += CHUNK_ROWS) await server.publish(chunk);
    await server.closeInput?.();
    const deadline = now() + 120_000;
    while (!(await sourceEnded(server.viewerUrls[0]!))) {
      if (now() > deadline) throw new Error("ingest: the source never ended");
      await sleep(20);
    }
    const seconds = (now() - started) / 1000;
    const points = Math.ceil(rows / CHUNK_ROWS) * CHUNK_ROWS * 3;
    return {
      server: "liveplot",
      format,
      pointsPerSecond: points / seconds,
      cpuPerMillion: ((cpuSeconds(pids) - cpu0) * 1e6) / points,
      rssMiB: residentMiBOf(pids),
    };
  } finally {
    await server.stop();
  }
}

/** The ingest table: medians over the rounds. */
export const ingestTable: Table<IngestResult> = {
  title: (options) =>
    `Ingest, no viewer (${
      rowsFed(options.quick).toLocaleString("en-US")
    } rows of 3 numbers on standard input, to the source-ended status)`,
  render(results) {
    const lines = [
      "| format | points / s | CPU s / 1M pts | RSS MiB after | bare Deno points / s | bare Deno CPU s / 1M pts |",
      "|---|--:|--:|--:|--:|--:|",
    ];
    const figures: Figure[] = [];
    for (const format of FORMATS) {
      const mine = results.filter((r) => r.format === format);
      if (!mine.some((r) => r.server === "liveplot")) continue;
      const med = (server: string, key: keyof IngestResult) =>
        median(mine.filter((r) => r.server === server).map((r) => r[key] as number));
      const name = format === "csv" ? "CSV (`--format csv`)" : "whitespace (`--format columns`)";
      const cells = [
        name,
        fmt(med("liveplot", "pointsPerSecond"), 0),
        fmt(med("liveplot", "cpuPerMillion"), 3),
        fmt(med("liveplot", "rssMiB"), 0),
        fmt(med("deno", "pointsPerSecond"), 0),
        fmt(med("deno", "cpuPerMillion"), 3),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
      const bare = med("deno", "cpuPerMillion");
      figures.push(figure({
        measure: `Ingest, ${format}: CPU s per 1M points`,
        value: med("liveplot", "cpuPerMillion"),
        unit: "s",
        baseline: Number.isFinite(bare)
          ? { server: "bare Deno, counting only", value: bare }
          : undefined,
        missing: Number.isFinite(bare) ? undefined : "bare Deno line reader failed",
      }));
    }
    return { lines, figures };
  },
};

/** Both formats once a round. */
export const ingestCase: BenchCase<IngestResult> = {
  name: "ingest",
  about: "rows on standard input to the source-ended status, columns and CSV, no viewer",
  servers: ["liveplot"],
  table: ingestTable,
  async round(context) {
    const results: IngestResult[] = [];
    const rows = rowsFed(context.options.quick);
    for (const format of FORMATS) {
      try {
        results.push(await runIngest(format, rows, context.tools.cpuProfDir));
      } catch (error) {
        context.fail(`ingest ${format}`, error);
      }
      try {
        results.push(await runBare(format, rows));
      } catch (error) {
        context.fail(`ingest ${format} bare Deno`, error);
      }
    }
    return results;
  },
};
