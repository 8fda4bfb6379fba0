/**
 * The engine between the processes that serve the same streams (after
 * Centrifugo's `Broker`): points written by any process go through it, and
 * every process hears every batch of every stream, once, in the engine's
 * order. Without `--redis` there is no engine: the registry writes into its
 * hubs directly, so this contract exists only for the Redis one.
 *
 * A batch is what one `commit()` of a writer sent: the points of one read,
 * as parallel arrays, with the engine's id for it. Ids order the batches of
 * one stream within one epoch; the epoch changes when the engine lost its
 * data (Redis restarted without persistence), and batches of a new epoch
 * come after every batch of the old one.
 *
 * @module
 */

import type { PointSink, XKind } from "../stream/sink.ts";

/** The points of one committed read of one stream, as the engine delivers them. */
export interface Batch {
  /** The engine's id: a Redis stream entry id `MS-SEQ`, a resume offset. */
  readonly id: string;
  /** Which incarnation of the engine's data the id belongs to. */
  readonly epoch: string;
  /** What x means, when the writer has said so. */
  readonly xKind: XKind | undefined;
  /** Names of the series this batch touches; `series` holds indexes into it. */
  readonly names: readonly string[];
  /** Per point: index into `names`. */
  readonly series: Uint16Array;
  /** Per point: x. */
  readonly xs: Float64Array;
  /** Per point: y. */
  readonly ys: Float64Array;
  /** True on the first batch of a stream after data may have been lost (engine reset). */
  readonly gap: boolean;
}

/** Connected, or waiting for the engine (the page says "reconnecting to the data store"). */
export type BackplaneState = "connected" | "waiting";

/** What a writer has done since it was made: for status lines and the streams index. */
export interface WriterCounts {
  /** Points handed on (sent, or buffered to be sent). */
  readonly sent: number;
  /** Points lost because the local buffer was full while the engine was away. */
  readonly lost: number;
}

/** Told of a point a writer refused: not finite, or (`overCap`) its series past the cap. */
export type Refused = (series: string, overCap: boolean) => void;

/** A sink whose committed points go through the engine, with its own counts. */
export interface BackplaneWriter extends PointSink {
  readonly counts: WriterCounts;
}

/** The engine, as the registry uses it. */
export interface Backplane extends AsyncDisposable {
  /**
   * A sink for `stream`: each `commit()` sends one entry to every process's subscribers;
   * a point refused (as a hub would) is told to `onRefused`.
   */
  writer(stream: string, onRefused?: Refused): BackplaneWriter;
  /** Delivers every batch of every stream from now on, in order, once, to `handler`. */
  subscribe(handler: (stream: string, batch: Batch) => void): void;
  /**
   * The last `points` points of each series of `stream` (or fewer), as batches, oldest first,
   * read once connected (it waits while the engine is away; none once closed).
   */
  recent(stream: string, points: number): Promise<Batch[]>;
  /** Names of the streams the engine knows. */
  streams(): Promise<string[]>;
  readonly state: BackplaneState;
  /** Calls `listener` on every change of `state`. */
  onStateChange(listener: (state: BackplaneState) => void): void;
  /**
   * True while a writer's commit would be lost: waiting, with the local
   * buffer full. The ingest route answers 503 then rather than drop lines.
   */
  readonly full: boolean;
  /** Points lost since start (the buffer full, or refused by the engine), for status lines. */
  readonly lost: number;
}

/** Feeds one batch into a sink (a hub): its x kind, its points, then one commit. */
export function applyBatch(batch: Batch, sink: PointSink): void {
  if (batch.xKind) sink.setXKind(batch.xKind);
  for (let i = 0; i < batch.xs.length; i++) {
    sink.add(
      batch.names[batch.series[i] as number] as string,
      batch.xs[i] as number,
      batch.ys[i] as number,
    );
  }
  sink.commit();
}

/** Orders two entry ids of one epoch: negative when `a` comes first. */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/**
 * True when `batch` comes after `last` (the last batch a stream's feed
 * applied, from `recent` or live): what a feed applies, so nothing twice.
 */
export function isAfter(batch: Batch, last: Batch | undefined): boolean {
  return !last || batch.epoch !== last.epoch || compareIds(batch.id, last.id) > 0;
}

/** Error thrown when the engine's URL cannot be used. */
export class BackplaneUrlError extends Error {
  override name = "BackplaneUrlError";
}

/** Checks a Redis URL; throws `BackplaneUrlError` with a line fit for the user. */
export function parseRedisUrl(text: string): URL {
  const refuse = () =>
    new BackplaneUrlError(
      `--redis must be a URL like redis://127.0.0.1:6379/0, not ${JSON.stringify(text)}`,
    );
  if (!URL.canParse(text)) throw refuse();
  const url = new URL(text);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw refuse();
  if (!url.hostname || !/^(\/\d*)?$/.test(url.pathname)) throw refuse();
  return url;
}
