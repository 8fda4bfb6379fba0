/**
 * The reading half of the Redis engine: one blocking `XREAD` loop on a
 * connection of its own, over the stream of announcements and every known
 * stream, delivering each new entry once, in Redis's order. After every
 * connect it checks the epoch kept in Redis: the same, it reads on from
 * where it was; another (Redis lost its data), it reads every stream again
 * from its start, flags the next batch of each as after a gap, and says so.
 *
 * @module
 */

import { ErrorReply } from "redis";
import { describeError, type Logger } from "../log.ts";
import type { Batch } from "./backplane.ts";
import type { Client, RawEntry } from "./redis_client.ts";
import { createBatchDecoder } from "./redis_entry.ts";

/** The longest a blocking read waits before it looks again (new streams wake it sooner). */
export const READ_BLOCK_MS = 2000;
/** Entries taken per stream per read. */
const READ_COUNT = 1000;
/** Writers remembered per stream for deduplication; the oldest are forgotten first. */
const MAX_REMEMBERED_WRITERS = 100_000;

/** What the reader is given. */
export interface RedisReaderOptions {
  client: Client;
  /** Full key of a name: `liveplot:` + name. */
  key: (name: string) => string;
  log: Logger;
  /** `host:port/db`, for log lines. */
  where: string;
  /** Called after each successful sync (the engine may now send, and count as connected). */
  onSynced: () => void;
  /** Called with the last error, for the waiting summary. */
  onError: (message: string) => void;
  deliver: (stream: string, batch: Batch) => void;
}

/** Reads every stream of one Redis, from its first connect on, until closed. */
export class RedisReader {
  readonly #client: Client;
  readonly #key: (name: string) => string;
  readonly #log: Logger;
  readonly #where: string;
  readonly #options: RedisReaderOptions;
  #closed = false;
  #epoch: string | undefined;
  #synced = false;
  #needSync = true;
  readonly #positions = new Map<string, string>();
  #announcePosition = "0-0";
  readonly #gapPending = new Set<string>();
  readonly #seen = new Map<string, number>();
  #wake: (() => void) | undefined;
  readonly #running: Promise<void>;

