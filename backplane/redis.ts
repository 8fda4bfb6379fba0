/**
 * The Redis engine: one Redis Stream per liveplot stream (`liveplot:s:NAME`),
 * trimmed by length (`XADD … MAXLEN ~`), whose entry ids are the resume
 * offsets; every process reads every stream with one blocking `XREAD` on a
 * connection of its own, so all of them see the same entries in the same
 * order, and none needs another's state.
 *
 * New streams are announced on a stream of names (`liveplot:announce`, with
 * the set `liveplot:streams` to find them at start): the blocking read
 * covers it too, so a new stream is heard of as fast as a point.
 *
 * Redis down: writers' commits wait in one bounded local queue, in order,
 * and are sent when it returns; a commit that finds the queue full is
 * counted as lost and logged. A batch sent when the connection broke may
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
} from "./backplane.ts";
import { type Client, newClient, type RawEntry } from "./redis_client.ts";
import { createBatchDecoder, encodeEntry, type Outgoing } from "./redis_entry.ts";
import { RedisReader } from "./redis_reader.ts";
import { createWriter, mergeInto } from "./writer.ts";

export { parseRedisUrl };

/** Entries kept per stream in Redis: recent history for late joiners and new processes. */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Bytes of commits kept while Redis is away: minutes of a busy source, then counted as lost. */
export const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
/** At most this often, a line saying Redis is still away. */
export const WAITING_SUMMARY_MS = 10_000;
/** Entries sent per pipeline: enough to amortise round trips, few enough to merge commits behind. */
const SEND_BATCH_ENTRIES = 256;
/** Points one queued entry may grow to by merging commits made while sending. */
const MERGE_POINTS = 10_000;
/** Error replies worth trying again: Redis out of memory, loading, or busy with a script. */
const TRANSIENT_REPLY = /^(OOM|LOADING|BUSY|TRYAGAIN|MASTERDOWN)/;
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
  /** A stream no one writes to for this long is removed from Redis; default: kept. */
  keyTtlSeconds?: number;
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
  readonly #keyTtlSeconds: number | undefined;
  readonly #expired = new Map<string, number>();
  readonly #bufferBytes: number;
  readonly #prefix: string;
  readonly #where: string;
  readonly #command: Client;
  readonly #readerClient: Client;
  readonly #reader: RedisReader;
  readonly #writerId = crypto.randomUUID().slice(0, 8);
  #sequence = 0;
  #state: BackplaneState = "waiting";
  readonly #stateListeners: ((state: BackplaneState) => void)[] = [];
  readonly #handlers: ((stream: string, batch: Batch) => void)[] = [];
  #closed = false;
  #lastError = "not connected yet";

  // Sending.
  readonly #queue: Outgoing[] = [];
  #queuedBytes = 0;
  #sending = false;
  readonly #announced = new Set<string>();
  #lostPoints = 0;
  #lostSinceLog = 0;

  // Logging an outage.
  #waitingSince = performance.now();
  #waitingLogged = false;
  #summaryTimer: ReturnType<typeof setInterval> | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RedisBackplaneOptions) {
    const url = parseRedisUrl(options.url);
    this.#log = options.log;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#keyTtlSeconds = options.keyTtlSeconds;
    this.#bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.#prefix = options.prefix ?? "liveplot:";
    this.#where = `${url.hostname}:${url.port || 6379}${url.pathname}`;
    this.#command = this.#connect(url.href);
    this.#readerClient = this.#connect(url.href);
    this.#command.on("ready", () => {
      // Redis may have lost its data: announce streams and set their expiry again.
      this.#announced.clear();
      this.#expired.clear();
      this.#pump();
    });
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
        this.#pump();
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
    return this.#lostPoints;
  }

  get full(): boolean {
    return this.#queuedBytes >= this.#bufferBytes;
  }

  onStateChange(listener: (state: BackplaneState) => void): void {
    this.#stateListeners.push(listener);
  }

  subscribe(handler: (stream: string, batch: Batch) => void): void {
    this.#handlers.push(handler);
  }

  writer(stream: string): BackplaneWriter {
    return createWriter(stream, (outgoing) => this.#enqueue(outgoing));
  }

  async streams(): Promise<string[]> {
    if (!this.#command.isReady) return [];
    return await this.#command.sendCommand<string[]>(["SMEMBERS", this.#key("streams")]);
  }

  async recent(stream: string, points: number): Promise<Batch[]> {
    if (!this.#command.isReady) return [];
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
    const deadline = performance.now() + 1000;
    while (this.#queue.length > 0 && this.#command.isReady && performance.now() < deadline) {
      this.#pump();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#closed = true;
    clearInterval(this.#summaryTimer);
    clearTimeout(this.#startTimer);
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
      this.#lastError = error.message || error.name;
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
          queued: this.#queue.length,
          lost: this.#lostSinceLog || undefined,
        });
      } else {
        this.#log.info("redis-connected", { redis: this.#where });
      }
      this.#waitingLogged = false;
      this.#lostSinceLog = 0;
    }
    for (const listener of this.#stateListeners) listener(next);
  }

  #logWaiting(): void {
    if (this.#waitingLogged || this.#closed) return;
    this.#waitingLogged = true;
    this.#log.warn("redis-waiting", {
      redis: this.#where,
      reason: this.#lastError,
      note: "waiting for Redis; points are queued locally",
    });
    clearInterval(this.#summaryTimer);
    this.#summaryTimer = setInterval(() => {
      this.#log.warn("redis-still-waiting", {
        redis: this.#where,
        seconds: Math.round((performance.now() - this.#waitingSince) / 1000),
        reason: this.#lastError,
        queued: this.#queue.length,
        queuedBytes: this.#queuedBytes,
        lost: this.#lostSinceLog,
      });
    }, WAITING_SUMMARY_MS);
  }

  // ---- Sending ----

  #enqueue(outgoing: Outgoing): boolean {
    const last = this.#queue[this.#queue.length - 1];
    if (
      last && last.sequence === undefined && last.stream === outgoing.stream &&
      last.xs.length + outgoing.xs.length <= MERGE_POINTS
    ) {
      // Not sent yet: one entry instead of two, so a fast source costs fewer commands.
      const before = last.bytes;
      mergeInto(last, outgoing);
      this.#queuedBytes += last.bytes - before;
      return true;
    }
    if (this.full) {
      this.#lostPoints += outgoing.xs.length;
      if (this.#lostSinceLog === 0) {
        this.#log.warn("redis-queue-full", {
          redis: this.#where,
          limit: this.#bufferBytes,
          note: "points are being lost until Redis returns",
        });
      }
      this.#lostSinceLog += outgoing.xs.length;
      return false;
    }
    this.#queue.push(outgoing);
    this.#queuedBytes += outgoing.bytes;
    this.#pump();
    return true;
  }

  /** Sends the queue head in pipelines, one at a time, until it is empty or Redis is away. */
  #pump(): void {
    if (this.#sending || this.#closed || !this.#command.isReady || !this.#reader.synced) return;
    if (this.#queue.length === 0) return;
    this.#sending = true;
    void this.#sendAll().finally(() => {
      this.#sending = false;
      if (this.#queue.length > 0 && this.#command.isReady) this.#pump();
    });
  }

  async #sendAll(): Promise<void> {
    while (this.#queue.length > 0 && this.#command.isReady && !this.#closed) {
      const slice = this.#queue.slice(0, SEND_BATCH_ENTRIES);
      const sends = slice.map((outgoing) => {
        outgoing.sequence ??= ++this.#sequence;
        const announced = this.#announced.has(outgoing.stream)
          ? undefined
          : this.#announce(outgoing.stream);
        const added = this.#command.sendCommand([
          "XADD",
          this.#key(`s:${outgoing.stream}`),
          "MAXLEN",
          "~",
          String(this.#maxEntries),
          "*",
          ...encodeEntry(outgoing, this.#writerId),
        ]);
        return Promise.all([announced, added, this.#expire(outgoing.stream)]);
      });
      const results = await Promise.allSettled(sends);
      // The stored prefix leaves the queue; from the first failure on, all is sent again
      // (in order: readers drop what was stored twice, by writer and sequence).
      let done = 0;
      let retryLater = false;
      for (const [i, result] of results.entries()) {
        if (result.status === "fulfilled") {
          done++;
          continue;
        }
        const error = result.reason;
        this.#lastError = error instanceof Error ? error.message : String(error);
        if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) {
          // Redis refused this entry for good (a key of another type…): it cannot be sent.
          const outgoing = slice[i] as Outgoing;
          this.#lostPoints += outgoing.xs.length;
          this.#log.error("redis-refused", {
            redis: this.#where,
            stream: outgoing.stream,
            points: outgoing.xs.length,
            reason: error.message,
          });
          done++;
          continue;
        }
        retryLater = true;
        break;
      }
      this.#queue.splice(0, done);
      for (const outgoing of slice.slice(0, done)) this.#queuedBytes -= outgoing.bytes;
      // Out of memory or loading: wait a little; a broken connection waits for "ready".
      if (retryLater) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Pushes the stream's expiry back, at most ten times per TTL. */
  #expire(stream: string): Promise<unknown> | undefined {
    const ttl = this.#keyTtlSeconds;
    if (ttl === undefined) return undefined;
    const now = performance.now();
    if (now - (this.#expired.get(stream) ?? -Infinity) < ttl * 100) return undefined;
    this.#expired.set(stream, now);
    return this.#command.sendCommand(["EXPIRE", this.#key(`s:${stream}`), String(ttl)]);
  }

  async #announce(stream: string): Promise<void> {
    await this.#command.sendCommand([
      "EVAL",
      "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then " +
      "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'stream', ARGV[1]) end",
      "2",
      this.#key("streams"),
      this.#key("announce"),
      stream,
      String(this.#maxEntries),
    ]);
    this.#announced.add(stream);
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
