/**
 * Wires a `Config` into a running server: the source and its hub, the
 * router, and `Deno.serve`. Used by `main.ts` and, in-process, by the tests.
 *
 * @module
 */

import { StreamFeed } from "./backplane/feed.ts";
import { checkLimits, type Config, FORMATS, type LineFormat } from "./config.ts";
import { createIngestHandler } from "./handlers/ingest.ts";
import { createHandler, internalError } from "./handlers/router.ts";
import { CLOSE_GOING_AWAY, Connections } from "./handlers/websocket.ts";
import { listen, type Listener, ListenFailure } from "./listener.ts";
import { createLogger, type Logger } from "./log.ts";
import { Hub } from "./stream/hub.ts";
import { createLineReader, type LineReader } from "./stream/formats/mod.ts";
import { type Stream, Streams } from "./stream/registry.ts";
import type { PointSink } from "./stream/sink.ts";
import { openRecorder, type Recorder, RecordError } from "./stream/recorder.ts";
import { type RunningSource, SourceStartError, startSource } from "./stream/source.ts";

/** How long shutdown waits for connections to finish before giving up on them. */
export const SHUTDOWN_GRACE_MS = 1500;
/** How long a request body may send nothing before it is abandoned with 408. */
export const BODY_IDLE_MS = 30_000;

