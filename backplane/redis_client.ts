/**
 * How the Redis engine's connections are made: node-redis, RESP2 (replies
 * are plain arrays, the shapes parsed here), no offline queue (a command
 * fails at once while disconnected: the engine's own queue holds points, in
 * order), and reconnection with backoff, for ever.
 *
 * @module
 */

import { createClient } from "redis";

/** A stream entry as RESP2 returns it: id, then fields and values in turn. */
export type RawEntry = [string, string[]];

/** A connection to Redis. */
export type Client = ReturnType<typeof newClient>;

/** A client for `url`, not connected yet. */
export function newClient(url: string) {
  return createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      // Backoff from 50 ms to 2 s, with jitter so processes do not retry in step.
      reconnectStrategy: (retries) =>
        Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100),
    },
  });
}
