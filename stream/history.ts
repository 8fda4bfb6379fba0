/**
 * The session's history: every point of every series of one stream, in
 * columnar typed arrays, bounded in bytes.
 *
 * Each series is a list of chunks of `CHUNK_POINTS` points (a Float64Array
 * for x and one for y: 16 bytes a point). Every chunk is sorted by x, so
 * range queries binary-search it. A point whose x is below the last one is
 * accepted, not clamped: if it still falls within the open chunk it is
 * inserted in x order there (a timestamp a little out of order); below the
 * last chunk's first x (x restarted, whether that chunk is full or not) a
 * new chunk is begun, marked as a restart (where a seconds window ends).
 * Chunks of a series may then overlap, and every query merges them, so
 * answers are always in x order. Closed chunks never change again; one
 * closed early is cut to its points (a series whose x keeps going back below
 * its chunk thus costs about `CHUNK_OVERHEAD_BYTES` a restart, still within
 * the bound).
 *
 * A series' chunks are cut from slabs, each room for up to 128 chunks
 * allocated at once and counted whole against the bound from the start; a
 * slab's memory goes once the last chunk cut from it does. A slab holds one
 * chunk more than its series has filled (so a series of a few points takes
 * one chunk's room) and never more than a 16th of the bound or the room left
 * under it.
 *
 * When the chunks of all series take more than `maxBytes`, the chunk with the
 * oldest first x goes, unless it holds part of its series' window (the last
 * `windowPoints` points, or with `windowSeconds` the points with
 * x >= last x - windowSeconds since x last restarted): the window is always
 * kept, so `maxBytes = 0` keeps only the chunks that hold the windows.
 *
 * @module
 */

import {
  type Chunk,
  CHUNK_POINTS,
  COLUMNS_BYTES,
  lowerBound,
  rangeSlices,
  type SeriesPoints,
  Slab,
  type Slice,
  snapshot,
  summarise,
} from "./chunk.ts";
import { collect, type MergedPoint, mergeRuns, Run } from "./merge.ts";
import { finish, reduceM4Steps } from "./m4.ts";

export { CHUNK_POINTS, type MergedPoint, type SeriesPoints };

/**
 * What one chunk costs beyond its 64 KiB of points: its objects, array
 * headers and block summary (bench/cases/history.ts measures about 860 bytes).
 */
export const CHUNK_OVERHEAD_BYTES = 1024;
/**
 * A series' slab holds at most this many chunks (8 MiB of points)... A slab of
 * 2 MiB or more can be backed by huge pages (`deno task start` sets glibc's
 * `hugetlb` tunable): each 4 KiB page first touched costs a fault, about 11 µs
 * on a virtual machine, 400 a second for a source of 100,000 points a second.
 */
const SLAB_CHUNKS = 128;
/** ...and a 16th of the bound: eviction frees a whole slab at a time, so drops little more. */
const SLABS_PER_BOUND = 16;

/** A history's options; its window changes with `setWindow`. */
export interface HistoryOptions {
  /** Bound on the bytes of all series; the windows are kept even past it. */
  maxBytes: number;
  /** Points of each series always kept (the live window). */
  windowPoints: number;
  /** When given, the window is the last this many x units (seconds) instead. */
  windowSeconds?: number;
}

/** A range answer: `reduced` when it is the M4 reduction rather than every point. */
export interface RangePoints extends SeriesPoints {
  reduced: boolean;
}

interface Series {
  chunks: Chunk[];
  points: number;
  lastX: number;
  appended: number;
  /** Where its next chunk is cut from. */
  slab: Slab | undefined;
  /** Chunks it has filled: its next slab has one more slot, up to `SLAB_CHUNKS`. */
  filled: number;
}

/** Per series chunked columnar store with a byte bound and range queries. */
export class History {
  #options: HistoryOptions;
  readonly #series: Series[] = [];
  #bytes = 0;
  #points = 0;
  #evicted = 0;

  constructor(options: HistoryOptions) {
    this.#options = { ...options, windowPoints: Math.max(1, options.windowPoints) };
  }

  /** Changes the window kept from now on (a stream's x turned out not to be time). */
  setWindow({ windowPoints, windowSeconds }: Omit<HistoryOptions, "maxBytes">): void {
    this.#options = { ...this.#options, windowPoints: Math.max(1, windowPoints), windowSeconds };
  }

  /** Bytes held by all chunks, their overhead included. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Points held, all series. */
  get points(): number {
    return this.#points;
  }

  /** Points dropped so far to stay within `maxBytes`. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Number of series seen (ids are 0 to this minus one). */
  get seriesCount(): number {
    return this.#series.length;
  }

  /** Where history now begins: the least x held, or null while empty. */
  get startX(): number | null {
    let start = Infinity;
    for (const series of this.#series) {
      for (const chunk of series.chunks) {
        if (chunk.length > 0 && chunk.xs[0]! < start) start = chunk.xs[0]!;
      }
    }
    return start === Infinity ? null : start;
  }

