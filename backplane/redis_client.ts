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

/** How long one connection attempt may take. */
const CONNECT_TIMEOUT_MS = 2000;

/** A client for `url`, not connected yet. */
export function newClient(url: string) {
  return createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Backoff from 50 ms to 2 s, with jitter so processes do not retry in step.
      reconnectStrategy: (retries) =>
        Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100),
    },
  });
}

/**
 * Resolves once a client's connection attempt has ended, either way, within
 * its connect timeout: node-redis 6.3 leaves open a socket that is still
 * being made when the client is destroyed (seen as `cmd=NULL` in `CLIENT
 * LIST`, held until the process exits).
 */
export function connectSettled(client: Client): Promise<void> {
  if (client.isReady || !client.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const event of SETTLED) client.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, CONNECT_TIMEOUT_MS);
    for (const event of SETTLED) client.on(event, done);
  });
}

/** What ends a connection attempt: connected, or failed (a retry is then scheduled). */
const SETTLED = ["ready", "error", "end"] as const;
