/**
 * Helpers that make the tests read like a script: a real server on port 0,
 * real WebSocket clients, the real CLI as a child process (raw TCP, for
 * input a WebSocket library would refuse to send, is in raw_socket.ts).
 * Every wait has a timeout that names what it waited for (the waits are in
 * wait.ts, exported here too).
 *
 * @module
 */

import { startTask } from "../cli/install.ts";
import { type Config, DEFAULTS } from "../config.ts";
import { createLogger, type Logger } from "../log.ts";
import { type RunningServer, type StartOptions, startServer } from "../server.ts";
import { waitForLine, withTimeout } from "./wait.ts";

export { waitFor, waitForLine, withTimeout } from "./wait.ts";

/** Path of the CLI under test. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** The project's root folder. */
export const ROOT = new URL("../", import.meta.url).pathname;
/** Folder of test fixtures. */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/**
 * A logger that keeps its lines, so tests can assert on what was logged.
 * Repeats are kept too unless `fold` asks for the server's folding.
 */
export function captureLog(options: { fold?: boolean } = {}): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger("verbose", (line) => lines.push(line), { fold: options.fold ?? false });
  return { log, lines };
}

/** Starts an in-process server on 127.0.0.1, port 0, without a browser. */
export function startTestServer(
  overrides: Partial<Config> = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  return startServer(
    { ...DEFAULTS, port: 0, open: false, ...overrides },
    { ...options, log: options.log ?? captureLog().log },
  );
}

const encoder = new TextEncoder();

/** A server reading "standard input" from a pipe the test writes to. */
export async function startPiped(
  overrides: Parameters<typeof startTestServer>[0] = {},
  log = captureLog(),
) {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const server = await startTestServer(
    { source: { kind: "stdin" }, x: { kind: "index" }, ...overrides },
    { input: pipe.readable, log: log.log },
  );
  const writer = pipe.writable.getWriter();
  return {
    server,
    log: log.lines,
    write: (text: string) => writer.write(encoder.encode(text)),
    /**
     * Writes `lines` in batches with a pause longer than a flush between
     * them, as a real pipe's reads would space them out. (Within one flush
     * the hub sends only the last `window` points of each series.)
     */
    async writeLines(lines: string[], batch = 50) {
      for (let i = 0; i < lines.length; i += batch) {
        await writer.write(encoder.encode(lines.slice(i, i + batch).join("")));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      await server.shutdown();
    },
  };
}

/** The `ws:` (or `wss:`) URL of `path` on `server`. */
export function socketUrl(base: URL, path: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** Opens a WebSocket and waits until it is open. */
export async function openSocket(url: string, timeoutMs = 5000): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  await opened(socket, url, timeoutMs);
  return socket;
}

/**
 * `openSocket` with `record` listening from the start: a message the server
 * sends as the socket opens can be dispatched before an `await openSocket()`
 * resumes, and would be missed by a `record` called after it.
 */
export async function openRecorded(
  url: string,
  timeoutMs = 5000,
): Promise<{ socket: WebSocket } & ReturnType<typeof record>> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const recorded = record(socket);
  await opened(socket, url, timeoutMs);
  return { socket, ...recorded };
}

async function opened(socket: WebSocket, url: string, timeoutMs: number): Promise<void> {
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) =>
        reject(new Error(`WebSocket ${url} failed: ${(event as ErrorEvent).message ?? "error"}`));
    }),
    timeoutMs,
    `WebSocket ${url} to open`,
  );
}

/** What a socket received until it closed. */
export interface Closed {
  messages: (string | ArrayBuffer)[];
  code: number;
  reason: string;
}

/**
 * Records every message on `socket` from now on; `closed` settles with them
 * once the socket closes. Attach before the messages can arrive.
 */
export function record(socket: WebSocket): {
  messages: (string | ArrayBuffer)[];
  closed: Promise<Closed>;
} {
  const messages: (string | ArrayBuffer)[] = [];
  socket.addEventListener("message", (event) => messages.push(event.data));
  const closed = new Promise<Closed>((resolve) => {
    socket.addEventListener("close", (event) => {
      resolve({ messages, code: event.code, reason: event.reason });
    });
  });
  return { messages, closed };
}

/** Waits for the next message on `socket`. */
export function nextMessage(socket: WebSocket, timeoutMs = 5000): Promise<string | ArrayBuffer> {
  return withTimeout(
    new Promise((resolve) =>
      socket.addEventListener("message", (event) => resolve(event.data), { once: true })
    ),
    timeoutMs,
    "the next WebSocket message",
  );
}

/** Closes `socket` cleanly and waits for the close to complete. */
export async function closeSocket(socket: WebSocket, timeoutMs = 5000): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) =>
    socket.addEventListener("close", () => resolve(), { once: true })
  );
  socket.close(1000);
  await withTimeout(closed, timeoutMs, "the WebSocket to close");
}

