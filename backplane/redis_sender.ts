/**
 * The sending half of the Redis engine: writers' commits wait in one
 * bounded local queue, in order, and go out in pipelines of `XADD`s while
 * Redis is there. Commits made while a pipeline is out merge into the entry
 * behind it, so a fast source costs few commands; a commit that finds the
 * queue full is counted as lost and logged once per outage. Each entry
 * carries its writer's id and a sequence number, so an entry sent again
 * after a broken connection is dropped by readers (redis_reader.ts).
 *
 * @module
 */

import { ErrorReply } from "redis";
import { describeError, type Logger } from "../log.ts";
import type { Client } from "./redis_client.ts";
import { encodeEntry, type Outgoing } from "./redis_entry.ts";
import { mergeInto } from "./writer.ts";

/** Entries sent per pipeline: enough to amortise round trips, few enough to merge commits behind. */
const SEND_BATCH_ENTRIES = 256;
/** Points one queued entry may grow to by merging commits made while sending. */
const MERGE_POINTS = 10_000;
/** Error replies worth trying again: Redis out of memory, loading, or busy with a script. */
const TRANSIENT_REPLY = /^(OOM|LOADING|BUSY|TRYAGAIN|MASTERDOWN)/;

/** What the sender is given. */
export interface RedisSenderOptions {
  /** The command connection (not the reader's). */
  client: Client;
  /** Full key of a name: `liveplot:` + name. */
  key: (name: string) => string;
  log: Logger;
  /** `host:port/db`, for log lines. */
  where: string;
  /** Entries kept per stream (`MAXLEN ~`). */
  maxEntries: number;
  /** Bytes of commits queued while Redis is away. */
  bufferBytes: number;
  /** Whether entries may go out besides the connection being ready (the reader has synced). */
  maySend: () => boolean;
  /** Called with the last error, for the waiting summary. */
  onError: (message: string) => void;
}

/** Queues commits and sends them to one Redis in order. */
export class RedisSender {
  readonly #options: RedisSenderOptions;
  readonly #client: Client;
  readonly #writerId = crypto.randomUUID().slice(0, 8);
  #sequence = 0;
  readonly #queue: Outgoing[] = [];
  #queuedBytes = 0;
  #sending = false;
  #closed = false;
  readonly #announced = new Set<string>();
  #lostPoints = 0;
  #lostSinceLog = 0;

  constructor(options: RedisSenderOptions) {
    this.#options = options;
    this.#client = options.client;
  }

  /** Points lost since start: the local queue full, or an entry Redis refused. */
  get lost(): number {
    return this.#lostPoints;
  }

  /** Points lost since `connected()` last said so. */
  get lostSinceLog(): number {
    return this.#lostSinceLog;
  }

  /** Entries waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Bytes waiting to be sent. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Whether the queue is at its bound: a commit now would be lost. */
  get full(): boolean {
    return this.#queuedBytes >= this.#options.bufferBytes;
  }

  /** Queues a writer's commit; false when it was lost to a full queue. */
  enqueue(outgoing: Outgoing): boolean {
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
        this.#options.log.warn("redis-queue-full", {
          redis: this.#options.where,
          limit: this.#options.bufferBytes,
          note: "points are being lost until Redis returns",
        });
      }
      this.#lostSinceLog += outgoing.xs.length;
      return false;
    }
    this.#queue.push(outgoing);
    this.#queuedBytes += outgoing.bytes;
    this.pump();
    return true;
  }

  /** The connection is ready again: Redis may have lost its data, so announce anew. */
  reconnected(): void {
    this.#announced.clear();
    this.pump();
  }

  /** An outage is over and has been logged: losses count afresh. */
  connected(): void {
    this.#lostSinceLog = 0;
  }

  /** Sends the queue head in pipelines, one at a time, until it is empty or Redis is away. */
  pump(): void {
    if (this.#sending || this.#closed || !this.#client.isReady || !this.#options.maySend()) return;
    if (this.#queue.length === 0) return;
    this.#sending = true;
    void this.#sendAll().finally(() => {
      this.#sending = false;
      if (this.#queue.length > 0 && this.#client.isReady) this.pump();
    });
  }

  /**
   * Gives what is queued until `deadline` (a `performance.now()` time) to go out, then stops;
   * what is left (Redis away at shutdown) is lost, and logged as `redis-unsent`.
   */
  async close(deadline: number): Promise<void> {
    while (this.#queue.length > 0 && this.#client.isReady && performance.now() < deadline) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#closed = true;
    if (this.#queue.length === 0) return;
    let points = 0;
    for (const outgoing of this.#queue) points += outgoing.xs.length;
    this.#options.log.warn("redis-unsent", {
      redis: this.#options.where,
      points,
      note: "Redis was away at shutdown: these points are lost",
    });
  }

  async #sendAll(): Promise<void> {
    const { key, log, where } = this.#options;
    while (this.#queue.length > 0 && this.#client.isReady && !this.#closed) {
      const slice = this.#queue.slice(0, SEND_BATCH_ENTRIES);
      const sends = slice.map((outgoing) => {
        outgoing.sequence ??= ++this.#sequence;
        const announced = this.#announced.has(outgoing.stream)
          ? undefined
          : this.#announce(outgoing.stream);
        const added = this.#client.sendCommand([
          "XADD",
          key(`s:${outgoing.stream}`),
          "MAXLEN",
          "~",
          String(this.#options.maxEntries),
          "*",
          ...encodeEntry(outgoing, this.#writerId),
        ]);
        return Promise.all([announced, added]);
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
        this.#options.onError(describeError(error));
        if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) {
          // Redis refused this entry for good (a key of another type…): it cannot be sent.
          const outgoing = slice[i] as Outgoing;
          this.#lostPoints += outgoing.xs.length;
          log.error("redis-refused", {
            redis: where,
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

  async #announce(stream: string): Promise<void> {
    const { key, maxEntries } = this.#options;
    await this.#client.sendCommand([
      "EVAL",
      "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then " +
      "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'stream', ARGV[1]) end",
      "2",
      key("streams"),
      key("announce"),
      stream,
      String(maxEntries),
    ]);
    this.#announced.add(stream);
  }
}