  constructor(options: RedisReaderOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#key = options.key;
    this.#log = options.log;
    this.#where = options.where;
    this.#client.on("ready", () => {
      this.#needSync = true;
      this.#wake?.();
    });
    this.#running = this.#readLoop();
  }

  /** True once the first sync is done: from then on, entries written are read. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The epoch of the data read now. */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  /** Stops reading; resolves when the loop has ended (the client must be destroyed too). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#running;
  }

  async #readLoop(): Promise<void> {
    while (!this.#closed) {
      if (!this.#client.isReady) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, 250);
        });
        continue;
      }
      try {
        if (this.#needSync) {
          await this.#sync();
          this.#needSync = false;
          this.#synced = true;
          this.#options.onSynced();
        }
        await this.#readOnce();
      } catch (error) {
        if (this.#closed) return;
        this.#options.onError(describeError(error));
        if (error instanceof ErrorReply && error.message.startsWith("WRONGTYPE")) {
          await this.#dropForeignKeys().catch(() => {});
          continue;
        }
        this.#needSync = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** A key of ours that holds something else fails every read: stop reading it, and say so. */
  async #dropForeignKeys(): Promise<void> {
    for (const stream of [...this.#positions.keys()]) {
      const key = this.#key(`s:${stream}`);
      const type = await this.#client.sendCommand<string>(["TYPE", key]);
      if (type === "stream" || type === "none") continue;
      this.#positions.delete(stream);
      this.#log.error("redis-foreign-key", {
        redis: this.#where,
        key,
        type,
        note: "not a stream: this stream is not read",
      });
    }
  }

  /** After each connect: learn (or set) the epoch, and where to read each stream from. */
  async #sync(): Promise<void> {
    const epoch = await this.#client.sendCommand<string>([
      "EVAL",
      "redis.call('SET', KEYS[1], ARGV[1], 'NX') return redis.call('GET', KEYS[1])",
      "1",
      this.#key("epoch"),
      crypto.randomUUID(),
    ]);
    if (this.#epoch === epoch) return;
    if (this.#epoch !== undefined) {
      // Redis lost its data: whatever it holds now is new to us; read it all.
      this.#log.warn("redis-reset", {
        redis: this.#where,
        streams: this.#positions.size,
        note:
          "Redis restarted without its data: points not yet read were lost; queued points are sent again",
      });
      this.#epoch = epoch;
      this.#announcePosition = "0-0";
      for (const stream of this.#positions.keys()) {
        this.#positions.set(stream, "0-0");
        this.#gapPending.add(stream);
      }
      for (
        const stream of await this.#client.sendCommand<string[]>(["SMEMBERS", this.#key("streams")])
      ) {
        if (!this.#positions.has(stream)) this.#positions.set(stream, "0-0");
      }
      return;
    }
    // First connect: read from what is there now on.
    this.#epoch = epoch;
    this.#announcePosition = await this.#lastId("announce");
    const names = await this.#client.sendCommand<string[]>(["SMEMBERS", this.#key("streams")]);
    for (const stream of names) this.#positions.set(stream, await this.#lastId(`s:${stream}`));
  }

  async #lastId(key: string): Promise<string> {
    const last = await this.#client.sendCommand<RawEntry[]>(
      ["XREVRANGE", this.#key(key), "+", "-", "COUNT", "1"],
    );
    return last[0]?.[0] ?? "0-0";
  }

  async #readOnce(): Promise<void> {
    const streams = [...this.#positions.keys()];
    const keys = [this.#key("announce"), ...streams.map((stream) => this.#key(`s:${stream}`))];
    const ids = [this.#announcePosition, ...streams.map((stream) => this.#positions.get(stream))];
    const reply = await this.#client.sendCommand<[string, RawEntry[]][] | null>([
      "XREAD",
      "COUNT",
      String(READ_COUNT),
      "BLOCK",
      String(READ_BLOCK_MS),
      "STREAMS",
      ...keys,
      ...(ids as string[]),
    ]);
    if (!reply) return;
    this.#deliver(reply);
    // Each read names every stream: with many, read a little less often and take more at once
    // (at most 10 ms more delay), so Redis is not kept busy parsing the same keys.
    const pause = Math.min(10, streams.length / 100);
    if (pause >= 1) await new Promise((resolve) => setTimeout(resolve, pause));
  }

  #deliver(reply: [string, RawEntry[]][]): void {
    const decode = createBatchDecoder();
    const streamPrefix = this.#key("s:");
    for (const [key, entries] of reply) {
      if (key === this.#key("announce")) {
        for (const [id, fields] of entries) {
          this.#announcePosition = id;
          const stream = fields[fields.indexOf("stream") + 1];
          // A new stream: everything in it is new to us.
          if (stream && !this.#positions.has(stream)) this.#positions.set(stream, "0-0");
        }
        continue;
      }
      const stream = key.slice(streamPrefix.length);
      for (const [id, fields] of entries) {
        this.#positions.set(stream, id);
        const decoded = decode(id, fields, this.#epoch ?? "", this.#gapPending.has(stream));
        if (!decoded) continue;
        const seenKey = `${stream}\n${decoded.writer}`;
        const last = this.#seen.get(seenKey) ?? 0;
        if (decoded.sequence <= last) continue;
        this.#remember(seenKey, decoded.sequence);
        this.#gapPending.delete(stream);
        this.#options.deliver(stream, decoded.batch);
      }
    }
  }

  #remember(key: string, sequence: number): void {
    this.#seen.delete(key);
    this.#seen.set(key, sequence);
    if (this.#seen.size > MAX_REMEMBERED_WRITERS) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}