/** Data lines (`series x y`) in a list of messages; JSON control frames are left out. */
export function dataLines(messages: readonly (string | ArrayBuffer)[]): string[] {
  return messages
    .filter((message): message is string => typeof message === "string")
    .filter((message) => !message.startsWith("{"))
    .flatMap((message) => message.split("\n").slice(0, -1));
}

/** JSON control frames (meta, status) in a list of messages. */
export function controlMessages(
  messages: readonly (string | ArrayBuffer)[],
): Record<string, unknown>[] {
  return messages
    .filter((message): message is string => typeof message === "string")
    .filter((message) => message.startsWith("{"))
    .map((message) => JSON.parse(message));
}

/** A running `main.ts` child process with its output lines. */
export interface Cli extends AsyncDisposable {
  process: Deno.ChildProcess;
  /** Resolves with the URL from `liveplot listening on URL`. */
  url: Promise<URL>;
  stdout: string[];
  stderr: string[];
  /** Sends SIGTERM and waits for the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * The environment of a user's shell, for a child process: this process's own
 * without `INIT_CWD`, which the suite's `deno task` set and a nested `deno task`
 * would keep (it sets it only when unset), plus `NO_COLOR` and `extra`. Give
 * it with `clearEnv: true`.
 */
export function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** What `deno task start` runs main.ts with (deno.json). */
const START = startTask();
/** `deno task start`'s unstable flags and permissions, for a `deno run` of main.ts. */
export const START_FLAGS: readonly string[] = [...START.runtime, ...START.permissions];

/**
 * Spawns the CLI (`deno run main.ts ...args`, with every permission and the
 * start task's unstable flags unless `denoArgs` says otherwise) with piped output.
 */
export function spawnCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    stdin?: "piped" | "null";
    denoArgs?: readonly string[];
    /** Run through `deno task start -- ...` instead of `deno run`. */
    task?: boolean;
  } = {},
): Cli {
  const process = new Deno.Command(Deno.execPath(), {
    args: options.task
      ? ["task", "--cwd", ROOT, "start", "--", ...args]
      : ["run", ...(options.denoArgs ?? ["-A", ...START.runtime]), MAIN, ...args],
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: shellEnv(options.env),
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  let resolveUrl: (url: URL) => void;
  const url = new Promise<URL>((resolve) => resolveUrl = resolve);
  const reading = Promise.all([
    collectLines(process.stdout, stdout, (line) => {
      const match = /^liveplot listening on (\S+)$/.exec(line);
      if (match?.[1]) resolveUrl(new URL(match[1]));
    }),
    collectLines(process.stderr, stderr, () => {}),
  ]);
  const stop = async () => {
    // `deno task` does not pass SIGTERM on: signal liveplot itself, by the pid it logs.
    const started = stderr.find((line) => line.includes("event=start "));
    const pid = options.task ? Number(/ pid=(\d+)/.exec(started ?? "")?.[1]) : process.pid;
    try {
      Deno.kill(pid || process.pid, "SIGTERM");
    } catch {
      // Already exited.
    }
    // liveplot exits within 2 s of SIGTERM whatever its peers do; a starved machine may add to it.
    const status = await withTimeout(process.status, 10_000, "liveplot to exit after SIGTERM")
      .catch((error) => {
        // Say why, and leave no process behind for the next test.
        for (const target of new Set([pid || process.pid, process.pid])) {
          try {
            Deno.kill(target, "SIGKILL");
          } catch {
            // It exited meanwhile.
          }
        }
        throw new Error(`${error.message}; its last lines: ${stderr.slice(-5).join(" | ")}`);
      });
    await reading;
    return status;
  };
  return {
    process,
    url: withTimeout(url, 15000, "the 'liveplot listening on' line"),
    stdout,
    stderr,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await withTimeout(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      stdin: "null",
      env: { NO_COLOR: "1", ...env },
    }).output(),
    15000,
    `liveplot ${args.join(" ")} to exit`,
  );
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function collectLines(
  readable: ReadableStream<Uint8Array>,
  into: string[],
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  for await (const text of readable.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      into.push(line);
      onLine(line);
    }
  }
  if (buffered) {
    into.push(buffered);
    onLine(buffered);
  }
}

/** True while process `pid` exists and is not a zombie (Linux: /proc). */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Once `cli`'s command has given lines, the pids of `script` and of the command it runs (Linux). */
export async function underScript(cli: Cli): Promise<{ script: number; command: number }> {
  await waitForLine(cli.stderr, "format-detected", 10_000, "the command's first lines");
  const script = Number(/child=(\d+)/.exec(cli.stderr.join("\n"))?.[1]);
  const children = Deno.readTextFileSync(`/proc/${script}/task/${script}/children`);
  return { script, command: Number(children.trim()) };
}
