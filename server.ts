/**
 * Wires a `Config` into a running server: the source and its hub, the
 * router, and `Deno.serve`. Used by `main.ts` and, in-process, by the tests.
 *
 * @module
 */

import type { Config } from "./config.ts";
import { createHandler } from "./handlers/router.ts";
import { CLOSE_GOING_AWAY, Connections } from "./handlers/websocket.ts";
import { createLogger, type Logger } from "./log.ts";
import { Hub } from "./stream/hub.ts";
import { type RunningSource, startSource } from "./stream/source.ts";

/** How long shutdown waits for connections to finish before giving up on them. */
export const SHUTDOWN_GRACE_MS = 1500;

/** Things only the caller can provide. */
export interface StartOptions {
  log?: Logger;
  /** Standard input, for the `stdin` source (default: `Deno.stdin.readable`). */
  input?: ReadableStream<Uint8Array>;
}

/** A listening server. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port/` (or https), with the port actually bound. */
  readonly url: URL;
  readonly hub?: Hub;
  readonly source?: RunningSource;
  readonly connections: Connections;
  /** Closes sockets with 1001, stops the source and stops listening. */
  shutdown(): Promise<void>;
}

/** Error thrown when the address cannot be bound. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** Starts the source, then listens; throws `SourceStartError` or `ListenError`. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const policy = {
    origins: config.origins,
    hostname: config.hostname,
    maxClients: config.maxClients,
    maxMessageBytes: config.maxMessageBytes,
    pingIntervalSeconds: config.pingIntervalSeconds,
  };
  const connections = new Connections(policy, log);
  let hub: Hub | undefined;
  let source: RunningSource | undefined;
  if (config.source.kind !== "demo") {
    hub = new Hub({
      window: config.window,
      maxQueuedBytes: config.maxQueuedBytes,
      xAxis: config.format === "sxy" ? "number" : config.xAxis,
      log,
    });
    source = startSource(config.source, {
      hub,
      format: config.format,
      xAxis: config.xAxis,
      maxLineBytes: config.maxLineBytes,
      log,
      input: options.input,
    });
  }
  const sourceName = config.source.kind === "command"
    ? [config.source.command, ...config.source.args].join(" ")
    : "standard input";
  const handler = await createHandler({ policy, connections, hub, sourceName, log });

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: config.hostname,
      port: config.port,
      ...config.tls,
      onListen: () => {},
      onError: (error) => {
        log.error("request-failed", { error: String(error) });
        return new Response("Internal server error\n", { status: 500 });
      },
    }, handler);
  } catch (error) {
    await source?.stop();
    const where = `${formatHost(config.hostname)}:${config.port}`;
    const detail = error instanceof Deno.errors.AddrInUse
      ? `port ${config.port} is already in use`
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ListenError(`Cannot listen on ${where}: ${detail}`);
  }

  const scheme = config.tls ? "https" : "http";
  const url = new URL(
    `${scheme}://${formatHost(config.hostname)}:${server.addr.port}/`,
  );
  log.info("start", {
    url: url.href,
    source: config.source.kind,
    pid: Deno.pid,
  });
  if (config.origins.includes("*")) {
    log.warn("origin-check-disabled", {
      note: "--origin * lets any web page open WebSockets",
    });
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      connections.closeAll(CLOSE_GOING_AWAY, "Server shutting down");
      hub?.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS));
      // The source's SIGTERM-then-SIGKILL and the sockets' closing run side by side.
      await Promise.all([source?.stop(), Promise.race([server.shutdown(), grace])]);
      clearTimeout(timer);
      log.info("stop", { url: url.href });
    })();

  return {
    url,
    hub,
    source,
    connections,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/** Wraps an IPv6 address in brackets for use in a URL. */
export function formatHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
