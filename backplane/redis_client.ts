/**
 * How the Redis engine's connections are made: node-redis, RESP2 (replies
 * are plain arrays, the shapes parsed here), no offline queue (a command
 * fails at once while disconnected: the engine's own queue holds points, in
 * order), and reconnection with backoff, for ever. A Redis that hangs (a
 * stopped process, a network path that drops packets without a reset) is a
 * broken connection too: every connection hears from Redis at least every
 * `PING_INTERVAL_MS` (the reader's `XREAD` every 2 s), and one silent for
 * `SILENCE_MS` is closed and made again.
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
/** A connection with nothing else to do sends `PING` this often. */
const PING_INTERVAL_MS = 1000;
/** A connection that hears nothing for this long is taken for broken (bigger than XREAD's BLOCK). */
export const SILENCE_MS = 5000;

/** A client for `url`, not connected yet. */
export function newClient(url: string) {
  return createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    pingInterval: PING_INTERVAL_MS,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SILENCE_MS,
      // Backoff from 50 ms to 2 s, with jitter so processes do not retry in step.
      reconnectStrategy: (retries) =>
        Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100),
    },
  });
}

/**
 * Resolves once a client's connection attempt has ended, either way, or
 * after `SETTLE_WAIT_MS`: node-redis 6.3 leaves open a socket that is still
 * being made when the client is destroyed (seen as `cmd=NULL` in `CLIENT
 * LIST`, held until the process exits). An attempt to a Redis that is there
 * ends in a few ms; a client between attempts (Redis away, up to 2 s of
 * backoff) has no socket to leave, and is not waited for.
 */
export function connectSettled(client: Client): Promise<void> {
  if (client.isReady || !client.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const event of SETTLED) client.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, SETTLE_WAIT_MS);
    for (const event of SETTLED) client.on(event, done);
  });
}

/** How long `connectSettled` waits for an attempt to end. */
const SETTLE_WAIT_MS = 250;

/** What ends a connection attempt: connected, or failed (a retry is then scheduled). */
const SETTLED = ["ready", "error", "end"] as const;
