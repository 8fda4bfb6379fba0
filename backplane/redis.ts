/**
 * The Redis engine: one Redis Stream per liveplot stream (`liveplot:s:NAME`),
 * trimmed by length (`XADD … MAXLEN ~`), whose entry ids are the resume
 * offsets; every process reads every stream with one blocking `XREAD` on a
 * connection of its own, so all of them see the same entries in the same
 * order, and none needs another's state (redis_reader.ts).
 *
 * New streams are announced on a stream of names (`liveplot:announce`, with
 * the set `liveplot:streams` to find them at start): the blocking read
 * covers it too, so a new stream is heard of as fast as a point.
 *
 * Redis down: writers' commits wait in one bounded local queue, in order,
 * and are sent when it returns (redis_sender.ts); a commit that finds the
 * queue full is counted as lost and logged. A batch sent when the connection broke may
 * have been stored anyway, so each entry carries its writer's id and a
 * sequence number, and readers drop what they have seen (at-least-once
 * sending, exactly-once delivery). Redis restarted without its data is told
 * by a random epoch kept in Redis (`liveplot:epoch`, Centrifugo's trick):
 * then every stream is read again from its start and the gap is reported.
 *
 * @module
 */

import { ErrorReply } from "redis";
import type { Logger } from "../log.ts";
import {
  type Backplane,
  type BackplaneState,
  type BackplaneWriter,
  type Batch,
  parseRedisUrl,
  type Refused,
} from "./backplane.ts";
import {
  type Client,
  connectSettled,
  newClient,
  type RawEntry,
  SILENCE_MS,
} from "./redis_client.ts";
import { createBatchDecoder } from "./redis_entry.ts";
import { RedisReader } from "./redis_reader.ts";
import { RedisSender } from "./redis_sender.ts";
import { createWriter } from "./writer.ts";

export { parseRedisUrl };

/** Entries kept per stream in Redis: recent history for late joiners and new processes. */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Bytes of commits kept while Redis is away: minutes of a busy source, then counted as lost. */
export const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
/** At most this often, a line saying Redis is still away. */
export const WAITING_SUMMARY_MS = 10_000;
/** Redis's answers to a wrong password or database number: a setting to fix, not an outage. */
const REFUSED_SETTING =
  /NOAUTH|WRONGPASS|invalid password|without any password configured|DB index is out of range/i;
/** Entries per XREVRANGE when reading a window back. */
const RECENT_PAGE = 200;

/** Options for `createRedisBackplane`. */
export interface RedisBackplaneOptions {
  /** `redis://HOST:PORT[/DB]` (or `rediss://`). */
  url: string;
  log: Logger;
  /** Entries kept per stream (`MAXLEN ~`); default `DEFAULT_MAX_ENTRIES`. */
  maxEntries?: number;
  /** Bytes of commits queued locally while Redis is away; default `DEFAULT_BUFFER_BYTES`. */
  bufferBytes?: number;
  /** Prefix of every key (default `liveplot:`). */
  prefix?: string;
}

/** Connects to Redis (in the background: an outage at start is waited out). */
export function createRedisBackplane(options: RedisBackplaneOptions): Backplane {
  return new RedisBackplane(options);
}

class RedisBackplane implements Backplane {
  readonly #log: Logger;
  readonly #maxEntries: number;
  readonly #prefix: string;
  readonly #where: string;
  readonly #command: Client;
  readonly #readerClient: Client;
  readonly #reader: RedisReader;
  readonly #sender: RedisSender;
  #state: BackplaneState = "waiting";
  readonly #stateListeners: ((state: BackplaneState) => void)[] = [];
  readonly #handlers: ((stream: string, batch: Batch) => void)[] = [];
  /** `recent()` calls waiting for the reader's first sync (or for the close). */
  readonly #awaitingConnect: (() => void)[] = [];
  #closed = false;
  #lastError = "not connected yet";

