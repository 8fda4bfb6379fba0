/**
 * The servers `deno task bench` compares: liveplot (binary and text viewers)
 * and the peers a user would pick instead (bare `Deno.serve`, Bun, nginx +
 * nchan, Node `ws`), each started the same way, fed the same source and
 * stopped again. A peer that cannot run here says why.
 *
 * @module
 */

import { startTask } from "../../cli/install.ts";
import { BINARY_PROTOCOL } from "../../stream/frames.ts";
import { nchanMissing, writeNchanConfig } from "../peers/nchan.ts";
import { freePort, processTree } from "./proc.ts";
import { spawn, type SpawnOptions, startServer, stopChild } from "./process.ts";
import { now, sleep } from "./time.ts";

/** The repository's root folder. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The bench folder. */
export const BENCH = `${ROOT}bench/`;
/** The Deno running the bench runs every Deno process it starts. */
export const DENO = Deno.execPath();
/** What `deno task start` runs liveplot with (deno.json), as users' does. */
const START = startTask();
/** The start task's environment. */
export const LIVEPLOT_ENV: Record<string, string> = START.env;

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

/** How liveplot is started for one load. */
export interface StartOptions {
  /** liveplot's `--window`; undefined keeps its default. */
  window?: number;
  /** More liveplot flags, before the source. */
  flags?: string[];
}

/** A server the bench can start. */
export interface Peer {
  name: string;
  /** Why it cannot run here, or undefined. */
  missing: () => Promise<string | undefined>;
  start: (options?: StartOptions) => Promise<Server>;
}

/** What the machine has, for the peers that need it. */
export interface Tools {
  bun?: string;
  /** Why the Node peer cannot run, or undefined. */
  nodeWsMissing?: string;
  /** liveplot processes write a V8 CPU profile here on exit. */
  cpuProfDir?: string;
}

/** Starts a server that reads standard input and prints `listening on URL`; viewers use `path`. */
export async function startStdinServer(
  name: string,
  command: string[],
  path: string,
  options: SpawnOptions = {},
): Promise<Server> {
  const { child, url } = await startServer(command, name, options);
  const writer = child.process.stdin.getWriter();
  const pid = child.process.pid;
  return {
    name,
    pids: () => processTree(pid),
    viewerUrls: [url.replace(/^http/, "ws") + path],
    publish: (bytes) => writer.write(bytes),
    closeInput: () => writer.close(),
    stop: async () => {
      writer.releaseLock();
      await stopChild(child);
    },
  };
}

/** The command that runs liveplot's CLI as `deno task start` would, with `args`. */
export function liveplotCommand(tools: Tools, args: string[]): string[] {
  const profile = tools.cpuProfDir ? [`--cpu-prof-dir=${tools.cpuProfDir}`] : [];
  return [DENO, "run", "-A", ...START.runtime, ...profile, `${ROOT}main.ts`, ...args];
}

/**
 * liveplot reading the source on standard input; its viewers offer `protocol`.
 * `name` labels its rows: `liveplot` (binary viewers) or `liveplot-text`.
 */
export async function startLiveplot(
  tools: Tools,
  options: StartOptions = {},
  protocol?: string,
  name = protocol ? "liveplot" : "liveplot-text",
): Promise<Server> {
  const window = options.window ? ["--window", String(options.window)] : [];
  const args = [
    ...["--port", "0", "--no-open", "--quiet", "--x", "index", "--max-clients", "20000"],
    ...window,
    ...(options.flags ?? []),
    "-",
  ];
  const command = liveplotCommand(tools, args);
  const server = await startStdinServer(name, command, "data", { env: LIVEPLOT_ENV });
  return { ...server, protocol };
}

/** nginx + nchan: the source POSTs each read, one request in flight, as a pipe read would. */
async function startNchan(): Promise<Server> {
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
      if (now() > deadline) {
        await stopChild(child);
        throw new Error(`nchan start: ${error} ${child.errTail()}`);
      }
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
    // Each POST carries everything written since the previous one was answered.
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
}

/** Every server the fan-out cases can compare, in the order rows are printed. */
export function peers(tools: Tools): Peer[] {
  const here = () => Promise.resolve(undefined);
  return [
    {
      // Viewers get what the page gets: binary frames (`liveplot-f64`).
      name: "liveplot",
      missing: here,
      start: (options) => startLiveplot(tools, options, BINARY_PROTOCOL),
    },
    {
      // Viewers get what a client written for the seed gets: text lines.
      name: "liveplot-text",
      missing: here,
      start: (options) => startLiveplot(tools, options),
    },
    {
      name: "bun",
      missing: () => Promise.resolve(tools.bun ? undefined : "bun not found"),
      start: () => startStdinServer("bun", ["bun", `${BENCH}peers/bun_server.ts`], "data"),
    },
    { name: "nchan", missing: nchanMissing, start: startNchan },
    {
      name: "deno",
      missing: here,
      start: () =>
        startStdinServer("deno", [DENO, "run", "-A", `${BENCH}peers/deno_server.ts`], "data"),
    },
    {
      name: "node",
      missing: () => Promise.resolve(tools.nodeWsMissing),
      start: () => startStdinServer("node", ["node", `${BENCH}peers/node_server.cjs`], "data"),
    },
  ];
}