/** Things only the caller can provide. */
export interface StartOptions {
  log?: Logger;
  /** Standard input, for the `stdin` source (default: `Deno.stdin`, read into one reused buffer). */
  input?: ReadableStream<Uint8Array>;
  /** Told when liveplot cannot go on (a `--record-required` recording failed). */
  onFatal?: (message: string) => void;
  /** How long a request body may send nothing (default `BODY_IDLE_MS`; shorter in tests). */
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

/** Error thrown when the address cannot be bound. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** Points of each series a process reads back from Redis for a window given in seconds. */
const MAX_RECENT_POINTS = 10_000;

/** Listens, then starts the source; throws `ListenError` or `SourceStartError`. */
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
    maxClientsPerAddress: config.maxClientsPerAddress,
    maxQueuedBytes: config.maxQueuedBytes,
    trustProxy: config.trustProxy,
  };
  const connections = new Connections(policy, log);
  const sourceName = config.source.kind === "command"
    ? [config.source.command, ...config.source.args].join(" ")
    : config.source.kind === "stdin"
    ? "standard input"
    : config.source.kind === "replay"
    ? `replay of ${config.source.path}`
    : undefined;
  // With Redis, every point goes through it, and each stream's hub is fed from it alone.
  // Loaded only with --redis: a single process never loads the Redis client.
  const backplane = config.redis
    ? (await import("./backplane/redis.ts")).createRedisBackplane({ url: config.redis, log })
    : undefined;
  const feeds = new Map<string, StreamFeed>();
  const windowPoints = "points" in config.window ? config.window.points : MAX_RECENT_POINTS;
  const streams = new Streams({
    createHub: (name) => {
      const hub = new Hub({
        window: config.window,
        maxQueuedBytes: config.maxQueuedBytes,
        yRange: config.yRange,
        historyBytes: config.historyBytes,
        title: name === config.stream && sourceName ? sourceName : name,
        log,
      });
      if (backplane) {
        feeds.set(name, new StreamFeed(backplane, name, hub, windowPoints));
        hub.report({ store: backplane.state });
      }
      return hub;
    },
    onFreed: (name) => feeds.delete(name),
    maxStreams: config.maxStreams,
    ttlMs: config.streamTtlSeconds * 1000,
    log,
  });
  backplane?.subscribe((name, batch) => {
    const stream = streams.open(name);
    if (!stream) return;
    if (batch.gap) stream.hub.report({ gaps: stream.hub.status.gaps + 1 });
    feeds.get(name)?.push(batch);
  });
  backplane?.onStateChange((state) => {
    for (const stream of streams.list()) stream.hub.report({ store: state });
  });
  /** Where a stream's writers put their points: Redis, or the hub itself. */
  const sinkFor = (name: string, hub: Hub): PointSink => backplane?.writer(name) ?? hub;

  const live = config.source.kind !== "demo";
  // The stream `/` and `/data` serve is kept for the life of the process.
  const hub = live || backplane ? streams.open(config.stream, true)?.hub : undefined;
  const pushReaders = new WeakMap<Stream, Map<string, LineReader>>();
  const ingest = createIngestHandler({
    token: config.token,
    policy,
    streams: {
      openWriter: (name) => {
        const stream = streams.open(name);
        if (!stream) return { status: 507, reason: "Too many streams: try again later" };
        stream.writers++;
        return {
          sink: sinkFor(name, stream.hub),
          refusal: () =>
            backplane?.state === "waiting"
              ? {
                status: 503,
                reason: "Waiting for the data store (Redis): try again",
                headers: { "retry-after": "5" },
              }
              : undefined,
          close: () => {
            stream.writers--;
            stream.lastUsed = Date.now();
          },
          detected: (detected) => stream.hub.setFormat(detected.format),
          skipped: (line, reason) => stream.hub.noteSkipped(line, reason),
        };
      },
    },
    // One reader per stream and format, kept across requests: a header posted once names
    // the columns of every later post.
    createReader: (params, name) => {
      const format = params.get("format") ?? config.format;
      if (!(FORMATS as readonly string[]).includes(format) && format !== "sxy") {
        return { error: `format must be one of ${FORMATS.join(", ")}, not "${format}"` };
      }
      const x = params.get("x");
      // Opened here so that its reader is kept; past --max-streams the writer gets 507.
      const stream = streams.open(name);
      const key = `${format}\n${x ?? ""}`;
      const kept = (stream && pushReaders.get(stream)) ?? new Map<string, LineReader>();
      if (stream) pushReaders.set(stream, kept);
      const reader = kept.get(key) ?? createLineReader(
        format as LineFormat,
        x === null
          ? config.x
          : x === "auto" || x === "time" || x === "index"
          ? { kind: x }
          : { kind: "field", name: x },
      );
      kept.set(key, reader);
      return reader;
    },
    maxBodyBytes: config.maxBodyBytes,
    maxIngestRate: config.maxIngestRate,
    maxLineBytes: config.maxLineBytes,
    log,
  });
  let source: RunningSource | undefined;
  let recorder: Recorder | undefined;
  const handler = await createHandler({
    policy,
    connections,
    streams,
    mainStream: live || backplane ? config.stream : undefined,
    ingest,
    readToken: config.readToken,
    sourceName,
    directory: { list: () => streams.summaries() },
    log,
  });

  let server: Listener;
  try {
    server = listen({
      hostname: config.hostname,
      port: config.port,
      tls: config.tls,
      reusePort: config.reusePort,
      bodyIdleMs: options.bodyIdleMs ?? BODY_IDLE_MS,
      onError: (error) => {
        log.error("request-failed", { error: String(error) });
        return internalError();
      },
    }, handler);
  } catch (error) {
    if (!(error instanceof ListenFailure)) throw error;
    const where = `${formatHost(config.hostname)}:${config.port}`;
    throw new ListenError(`Cannot listen on ${where}: ${error.message}`);
  }

  if (hub && config.source.kind !== "demo") {
    try {
      recorder = config.record ? await openRecording(config.record, log, options) : undefined;
      source = await startSource(config.source, {
        hub,
        sink: sinkFor(config.stream, hub),
        format: config.format,
        x: config.x,
        pty: config.pty,
        maxLineBytes: config.maxLineBytes,
        log,
        input: options.input,
        recorder,
      });
    } catch (error) {
      await server.shutdown();
      throw error;
    }
  }

  const scheme = config.tls ? "https" : "http";
  const url = new URL(
    `${scheme}://${formatHost(config.hostname)}:${server.port}/`,
  );
  log.info("start", {
    url: url.href,
    source: config.source.kind,
    pid: Deno.pid,
  });
  for (const problem of checkLimits(config)) log.warn("limits-inconsistent", { note: problem });
  if (config.origins.includes("*")) {
    log.warn("origin-check-disabled", {
      note: "--origin * lets any web page open WebSockets",
    });
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      connections.closeAll(CLOSE_GOING_AWAY, "Server shutting down");
      streams.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS));
      // The source's SIGTERM-then-SIGKILL and the sockets' closing run side by side.
      await Promise.all([source?.stop(), Promise.race([server.shutdown(), grace])]);
      await recorder?.close();
      await backplane?.[Symbol.asyncDispose]();
      clearTimeout(timer);
      log.info("stop", { url: url.href });
    })();

  return {
    url,
    hub,
    streams,
    source,
    connections,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/**
 * Opens `--record`'s file. Failing to open it, or a later write error, stops the recording
 * with one log line and liveplot goes on; with `--record-required` liveplot stops instead.
 */
async function openRecording(
  record: { path: string; required: boolean },
  log: Logger,
  options: StartOptions,
): Promise<Recorder | undefined> {
  try {
    return await openRecorder(record.path, {
      log,
      required: record.required,
      onFailure: (error) => {
        if (record.required) options.onFatal?.(error.message);
      },
    });
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    if (record.required) throw new SourceStartError(error.message);
    log.warn("record-failed", { error: error.message, note: "going on without recording" });
    return undefined;
  }
}

/** Wraps an IPv6 address in brackets for use in a URL. */
export function formatHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
