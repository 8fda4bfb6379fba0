/**
 * The streams of a process as its `Config` asks: each stream's hub, the
 * backplane (with `--redis`) that every point goes through and that feeds
 * each hub, and the command line's stream kept for the life of the process.
 *
 * @module
 */

import { StreamFeed } from "../backplane/feed.ts";
import type { Backplane } from "../backplane/backplane.ts";
import type { Config, SourceSpec } from "../config.ts";
import type { Logger } from "../log.ts";
import { Hub } from "./hub.ts";
import { Streams } from "./registry.ts";

/** Points of each series a process reads back from Redis for a window given in seconds. */
const MAX_RECENT_POINTS = 10_000;

/** What `createStreams` made. */
export interface ProcessStreams {
  streams: Streams;
  /** The stream `/` and `/data` serve (the source's, or with --redis `--stream`'s); absent for the demo. */
  mainStream?: string;
  backplane?: Backplane;
}

/** How the page names a source: its command line, "standard input", a replay; none for the demo. */
export function describeSource(source: SourceSpec): string | undefined {
  switch (source.kind) {
    case "command":
      return [source.command, ...source.args].join(" ");
    case "stdin":
      return "standard input";
    case "replay":
      return `replay of ${source.path}`;
    case "demo":
      return undefined;
  }
}

/** Builds the registry and, with `--redis`, connects the backplane to it. */
export async function createStreams(config: Config, log: Logger): Promise<ProcessStreams> {
  const sourceName = describeSource(config.source);
  // Loaded only with --redis: a single process never loads the Redis client.
  const backplane = config.redis
    ? (await import("../backplane/redis.ts")).createRedisBackplane({ url: config.redis, log })
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
    // With Redis, every point goes through it, and each stream's hub is fed from it alone.
    sinkFor: backplane && ((name) => backplane.writer(name)),
    writeBlocked: () =>
      backplane?.state === "waiting" ? "Waiting for the data store (Redis): try again" : undefined,
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
  const live = config.source.kind !== "demo" || backplane !== undefined;
  // The stream `/` and `/data` serve is kept for the life of the process.
  if (live) streams.open(config.stream, true);
  return { streams, mainStream: live ? config.stream : undefined, backplane };
}
