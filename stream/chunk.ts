/**
 * The unit of a series' history: a chunk of points sorted by x, in two
 * Float64Arrays, with what queries need to find their way in it.
 *
 * @module
 */

/** Points per chunk: 64 KiB of x and y, small beside the bound, large beside its overhead. */
export const CHUNK_POINTS = 4096;
/** Points summarised by one entry of `Chunk.blocks`. */
export const BLOCK_POINTS = 128;

/** Bytes of one chunk's two columns (64 KiB). */
export const COLUMNS_BYTES = 2 * CHUNK_POINTS * Float64Array.BYTES_PER_ELEMENT;

/**
 * Room for the columns of `slots` chunks of one series, allocated at once
 * and cut in order: a typed array of its own for every chunk (24 a second
 * from a source of 100,000 points a second) cost about 8% of such a
 * server's CPU, side by side on the bench machine. Its memory is held until
 * no chunk is cut from it any more (`live`, kept by the history).
 */
export class Slab {
  readonly slots: number;
  /** Chunks cut from it so far. */
  used = 0;
  /** Chunks cut from it that still hold their slot (not evicted, not copied out). */
  live = 0;
  readonly #columns: Float64Array;

  constructor(slots: number) {
    this.slots = slots;
    this.#columns = new Float64Array(slots * 2 * CHUNK_POINTS);
  }

  get bytes(): number {
    return this.slots * COLUMNS_BYTES;
  }

  get full(): boolean {
    return this.used === this.slots;
  }

  /** The next chunk's columns: x, then y. */
  cut(): { xs: Float64Array; ys: Float64Array } {
    const start = 2 * CHUNK_POINTS * this.used++;
    this.live++;
    return {
      xs: this.#columns.subarray(start, start + CHUNK_POINTS),
      ys: this.#columns.subarray(start + CHUNK_POINTS, start + 2 * CHUNK_POINTS),
    };
  }
}

/** Up to `CHUNK_POINTS` points, x ascending; equal x in arrival order. */
export interface Chunk {
  xs: Float64Array;
  ys: Float64Array;
  length: number;
  /** Sequence number of the first slot: with the index, a stable tie-break among equal x. */
  seq: number;
  /** Begun because x went below the previous chunk's first x: a window never reaches past it. */
  restart: boolean;
  /**
   * The greatest x of the chunks before it since x last restarted (-Infinity for none): a
   * chunk begun by a point a little back overlaps them, and a window may reach into them.
   */
  reachBefore: number;
  /** Set once a later chunk is begun: from then on the chunk never changes. */
  closed: boolean;
  /** Set on closing: per block of `BLOCK_POINTS`, the index of its least then greatest y. */
  blocks?: Uint16Array;
  /** The slab its columns are cut from, until it is evicted or its points are copied out. */
  slab?: Slab;
}

/** Points of one series, x ascending. */
export interface SeriesPoints {
  xs: Float64Array;
  ys: Float64Array;
}

/** Part of a chunk, [start, end), taken for one query. */
export interface Slice {
  chunk: Chunk;
  start: number;
  end: number;
}

/** First index in [start, end) with xs[index] >= x. */
export function lowerBound(xs: Float64Array, x: number, start: number, end: number): number {
  while (start < end) {
    const middle = (start + end) >>> 1;
    if (xs[middle]! < x) start = middle + 1;
    else end = middle;
  }
  return start;
}

/** First index in [start, end) with xs[index] > x. */
export function upperBound(xs: Float64Array, x: number, start: number, end: number): number {
  while (start < end) {
    const middle = (start + end) >>> 1;
    if (xs[middle]! <= x) start = middle + 1;
    else end = middle;
  }
  return start;
}

/** The slices of `chunks` with from <= x <= to, in chunk order. */
export function rangeSlices(chunks: Chunk[], from: number, to: number): Slice[] {
  const slices: Slice[] = [];
  for (const chunk of chunks) {
    const { xs, length } = chunk;
    if (length === 0 || xs[0]! > to || xs[length - 1]! < from) continue;
    const start = lowerBound(xs, from, 0, length);
    const end = upperBound(xs, to, start, length);
    if (end > start) slices.push({ chunk, start, end });
  }
  return slices;
}

/** A copy of a slice of a chunk still being written, so later appends cannot shift it. */
export function snapshot(slice: Slice): Slice {
  const { chunk, start, end } = slice;
  const copy: Chunk = {
    ...chunk,
    xs: chunk.xs.slice(start, end),
    ys: chunk.ys.slice(start, end),
    length: end - start,
    seq: chunk.seq + start,
    slab: undefined,
    // Its summaries index the whole chunk: a copy from `start` scans its y values instead.
    blocks: undefined,
  };
  return { chunk: copy, start: 0, end: end - start };
}

/** Notes, per block of `BLOCK_POINTS`, the index of its first least and first greatest y. */
export function summarise(chunk: Chunk): void {
  const { ys, length } = chunk;
  const count = Math.floor(length / BLOCK_POINTS);
  const blocks = new Uint16Array(2 * count);
  for (let block = 0; block < count; block++) {
    let minIndex = block * BLOCK_POINTS, maxIndex = minIndex;
    for (let k = minIndex + 1; k < (block + 1) * BLOCK_POINTS; k++) {
      if (ys[k]! < ys[minIndex]!) minIndex = k;
      else if (ys[k]! > ys[maxIndex]!) maxIndex = k;
    }
    blocks[2 * block] = minIndex;
    blocks[2 * block + 1] = maxIndex;
  }
  chunk.blocks = blocks;
}
