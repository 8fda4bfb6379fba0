/**
 * The Redis rows of the fan-out table: one `redis-server` (no persistence),
 * one writer process (`liveplot --redis URL --stream bench -`, fed on
 * standard input) and viewer-only processes (`liveplot --redis URL`), each
 * on its own port; viewers are spread over `/s/bench/data` of all of them,
 * so every point a viewer sees went writer → Redis → its process. 1,000 ×
 * 1,000 and 10,000 × 100 over 2 and 4 processes, next to the single process
 * in the same run. The CLI is a black box here: flags and its URL line only.
 *
 * @module
 */

import { BINARY_PROTOCOL } from "../../stream/frames.ts";
import type { BenchCase } from "../lib/case.ts";
import { type FanOutLoad, type FanOutResult, measureFanOut } from "../lib/fan_out.ts";
import { fmt } from "../lib/format.ts";
import { freePort, processTree } from "../lib/proc.ts";
import { type Child, listeningUrl, spawn, stopChild } from "../lib/process.ts";
import { LIVEPLOT_ENV, liveplotCommand } from "../lib/servers.ts";
import { sleep } from "../lib/time.ts";
import { FAN_OUT_LOADS, fanOutTable } from "./fan_out.ts";

const STREAM = "bench";
/** liveplot process counts of the rows (1 writer + the rest viewer-only). */
const PROCESSES = [2, 4];

/** Servers started for one Redis row. */
interface RedisServers {
  viewerUrls: string[];
  pids: () => number[];
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>;
  stop: () => Promise<void>;
}

async function redisAnswers(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await connection.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(64);
      const read = await connection.read(buffer);
      return new TextDecoder().decode(buffer.subarray(0, read ?? 0)).startsWith("+PONG");
    } finally {
      connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Starts Redis and `processes` liveplot processes joined by it. Returns
 * their viewer URLs, pids (Redis's included) and the writer's `publish`, or
 * why they cannot run here.
 */
async function startRedisServers(
  processes: number,
  load: FanOutLoad,
): Promise<RedisServers | string> {
  try {
    await new Deno.Command("redis-server", { args: ["--version"] }).output();
  } catch {
    return "redis-server not found (apt-get install redis-server)";
  }
  const redisPort = freePort();
  const redis = spawn([
    "redis-server",
    ...["--port", String(redisPort), "--bind", "127.0.0.1", "--save", ""],
    ...["--appendonly", "no", "--loglevel", "warning"],
  ]);
  const started: Child[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((child) => stopChild(child)));
    await stopChild(redis);
  };
  try {
    const deadline = Date.now() + 5000;
    while (!(await redisAnswers(redisPort))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer: ${redis.errTail()}`);
      await sleep(20);
    }
    const url = `redis://127.0.0.1:${redisPort}/0`;
    const common = [
      "--redis",
      url,
      "--port",
      "0",
      "--no-open",
      "--quiet",
      "--max-clients",
      "20000",
    ];
    if (load.window) common.push("--window", String(load.window));
    const urls: string[] = [];
    for (let p = 0; p < processes; p++) {
      // Every process serves the stream from its start, as the writer's does: a viewer of a
      // stream a process has not heard of yet waits, and past 1,000 waiting it is told 1013.
      const source = p === 0 ? ["--stream", STREAM, "--x", "index", "-"] : ["--stream", STREAM];
      const child = spawn(liveplotCommand({}, [...common, ...source]), { env: LIVEPLOT_ENV });
      started.push(child);
      urls.push(await listeningUrl(child, `liveplot process ${p + 1}`));
    }
    const writer = started[0]!.process.stdin.getWriter();
    const pids = [redis.process.pid, ...started.map((child) => child.process.pid)];
    return {
      viewerUrls: urls.map((base) => `${base.replace(/^http/, "ws")}s/${STREAM}/data`),
      pids: () => pids.flatMap(processTree),
      publish: (bytes) => writer.write(bytes),
      stop: async () => {
        writer.releaseLock();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    const message = error instanceof Error ? error.message : String(error);
    // A CLI without the flags is a reason to skip the rows, not a failure.
    const line = message.split("\n").find((text) => /--redis|--stream|unknown/i.test(text));
    if (line) return `liveplot cannot: ${line.trim()}`;
    throw error;
  }
}

/** Redis rows for the two big fan-out loads, added to the fan-out table. */
export const redisCase: BenchCase<FanOutResult> = {
  name: "redis",
  about: "1,000 × 1,000 and 10,000 × 100 through Redis, 2 and 4 liveplot processes",
  servers: ["redis"],
  table: fanOutTable,
  async round(context, round) {
    const results: FanOutResult[] = [];
    for (const load of FAN_OUT_LOADS.slice(0, 2)) {
      for (const processes of PROCESSES) {
        try {
          const servers = await startRedisServers(processes, load);
          if (typeof servers === "string") {
            context.skip("redis", servers);
            return results;
          }
          try {
            const name = `liveplot ×${processes} + Redis`;
            const target = { ...servers, name, protocol: BINARY_PROTOCOL };
            const result = await measureFanOut(context, load, target);
            results.push(result);
            context.progress(
              `round ${round + 1} ${load.name} ${name}: p99 ${fmt(result.p99)} ms, ` +
                `delivered ${fmt(result.delivered * 100, 1)}%`,
            );
          } finally {
            await servers.stop();
          }
        } catch (error) {
          context.fail(`redis ×${processes} ${load.name} round ${round + 1}`, error);
        }
      }
    }
    return results;
  },
};
