/**
 * The one interface between whatever reads points (a format reader) and
 * whatever keeps or forwards them (a stream's hub, or the Redis backplane).
 *
 * @module
 */

/** What x means: `time` is seconds since the Unix epoch. */
export type XKind = "time" | "index" | "number";

/**
 * The most series a stream has: every sink refuses a point of a series past it, so input
 * with ever-new names stays bounded.
 */
export const MAX_SERIES = 64;

/** Takes points one at a time, and a commit at the end of each read. */
export interface PointSink {
  /**
   * Adds y at x to the series `name`, created on first use. Returns false
   * when the point is refused (the series cap, or an x or y that is not a
   * finite number); the sink counts refusals itself.
   */
  add(name: string, x: number, y: number): boolean;
  /** Ends one read's points: the sink may now send them on. */
  commit(): void;
  /** Says what x means; the reader decides it once, from the data or `--x`. */
  setXKind(kind: XKind): void;
}