  // Logging an outage.
  #waitingSince = performance.now();
  #waitingLogged = false;
  #summaryTimer: ReturnType<typeof setInterval> | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RedisBackplaneOptions) {
    const url = parseRedisUrl(options.url);
    this.#log = options.log;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#prefix = options.prefix ?? "liveplot:";
    this.#where = `${url.hostname}:${url.port || 6379}${url.pathname}`;
    this.#command = this.#connect(url.href);
    this.#readerClient = this.#connect(url.href);
    this.#sender = new RedisSender({
      client: this.#command,
      key: (name) => this.#key(name),
      log: this.#log,
      where: this.#where,
      maxEntries: this.#maxEntries,
      bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      maySend: () => this.#reader.synced,
      onError: (message) => this.#lastError = message,
    });
    this.#command.on("ready", () => this.#sender.reconnected());
    // Unreachable at start is an outage like any other: say so if it lasts.
    this.#startTimer = setTimeout(() => {
      if (this.#state === "waiting") this.#logWaiting();
    }, 1000);
    this.#reader = new RedisReader({
      client: this.#readerClient,
      key: (name) => this.#key(name),
      log: this.#log,
      where: this.#where,
      onSynced: () => {
        this.#updateState();
        this.#sender.pump();
      },
      onError: (message) => this.#lastError = message,
      deliver: (stream, batch) => this.#deliver(stream, batch),
    });
  }

  get state(): BackplaneState {
    return this.#state;
  }

  /** Points lost since start: the local queue full, or an entry Redis refused. */
  get lost(): number {
    return this.#sender.lost;
  }

  get full(): boolean {
    return this.#sender.full;
  }

  onStateChange(listener: (state: BackplaneState) => void): void {
    this.#stateListeners.push(listener);
  }

  subscribe(handler: (stream: string, batch: Batch) => void): void {
    this.#handlers.push(handler);
  }

  writer(stream: string, onRefused?: Refused): BackplaneWriter {
    return createWriter(stream, (outgoing) => this.#sender.enqueue(outgoing), onRefused);
  }

  async streams(): Promise<string[]> {
    if (!this.#command.isReady) return [];
    return await this.#command.sendCommand<string[]>(["SMEMBERS", this.#key("streams")]);
  }

  async recent(stream: string, points: number): Promise<Batch[]> {
    // Read once connected (the reader synced): live batches from then on follow the window.
    // Read before, it was empty, and a process started with --stream never had its window.
    while (this.#state !== "connected" && !this.#closed) {
      await new Promise<void>((resolve) => this.#awaitingConnect.push(resolve));
    }
    if (this.#closed) return [];
    const decode = createBatchDecoder();
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    const batches: Batch[] = [];
    // Backwards, a page at a time, until every series met has its window.
    const enough = () => counts.size > 0 && [...counts.values()].every((count) => count >= points);
    let end = "+";
    for (let read = 0; read < this.#maxEntries * 2 && !enough();) {
      const page = await this.#command.sendCommand<RawEntry[]>(
        ["XREVRANGE", this.#key(`s:${stream}`), end, "-", "COUNT", String(RECENT_PAGE)],
      ).catch((error) => {
        // A key of another type holds no window.
        if (error instanceof ErrorReply && error.message.startsWith("WRONGTYPE")) return [];
        throw error;
      });
      for (const [id, fields] of page) {
        if (enough()) break;
        const batch = decode(id, fields, this.#reader.epoch ?? "", false);
        if (!batch) continue;
        // A batch sent again after a broken connection may be stored twice.
        const identity = `${batch.writer}:${batch.sequence}`;
        if (seen.has(identity)) continue;
        seen.add(identity);
        batches.push(batch.batch);
        for (const index of batch.batch.series) {
          const name = batch.batch.names[index] as string;
          counts.set(name, (counts.get(name) ?? 0) + 1);
        }
      }
      read += page.length;
      if (page.length < RECENT_PAGE) break;
      end = `(${page[page.length - 1]?.[0]}`;
    }
    return batches.reverse();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    // Give what is queued a moment to go out, then close.
    await this.#sender.close(performance.now() + 1000);
    this.#closed = true;
    for (const wake of this.#awaitingConnect.splice(0)) wake();
    clearInterval(this.#summaryTimer);
    clearTimeout(this.#startTimer);
    await Promise.all([connectSettled(this.#command), connectSettled(this.#readerClient)]);
    this.#readerClient.destroy();
    await this.#reader.close();
    if (this.#command.isOpen) this.#command.destroy();
  }

  #key(name: string): string {
    return `${this.#prefix}${name}`;
  }

  #connect(url: string): Client {
    const client = newClient(url);
    const update = () => this.#updateState();
    client.on("error", (error: Error) => {
      // node-redis's words for a silent Redis: "Socket timeout timeout. Expecting data, …".
      this.#lastError = /^Socket timeout timeout\b/.test(error.message)
        ? `no answer for ${SILENCE_MS / 1000} s`
        : error.message || error.name;
      update();
    });
    client.on("ready", update);
    client.on("end", update);
    client.on("reconnecting", update);
    client.connect().catch((error: Error) => {
      // Only a client closed on purpose stops connecting.
      if (!this.#closed) this.#lastError = error.message;
    });
    return client;
  }

  #updateState(): void {
    if (this.#closed) return;
    const next: BackplaneState = this.#command.isReady && this.#readerClient.isReady &&
        this.#reader.synced
      ? "connected"
      : "waiting";
    if (next === this.#state) return;
    this.#state = next;
    if (next === "waiting") {
      this.#waitingSince = performance.now();
      this.#logWaiting();
    } else {
      clearInterval(this.#summaryTimer);
      this.#summaryTimer = undefined;
      if (this.#waitingLogged) {
        this.#log.info("redis-connected", {
          redis: this.#where,
          waitedSeconds: Math.round((performance.now() - this.#waitingSince) / 1000),
          queued: this.#sender.queued,
          lost: this.#sender.lostSinceLog || undefined,
        });
      } else {
        this.#log.info("redis-connected", { redis: this.#where });
      }
      this.#waitingLogged = false;
      this.#sender.connected();
      for (const wake of this.#awaitingConnect.splice(0)) wake();
    }
    for (const listener of this.#stateListeners) listener(next);
  }

  #logWaiting(): void {
    if (this.#waitingLogged || this.#closed) return;
    this.#waitingLogged = true;
    this.#log.warn("redis-waiting", {
      redis: this.#where,
      reason: this.#lastError,
      note: REFUSED_SETTING.test(this.#lastError)
        ? "Redis refuses what --redis asks (its password or database): fix the URL; " +
          "points are queued locally meanwhile"
        : "waiting for Redis; points are queued locally",
    });
    clearInterval(this.#summaryTimer);
    this.#summaryTimer = setInterval(() => {
      this.#log.warn("redis-still-waiting", {
        redis: this.#where,
        seconds: Math.round((performance.now() - this.#waitingSince) / 1000),
        reason: this.#lastError,
        queued: this.#sender.queued,
        queuedBytes: this.#sender.queuedBytes,
        lost: this.#sender.lostSinceLog,
      });
    }, WAITING_SUMMARY_MS);
  }

  #deliver(stream: string, batch: Batch): void {
    for (const handler of this.#handlers) {
      try {
        handler(stream, batch);
      } catch (error) {
        // One subscriber's bug must not stop the stream for the others.
        this.#log.error("backplane-handler-failed", {
          stream,
          error: error instanceof Error ? error.stack ?? error.message : String(error),
        });
      }
    }
  }
}
