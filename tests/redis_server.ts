/**
 * A real `redis-server` for tests: on a free loopback port, with no
 * persistence (so a restart loses everything, as an outage of a cache
 * would), stopped at the end. Restartable on the same port.
 *
 * @module
 */

import { withTimeout } from "./helpers.ts";

/** A running (or stopped, between restarts) Redis. */
export interface TestRedis extends AsyncDisposable {
  readonly port: number;
  /** `redis://127.0.0.1:PORT/0`. */
  readonly url: string;
  /** Kills the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops (SIGSTOP) or continues (SIGCONT) the server: a Redis that hangs, connections open. */
  hang(hung: boolean): void;
  /** Sends one command over a fresh connection and returns the raw reply. */
  command(...args: string[]): Promise<string>;
}

/** Starts `redis-server` on a free port; throws if it is not installed. */
export async function startRedis(): Promise<TestRedis> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  let child: Deno.ChildProcess | undefined;

  const start = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await withTimeout(waitForPing(port), 5000, `redis-server on port ${port} to answer PING`);
  };
  const kill = async () => {
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await child.status;
    child = undefined;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    kill,
    start,
    hang: (hung) => child?.kill(hung ? "SIGSTOP" : "SIGCONT"),
    command: (...args) => sendCommand(port, args),
    [Symbol.asyncDispose]: kill,
  };
}

async function waitForPing(port: number): Promise<void> {
  for (;;) {
    try {
      if ((await sendCommand(port, ["PING"])).startsWith("+PONG")) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function sendCommand(port: number, args: string[]): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const encoder = new TextEncoder();
    const request = `*${args.length}\r\n` +
      args.map((arg) => `$${encoder.encode(arg).length}\r\n${arg}\r\n`).join("");
    await connection.write(encoder.encode(request));
    const buffer = new Uint8Array(64 * 1024);
    const count = await connection.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, count ?? 0));
  } finally {
    connection.close();
  }
}
