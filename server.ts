/**
 * Wires a `Config` into a running server: the streams, the router, the
 * listener and the command line's source. Used by `main.ts` and, in-process,
 * by the tests.
 *
 * @module
 */

import { checkLimits, type Config } from "./config.ts";
import { createHandler } from "./handlers/router.ts";
import { internalError } from "./handlers/respond.ts";
import { Connections } from "./handlers/websocket.ts";
import { formatHost } from "./host.ts";
import { listen, RELISTEN_MS } from "./listener.ts";
import { createLogger, WHOLE } from "./log.ts";
import type { Hub } from "./stream/hub.ts";
import type { MainSourceOptions } from "./stream/main_source.ts";
import type { Streams } from "./stream/registry.ts";
import type { RunningSource } from "./stream/source.ts";
import { CLOSE_GOING_AWAY } from "./stream/close_codes.ts";
import { createStreams } from "./stream/streams_setup.ts";

/** How long shutdown waits for connections to finish before giving up on them. */
export const SHUTDOWN_GRACE_MS = 1500;

/** Things only the caller can provide (the logger defaults to one at `config.logLevel`). */
export interface StartOptions extends Partial<MainSourceOptions> {
  /** How long a request body may send nothing (default listener.ts's `BODY_IDLE_MS`). */
  bodyIdleMs?: number;
}

/** A listening server. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port/` (or https), with the port actually bound. */
  readonly url: URL;
  /** The stream `/` and `/data` serve (the source's, or with --redis `--stream`'s); absent for the demo. */
  readonly hub?: Hub;
  readonly streams: Streams;
  readonly source?: RunningSource;
  readonly connections: Connections;
  /** Closes sockets with 1001, stops the source and stops listening. */
  shutdown(): Promise<void>;
}

export { ListenError } from "./listener.ts";

/** Listens, then starts the source; throws `ListenError` or `SourceStartError`. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const connections = new Connections(config, log);
  const { streams, mainStream, backplane } = await createStreams(config, log);
  const main = mainStream === undefined ? undefined : streams.get(mainStream);
  const handler = createHandler({ config, connections, streams, mainStream, log });

  const { hostname, port, tls, reusePort } = config;
  const onError = (error: unknown) => {
    log.error("request-failed", { error: String(error) });
    return internalError();
  };
  /** Undoes what was started when start-up fails: nothing keeps running (Redis clients, timers). */
  const release = async (error: unknown): Promise<never> => {
    streams.stop();
    await backplane?.[Symbol.asyncDispose]();
    throw error;
  };
  let server: ReturnType<typeof listen>;
  try {
    const onListening = (error?: unknown) =>
      error === undefined ? log.info("listening-again") : log.error("listener-failed", {
        error: String(error),
        note: `trying to listen again every ${RELISTEN_MS / 1000} s; open connections are kept`,
      });
    server = listen(
      { hostname, port, tls, reusePort, bodyIdleMs: options.bodyIdleMs, onError, onListening },
      handler,
    );
  } catch (error) {
    return release(error);
  }
  const target = main && { hub: main.hub, sink: streams.sinkFor(main) };
  // Loaded only for a source: the demo never loads the readers, recorder and processes.
  const started = target &&
    await import("./stream/main_source.ts")
      .then(({ startMainSource }) => startMainSource(config, target, { ...options, log }))
      .catch(async (error) => {
        await server.shutdown();
        return release(error);
      });

  const scheme = config.tls ? "https" : "http";
  const url = new URL(`${scheme}://${formatHost(config.hostname)}:${server.port}/`);
  log.info("start", { url: url.href, source: config.source.kind, pid: Deno.pid });
  // Each said whole: start-up is no flood, and two problems may be of one kind.
  for (const problem of checkLimits(config)) {
    log.warn("limits-inconsistent", { note: problem }, WHOLE);
  }
  if (config.origins.includes("*")) {
    log.warn(
      "origin-check-disabled",
      { note: "--origin * lets any web page open WebSockets" },
      WHOLE,
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      const opening = connections.closeAll(CLOSE_GOING_AWAY, "Server shutting down");
      streams.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS));
      // Sockets still opening get their 1001 before the listener stops (it would drop them).
      const listening = Promise.race([opening, grace]).then(() => server.shutdown());
      // The source's SIGTERM-then-SIGKILL, then what it wrote (the recording, Redis), and the
      // sockets' closing run side by side: main.ts exits 2 s after a signal whatever is left.
      const source = (async () => {
        await started?.source.stop();
        await started?.recorder?.close();
        await backplane?.[Symbol.asyncDispose]();
      })();
      await Promise.all([source, Promise.race([listening, grace])]);
      clearTimeout(timer);
      log.info("stop", { url: url.href });
    })();

  const source = started?.source;
  const hub = main?.hub;
  return { url, hub, streams, source, connections, shutdown, [Symbol.asyncDispose]: shutdown };
}
