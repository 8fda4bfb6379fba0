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
import { type RunningServer, type StartOptions, startServer } from "../server.ts";

/** Path of the CLI under test. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** The project's root folder. */
export const ROOT = new URL("../", import.meta.url).pathname;
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

/** Spawns the CLI (`deno run main.ts ...args`) with piped output. */
export function spawnCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    stdin?: "piped" | "null";
    denoArgs?: string[];
    /** Run through `deno task start -- ...` instead of `deno run`. */
    task?: boolean;
  } = {},
): Cli {
  const process = new Deno.Command(Deno.execPath(), {
    args: options.task
      ? ["task", "--cwd", ROOT, "start", "--", ...args]
      : ["run", ...(options.denoArgs ?? ["-A"]), MAIN, ...args],
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

/** A WebSocket spoken by hand over TCP: for peers that misbehave on purpose. */
export interface RawSocket extends Disposable {
  connection: Deno.TcpConn;
  /** Sends one frame, masked as a client must unless `masked` is false. */
  send(
    opcode: number,
    payload: Uint8Array,
    options?: { masked?: boolean; fin?: boolean },
  ): Promise<void>;
  /** Reads frames until a close frame; returns its code and how much came before. */
  readUntilClose(
    timeoutMs: number,
  ): Promise<{ code: number | undefined; frames: number; bytes: number }>;
}

/** Opens a WebSocket by hand: sends the upgrade, checks for 101, leaves the rest to the test. */
export async function openRawSocket(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawSocket> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = Object.entries({ host: `127.0.0.1:${port}`, ...upgradeHeaders(headers) })
    .map(([name, value]) => `${name}: ${value}\r\n`).join("");
  await connection.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\n${lines}\r\n`));
  let pending: Uint8Array = new Uint8Array(0);
  const buffer = new Uint8Array(256 * 1024);
  const read = async (): Promise<boolean> => {
    const count = await connection.read(buffer);
    if (count === null) return false;
    const joined = new Uint8Array(pending.length + count);
    joined.set(pending);
    joined.set(buffer.subarray(0, count), pending.length);
    pending = joined;
    return true;
  };
  const headEnd = () => new TextDecoder().decode(pending).indexOf("\r\n\r\n");
  while (headEnd() === -1) {
    if (!(await withTimeout(read(), 5000, "the upgrade answer"))) {
      throw new Error("closed during upgrade");
    }
  }
  const head = new TextDecoder().decode(pending.subarray(0, headEnd()));
  if (!head.startsWith("HTTP/1.1 101")) {
    throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`);
  }
  pending = pending.subarray(headEnd() + 4);

  return {
    connection,
    async send(opcode, payload, { masked = true, fin = true } = {}) {
      const length = payload.length;
      const header = length < 126 ? [length] : length < 65536 ? [126, length >> 8, length & 255] : [
        127,
        ...new Array(4).fill(0),
        (length >>> 24) & 255,
        (length >> 16) & 255,
        (length >> 8) & 255,
        length & 255,
      ];
      const first = (fin ? 0x80 : 0) | opcode;
      const mask = masked ? crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(0);
      const frame = new Uint8Array(1 + header.length + mask.length + length);
      frame[0] = first;
      frame.set(header, 1);
      frame[1] = (frame[1] as number) | (masked ? 0x80 : 0);
      frame.set(mask, 1 + header.length);
      const body = frame.subarray(1 + header.length + mask.length);
      for (let i = 0; i < length; i++) {
        body[i] = (payload[i] as number) ^ (masked ? mask[i % 4] as number : 0);
      }
      for (let offset = 0; offset < frame.length;) {
        offset += await connection.write(frame.subarray(offset));
      }
    },
    readUntilClose(timeoutMs) {
      return withTimeout(
        (async () => {
          let frames = 0;
          let bytes = 0;
          for (;;) {
            while (pending.length >= 2) {
              const opcode = (pending[0] as number) & 0x0f;
              let length = (pending[1] as number) & 0x7f;
              let offset = 2;
              if (length === 126) {
                if (pending.length < 4) break;
                length = ((pending[2] as number) << 8) | (pending[3] as number);
                offset = 4;
              } else if (length === 127) {
                if (pending.length < 10) break;
                length = Number(
                  new DataView(pending.buffer, pending.byteOffset + 2, 8).getBigUint64(0),
                );
                offset = 10;
              }
              if (pending.length < offset + length) break;
              const payload = pending.subarray(offset, offset + length);
              pending = pending.subarray(offset + length);
              if (opcode === 0x8) {
                const code = payload.length >= 2
                  ? ((payload[0] as number) << 8) | (payload[1] as number)
                  : undefined;
                return { code, frames, bytes };
              }
              frames++;
              bytes += length;
            }
            if (!(await read())) return { code: undefined, frames, bytes };
          }
        })(),
        timeoutMs,
        "a close frame",
      );
    },
    [Symbol.dispose]() {
      try {
        connection.close();
      } catch {
        // Closed already.
      }
    },
  };
}

/** How a raw socket's connection ended, told apart: a close frame, EOF, a reset or nothing in time. */
export type CloseOutcome =
  | { kind: "close"; code: number | undefined; frames: number }
  | { kind: "eof"; frames: number }
  | { kind: "reset" }
  | { kind: "timeout" };

/** Reads `raw` until its close frame, EOF or reset; a timeout is reported, never read as a drop. */
export async function closeOutcome(raw: RawSocket, timeoutMs: number): Promise<CloseOutcome> {
  let timedOut = false;
  try {
    const { code, frames } = await raw.readUntilClose(timeoutMs).catch((error) => {
      if (error instanceof Error && error.message.startsWith("Timed out")) timedOut = true;
      throw error;
    });
    // readUntilClose reports EOF as a close without a code; a close frame always has one here.
    return code === undefined ? { kind: "eof", frames } : { kind: "close", code, frames };
  } catch (error) {
    if (timedOut) return { kind: "timeout" };
    if (error instanceof Deno.errors.ConnectionReset) return { kind: "reset" };
    if (error instanceof Deno.errors.BrokenPipe) return { kind: "reset" };
    throw error;
  }
}
