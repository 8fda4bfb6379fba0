/**
 * The streams of a process as its `Config` asks: each stream's hub, the
 * backplane (with `--redis`) that every point goes through and that feeds
 * each hub, and the command line's stream kept for the life of the process.
 *
 * @module
 */

import type { StreamFeed } from "../backplane/feed.ts";
import type { Backplane } from "../backplane/backplane.ts";
import { describeSource } from "./source_spec.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
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

/**
 * Builds the registry and, with `--redis`, connects the backplane to it. The
 * hub and its history load with the first stream (`Streams.ready`): the
 * demo, which has none until a push, starts without them.
 */
export async function createStreams(config: Config, log: Logger): Promise<ProcessStreams> {
  const sourceName = describeSource(config.source);
  // Loaded only with --redis: a single process never loads the Redis client.
  const backplane = config.redis
    ? (await import("../backplane/redis.ts")).createRedisBackplane({ url: config.redis, log })
    : undefined;
  const Feed = backplane && (await import("../backplane/feed.ts")).StreamFeed;
  const feeds = new Map<string, StreamFeed>();
  const windowPoints = "points" in config.window ? config.window.points : MAX_RECENT_POINTS;
  let Hub: typeof import("./hub.ts").Hub | undefined;
  const view = (name: string) => ({
    window: config.window,
    yRange: config.yRange,
    title: name === config.stream && sourceName ? sourceName : name,
  });
  const streams = new Streams({
    view,
    prepare: async () => {
      Hub = (await import("./hub.ts")).Hub;
    },
    createHub: (name) => {
      if (!Hub) throw new Error(`Stream "${name}" opened before streams.ready() resolved`);
      const hub = new Hub({
        ...view(name),
        stream: name,
        maxQueuedBytes: config.maxQueuedBytes,
        historyBytes: config.historyBytes,
        log,
      });
      if (backplane && Feed) {
        feeds.set(name, new Feed(backplane, name, hub, windowPoints));
        hub.report({ store: backplane.state });
      }
      return hub;
    },
    // With Redis, every point goes through it, and each stream's hub is fed from it alone.
    // What a writer refuses is counted (and the cap logged) by the local hub, as its own are.
    sinkFor: backplane &&
      ((name, hub) => backplane.writer(name, (series, overCap) => hub.refuse(series, overCap))),
    writeBlocked: () =>
      backplane?.state === "waiting" ? "Waiting for the data store (Redis): try again" : undefined,
    onFreed: (name) => feeds.delete(name),
    maxStreams: config.maxStreams,
    ttlMs: config.streamTtlSeconds * 1000,
    log,
  });
  const live = config.source.kind !== "demo" || backplane !== undefined;
  // A live process opens its stream now, and a backplane's points may open any.
  if (live) await streams.ready();
  let fullLoggedAt = -Infinity;
  backplane?.subscribe((name, batch) => {
    const stream = streams.open(name);
    if (!stream) {
      // Another process's stream this one has no room for: said, at most once a minute.
      if (performance.now() - fullLoggedAt < 60_000) return;
      fullLoggedAt = performance.now();
      log.warn("stream-not-served", {
        stream: name,
        limit: config.maxStreams,
        note:
          "--max-streams reached: streams from Redis past it are not served here (logged once a minute)",
      });
      return;
    }
    if (batch.gap) stream.hub.report({ gaps: stream.hub.status.gaps + 1 });
    feeds.get(name)?.push(batch);
  });
  backplane?.onStateChange((state) => {
    for (const stream of streams.list()) stream.hub.report({ store: state });
  });
  // The stream `/` and `/data` serve is kept for the life of the process. A process with no
  // source of its own (a viewer of Redis) lists it only once a point arrives.
  if (live) streams.open(config.stream, true, config.source.kind !== "demo");
  return { streams, mainStream: live ? config.stream : undefined, backplane };
}
