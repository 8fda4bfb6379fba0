/**
 * Fan-out through Redis: one `redis-server` (no persistence), one writer
 * process (`liveplot --redis URL --stream bench -`, fed on standard input)
 * and `processes - 1` viewer-only processes (`liveplot --redis URL`), each on
 * its own port; viewers are spread over `/s/bench/data` of all of them, so
 * every point a viewer sees went writer → Redis → its process.
 *
 * The liveplot CLI is a black box here: flags and its `listening on URL`
 * line only. `startRedisServers` is the hook `bench/compare.ts` measures
 * with `measureFanOut`, next to the single process in the same run. Run
 * alone, this file does a quick check of its own (one client process,
 * Deno WebSockets: client-bound long before liveplot at 10,000 viewers):
 *
 *   deno run -A bench/redis_fan_out.ts [--processes 2] [--viewers 1000]
 *     [--rate 1000] [--seconds 5]
 *
 * Loopback only; bounded in time; stops what it started.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { FanOutCase } from "./compare.ts";
import { freePort, processTree, startTaskEnv } from "./proc.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const STREAM = "bench";
const encoder = new TextEncoder();

/** Servers started for one Redis row. */
export interface RedisServers {
  viewerUrls: string[];
  pids: () => number[];
  publish: (bytes: Uint8Array<ArrayBuffer>) => Promise<void>;
  stop: () => Promise<void>;
}

interface Child {
  process: Deno.ChildProcess;
  lines: AsyncIterator<string>;
  errTail: () => string;
}

function spawn(command: string, args: string[], env?: Record<string, string>): Child {
  const process = new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", command, ...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let head = "";
  let tail = "";
  (async () => {
    for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) {
      if (head.length < 500) head = (head + text).slice(0, 500);
      tail = (tail + text).slice(-2000);
    }
  })().catch(() => {});
  const lines = (async function* () {
    let buffered = "";
    for await (const text of process.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      yield* parts;
    }
  })();
  // The first lines say why a process stopped; the last ones, what it did last.
  return { process, lines, errTail: () => `${head.split("\n")[0]}\n${tail}`.trim() };
}

async function stop(child: Child): Promise<void> {
  try {
    child.process.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch { /* gone */ }
  }, 3000);
  await child.process.status;
  clearTimeout(timer);
  await child.process.stdin.close().catch(() => {});
}

async function redisAnswers(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await connection.write(encoder.encode("PING\r\n"));
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

/** Waits for `listening on URL`; fails with the process's last words if it exits first. */
async function listeningUrl(child: Child, what: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const timeout = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()))
    );
    const next = await Promise.race([child.lines.next(), timeout]);
    if (next === "timeout") throw new Error(`${what}: no "listening on" line within 30 s`);
    if (next.done) throw new Error(`${what} exited: ${child.errTail()}`);
    const url = /listening on (\S+)/.exec(next.value)?.[1];
    if (url) return url.replace(/\/?$/, "/");
  }
}

/**
 * Starts Redis and `processes` liveplot processes joined by it. Returns
 * their viewer URLs, pids (Redis's included) and the writer's `publish`, or
 * why they cannot run here.
 */
