/**
 * Helpers that make the tests read like a script: a real server on port 0,
 * real WebSocket clients, the real CLI as a child process, raw TCP for input
 * a WebSocket library would refuse to send. Every wait has a timeout that
 * names what it waited for.
 *
 * @module
 */

import { type Config, DEFAULTS } from "../config.ts";
import { createLogger, type Logger } from "../log.ts";
import { type RunningServer, startServer } from "../server.ts";

/** Path of the CLI under test. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** Folder of test fixtures. */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** Rejects with a message naming `what` if `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A logger that keeps its lines, so tests can assert on what was logged. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger("verbose", (line) => lines.push(line)), lines };
}

/** Starts an in-process server on 127.0.0.1, port 0, without a browser. */
export function startTestServer(
  overrides: Partial<Config> = {},
  options: { log?: Logger; input?: ReadableStream<Uint8Array> } = {},
): Promise<RunningServer> {
  return startServer(
    { ...DEFAULTS, port: 0, open: false, ...overrides },
    { log: options.log ?? captureLog().log, input: options.input },
  );
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
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) =>
        reject(new Error(`WebSocket ${url} failed: ${(event as ErrorEvent).message ?? "error"}`));
    }),
    timeoutMs,
    `WebSocket ${url} to open`,
  );
  return socket;
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

/** Polls `condition` every 10 ms until it holds. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  await withTimeout(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    timeoutMs,
    what,
  );
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

/** Spawns the CLI (`deno run main.ts ...args`) with piped output. */
export function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: "piped" | "null"; denoArgs?: string[] } = {},
): Cli {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(options.denoArgs ?? ["-A"]), MAIN, ...args],
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
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
    try {
      process.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    const status = await withTimeout(process.status, 5000, "liveplot to exit after SIGTERM");
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

/** Sends raw bytes over TCP and returns everything read until close, a full answer or the timeout. */
export async function rawExchange(
  port: number,
  request: string | Uint8Array,
  timeoutMs = 3000,
): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const close = () => {
    if (!closed) connection.close();
    closed = true;
  };
  const timer = setTimeout(close, timeoutMs);
  let text = "";
  try {
    await connection.write(
      typeof request === "string" ? new TextEncoder().encode(request) : request,
    );
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    while (!isCompleteResponse(text)) {
      const read = await connection.read(buffer);
      if (read === null) break;
      text += decoder.decode(buffer.subarray(0, read), { stream: true });
    }
  } catch (error) {
    // Closed by the timeout, or reset by the server: what was read stands.
    if (!closed && !(error instanceof Deno.errors.ConnectionReset)) throw error;
  } finally {
    clearTimeout(timer);
    close();
  }
  return text;
}

function isCompleteResponse(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const length = /content-length: (\d+)/i.exec(text.slice(0, end));
  return !length || text.length - end - 4 >= Number(length[1]);
}

/** Headers of a valid WebSocket upgrade to `path`, for raw requests. */
export function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  };
}