  /** Where history now ends: the greatest x held (x that went back leaves it), or null. */
  get endX(): number | null {
    let end = -Infinity;
    for (const series of this.#series) {
      for (const chunk of series.chunks) {
        if (chunk.length > 0 && chunk.xs[chunk.length - 1]! > end) {
          end = chunk.xs[chunk.length - 1]!;
        }
      }
    }
    return end === -Infinity ? null : end;
  }

  /** Points held for one series. */
  count(series: number): number {
    return this.#series[series]?.points ?? 0;
  }

  /** The greatest x of a series since its x last went back past a chunk, or null. */
  lastX(series: number): number | null {
    const state = this.#series[series];
    return state && state.points > 0 ? state.lastX : null;
  }

  /**
   * Stores y at x in `series` (a small integer id, created on first use).
   * x and y must be finite numbers: the sink refuses others before this.
   */
  append(series: number, x: number, y: number): void {
    const state = this.#series[series] ?? this.#addSeries(series);
    let chunk = state.chunks[state.chunks.length - 1];
    // x restarted: below the first x of the last chunk, full or not.
    const restart = chunk !== undefined && chunk.length > 0 && x < chunk.xs[0]!;
    if (chunk === undefined || chunk.length === chunk.xs.length || restart) {
      chunk = this.#newChunk(state, restart);
    } else if (chunk.length > 0 && x < chunk.xs[chunk.length - 1]!) {
      insertSorted(chunk, x, y);
      state.points++;
      state.appended++;
      this.#points++;
      return;
    }
    chunk.xs[chunk.length] = x;
    chunk.ys[chunk.length] = y;
    chunk.length++;
    state.points++;
    state.appended++;
    // A point a little back that opened a chunk (the last one was full) leaves the greatest x.
    if (restart || x > state.lastX) state.lastX = x;
    this.#points++;
  }