export async function startRedisServers(
  processes: number,
  fanOut: FanOutCase,
): Promise<RedisServers | string> {
  try {
    await new Deno.Command("redis-server", { args: ["--version"] }).output();
  } catch {
    return "redis-server not found (apt-get install redis-server)";
  }
  const redisPort = freePort();
  const redis = spawn("redis-server", [
    ...["--port", String(redisPort), "--bind", "127.0.0.1", "--save", ""],
    ...["--appendonly", "no", "--loglevel", "warning"],
  ]);
  const started: Child[] = [];
  const stopAll = async () => {
    await Promise.all(started.map(stop));
    await stop(redis);
  };
  try {
    const deadline = Date.now() + 5000;
    while (!(await redisAnswers(redisPort))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer: ${redis.errTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = `redis://127.0.0.1:${redisPort}/0`;
    const common = ["--port", "0", "--no-open", "--quiet", "--max-clients", "20000"];
    if (fanOut.window) common.push("--window", String(fanOut.window));
    const urls: string[] = [];
    for (let p = 0; p < processes; p++) {
      const source = p === 0 ? ["--stream", STREAM, "--x", "index", "-"] : [];
      const child = spawn(Deno.execPath(), [
        "run",
        "-A",
        MAIN,
        "--redis",
        url,
        ...common,
        ...source,
      ], startTaskEnv());
      started.push(child);
      urls.push(await listeningUrl(child, `liveplot process ${p + 1}`));
    }
    for (const child of started) {
      // Keep reading so a full stdout pipe never blocks a server.
      (async () => {
        for (;;) if ((await child.lines.next()).done) break;
      })().catch(() => {});
    }
    const writer = (started[0] as Child).process.stdin.getWriter();
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
    // A CLI without the flags yet is a reason to skip the rows, not a failure.
    const line = message.split("\n").find((text) => /--redis|--stream|unknown/i.test(text));
    if (line) return `liveplot cannot: ${line.trim()}`;
    throw error;
  }
}

/** A quick run with in-process viewers: delivered points/s and p99 delay. */
async function quickRun(options: {
  processes: number;
  viewers: number;
  rate: number;
  seconds: number;
}): Promise<void> {
  const fanOut = { name: "quick", label: "quick", viewers: options.viewers, rate: options.rate };
  const servers = await startRedisServers(options.processes, fanOut);
  if (typeof servers === "string") {
    console.log(`skipped: ${servers}`);
    return;
  }
  const delays: number[] = [];
  let points = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < options.viewers; i++) {
      const socket = new WebSocket(
        servers.viewerUrls[i % servers.viewerUrls.length] as string,
      );
      const sampled = i % Math.max(1, Math.floor(options.viewers / 50)) === 0;
      socket.onmessage = (event) => {
        if (!measuring || typeof event.data !== "string" || event.data.startsWith("{")) return;
        const received = performance.timeOrigin + performance.now();
        for (const line of event.data.split("\n")) {
          if (!line) continue;
          points++;
          if (sampled) delays.push(received - Number(line.slice(line.lastIndexOf(" ") + 1)));
        }
      };
      sockets.push(socket);
      if (i % 250 === 249) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(
      sockets.map((socket) =>
        socket.readyState === WebSocket.OPEN ? undefined : new Promise((resolve) => {
          socket.onopen = resolve;
          socket.onerror = resolve;
        })
      ),
    );
    const perTick = Math.max(1, Math.round(options.rate / 100));
    const end = Date.now() + (options.seconds + 1) * 1000;
    const warm = Date.now() + 1000;
    while (Date.now() < end) {
      if (!measuring && Date.now() >= warm) measuring = true;
      const stamp = (performance.timeOrigin + performance.now()).toFixed(3);
      await servers.publish(encoder.encode(`${stamp}\n`.repeat(perTick)));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    measuring = false;
    delays.sort((a, b) => a - b);
    const p = (q: number) => delays[Math.min(delays.length - 1, Math.floor(delays.length * q))];
    console.log(
      `processes=${options.processes} viewers=${options.viewers} rate=${options.rate}/s: ` +
        `delivered ${Math.round(points / options.seconds)} points/s, ` +
        `p50 ${p(0.5)?.toFixed(1)} ms, p99 ${p(0.99)?.toFixed(1)} ms`,
    );
  } finally {
    for (const socket of sockets) socket.close();
    await servers.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      processes: { type: "string", default: "2" },
      viewers: { type: "string", default: "1000" },
      rate: { type: "string", default: "1000" },
      seconds: { type: "string", default: "5" },
    },
  });
  await quickRun({
    processes: Number(values.processes),
    viewers: Number(values.viewers),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
  });
}
