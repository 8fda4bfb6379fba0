/**
 * Ingest with no viewer, end to end through the CLI: rows of 3 numbers
 * written to liveplot's standard input as fast as it takes them, timed from
 * the first write to the status saying the source ended, for whitespace
 * columns and CSV. (The readers alone, in process: `cases/parse.ts`.)
 *
 * @module
 */

import type { BenchCase, Table } from "../lib/case.ts";
import { fmt, median } from "../lib/format.ts";
import { cpuSeconds, residentMiBOf } from "../lib/proc.ts";
import { LIVEPLOT_ENV, liveplotCommand, startStdinServer } from "../lib/servers.ts";
import { now, sleep } from "../lib/time.ts";

const FORMATS = ["columns", "csv"] as const;
/** Rows are written in chunks of this many. */
const CHUNK_ROWS = 10_000;

/** One format's run. */
export interface IngestResult {
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

async function runIngest(
  format: typeof FORMATS[number],
  rows: number,
  cpuProfDir?: string,
): Promise<IngestResult> {
  const separator = format === "csv" ? "," : " ";
  let text = "";
  for (let i = 0; i < CHUNK_ROWS; i++) {
    text += [i * 0.5, Math.sin(i).toFixed(6), (i % 977) * 1.25].join(separator) + "\n";
  }
  const chunk = new TextEncoder().encode(text);
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
    const lines = ["| format | points / s | CPU s / 1M pts | RSS MiB after |", "|---|--:|--:|--:|"];
    for (const format of FORMATS) {
      const mine = results.filter((r) => r.format === format);
      if (mine.length === 0) continue;
      const med = (key: keyof IngestResult) => median(mine.map((r) => r[key] as number));
      const name = format === "csv" ? "CSV (`--format csv`)" : "whitespace (`--format columns`)";
      lines.push(
        `| ${name} | ${fmt(med("pointsPerSecond"), 0)} | ${fmt(med("cpuPerMillion"), 3)} | ${
          fmt(med("rssMiB"), 0)
        } |`,
      );
    }
    return { lines };
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
    for (const format of FORMATS) {
      try {
        const rows = rowsFed(context.options.quick);
        results.push(await runIngest(format, rows, context.tools.cpuProfDir));
      } catch (error) {
        context.fail(`ingest ${format}`, error);
      }
    }
    return results;
  },
};