  /** The window of one series (see the module comment), x ascending. */
  window(series: number): SeriesPoints {
    const state = this.#series[series];
    if (!state) return { xs: new Float64Array(0), ys: new Float64Array(0) };
    return collect(this.#windowSlices(state));
  }

  /**
   * Points of a series with from <= x <= to, x ascending. When there are more
   * than twice `width`, the M4 reduction instead: for each of `width` equal
   * columns of [from, to], its first, last, least and greatest point, so a
   * single-sample spike stays visible at any zoom.
   */
  range(series: number, from: number, to: number, width = Infinity): RangePoints {
    return finish(this.rangeSteps(series, from, to, width));
  }

  /** `range` with pauses (M4's steps) for the caller to let others run; appends are not seen. */
  *rangeSteps(
    series: number,
    from: number,
    to: number,
    width = Infinity,
  ): Generator<void, RangePoints, void> {
    const state = this.#series[series];
    const slices = state && from <= to ? rangeSlices(state.chunks, from, to) : [];
    let total = 0;
    for (const slice of slices) total += slice.end - slice.start;
    const columns = Math.max(1, Math.floor(width));
    if (total <= 2 * columns || !(to > from)) return { ...collect(slices), reduced: false };
    const open = state!.chunks.at(-1);
    const held = slices.map((slice) => slice.chunk === open ? snapshot(slice) : slice);
    return { ...(yield* reduceM4Steps(held, from, to, columns)), reduced: true };
  }

  /**
   * Every point held with from <= x <= to, all series merged in x order
   * (equal x: lower series id first, then arrival). Closed chunks never
   * change and the open ones are copied, so appends during iteration are not
   * seen and evictions do not disturb it. The yielded object is reused:
   * copy what you keep.
   */
  *merged(from = -Infinity, to = Infinity): Generator<MergedPoint, void, undefined> {
    const runs: Run[] = [];
    this.#series.forEach((state, series) => {
      const slices = rangeSlices(state.chunks, from, to);
      const open = state.chunks[state.chunks.length - 1];
      for (const slice of slices) {
        if (slice.chunk !== open) runs.push(new Run(series, slice));
        else runs.push(new Run(series, snapshot(slice)));
      }
    });
    yield* mergeRuns(runs);
  }

  #addSeries(series: number): Series {
    for (let id = this.#series.length; id <= series; id++) {
      this.#series[id] = {
        chunks: [],
        points: 0,
        lastX: -Infinity,
        appended: 0,
        slab: undefined,
        filled: 0,
      };
    }
    return this.#series[series]!;
  }

  #newChunk(state: Series, restart: boolean): Chunk {
    const previous = state.chunks[state.chunks.length - 1];
    const reachBefore = previous && !restart
      ? Math.max(previous.reachBefore, previous.xs[previous.length - 1]!)
      : -Infinity;
    if (previous) {
      previous.closed = true;
      summarise(previous);
      if (previous.length === CHUNK_POINTS) state.filled++;
      else {
        // Closed early by a restart: its points move to room of their own size.
        previous.xs = previous.xs.slice(0, previous.length);
        previous.ys = previous.ys.slice(0, previous.length);
        this.#release(previous);
        this.#bytes += previous.xs.byteLength + previous.ys.byteLength;
      }
    }
    const slab = this.#slabFor(state);
    const { xs, ys } = slab.cut();
    const chunk: Chunk = {
      xs,
      ys,
      length: 0,
      seq: state.appended,
      restart,
      reachBefore,
      closed: false,
      slab,
    };
    state.chunks.push(chunk);
    this.#bytes += CHUNK_OVERHEAD_BYTES;
    if (this.#bytes > this.#options.maxBytes) this.#evict();
    return chunk;
  }

  /**
   * The series' slab, or a new one when it is used up, counted whole from
   * the start: one slot more than the chunks the series has filled, within
   * `SLAB_CHUNKS`, a `SLABS_PER_BOUND`th of the bound and the room left
   * under it; one slot when there is none.
   */
  #slabFor(state: Series): Slab {
    if (state.slab && !state.slab.full) return state.slab;
    const { maxBytes } = this.#options;
    const perChunk = COLUMNS_BYTES + CHUNK_OVERHEAD_BYTES;
    const room = Math.floor((maxBytes - this.#bytes) / perChunk);
    const share = Math.floor(maxBytes / SLABS_PER_BOUND / perChunk);
    const slots = Math.max(1, Math.min(SLAB_CHUNKS, state.filled + 1, share, room));
    state.slab = new Slab(slots);
    this.#bytes += state.slab.bytes;
    return state.slab;
  }

  /** `chunk` gives up its slot; the slab's bytes go with the last chunk cut from it. */
  #release(chunk: Chunk): void {
    const slab = chunk.slab;
    if (!slab) return;
    chunk.slab = undefined;
    if (--slab.live === 0 && slab.full) this.#bytes -= slab.bytes;
  }

  /** Drops chunks, oldest first x first, until within bound or only windows remain. */
  #evict(): void {
    while (this.#bytes > this.#options.maxBytes) {
      let victim: Series | undefined;
      for (const state of this.#series) {
        const first = state.chunks[0];
        if (!first || !this.#evictable(state)) continue;
        if (!victim || first.xs[0]! < victim.chunks[0]!.xs[0]!) victim = state;
      }
      if (!victim) return;
      const chunk = victim.chunks.shift()!;
      victim.points -= chunk.length;
      this.#points -= chunk.length;
      this.#evicted += chunk.length;
      this.#bytes -= chunkBytes(chunk);
      this.#release(chunk);
    }
  }

  /** Whether the first chunk of a series lies wholly before its window. */
  #evictable(state: Series): boolean {
    const { chunks } = state;
    if (chunks.length < 2) return false;
    const first = chunks[0]!;
    const { windowSeconds, windowPoints } = this.#options;
    if (windowSeconds === undefined) return state.points - first.length >= windowPoints;
    // A later restart means the window begins after this chunk.
    for (let index = 1; index < chunks.length; index++) {
      if (chunks[index]!.restart) return true;
    }
    return first.xs[first.length - 1]! < state.lastX - windowSeconds;
  }

  #windowSlices(state: Series): Slice[] {
    const slices: Slice[] = [];
    const { windowSeconds, windowPoints } = this.#options;
    let needed = windowPoints;
    const threshold = state.lastX - (windowSeconds ?? 0);
    for (let index = state.chunks.length - 1; index >= 0; index--) {
      const chunk = state.chunks[index]!;
      let start: number;
      if (windowSeconds === undefined) {
        start = Math.max(0, chunk.length - needed);
        needed -= chunk.length - start;
      } else {
        start = lowerBound(chunk.xs, threshold, 0, chunk.length);
      }
      if (start < chunk.length) slices.unshift({ chunk, start, end: chunk.length });
      // A seconds window ends at a restart, or in a chunk no earlier one reaches past.
      if (
        windowSeconds === undefined
          ? needed <= 0
          : chunk.restart || (start > 0 && chunk.reachBefore < threshold)
      ) break;
    }
    return slices;
  }
}

/** What a chunk holds of the bound by itself: its columns, unless they are a slab's. */
function chunkBytes(chunk: Chunk): number {
  const columns = chunk.slab ? 0 : chunk.xs.byteLength + chunk.ys.byteLength;
  return columns + CHUNK_OVERHEAD_BYTES;
}

/** Inserts after any equal x, keeping the chunk sorted (x is within it, so the shift is short). */
function insertSorted(chunk: Chunk, x: number, y: number): void {
  const { xs, ys } = chunk;
  let index = chunk.length;
  while (index > 0 && xs[index - 1]! > x) {
    xs[index] = xs[index - 1]!;
    ys[index] = ys[index - 1]!;
    index--;
  }
  xs[index] = x;
  ys[index] = y;
  chunk.length++;
}
