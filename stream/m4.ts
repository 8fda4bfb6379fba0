/**
 * M4 (Jugel et al., VLDB 2014): per pixel column, the first and last point
 * by x and the least and greatest y, so a single-sample spike stays visible
 * at any zoom while a range answers at most four points a column.
 *
 * @module
 */

import { BLOCK_POINTS, type Chunk, type SeriesPoints, type Slice } from "./chunk.ts";

/** Slices reduced between two pauses of `reduceM4Steps`: about a millisecond's work. */
const SLICES_PER_STEP = 64;

/** Runs steps (`reduceM4Steps`, `History.rangeSteps`) to their end, without pausing. */
export function finish<T>(steps: Generator<void, T, void>): T {
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/** Reduces sorted slices to `columns` equal columns of [from, to]: see `reduceM4Steps`. */
export function reduceM4(slices: Slice[], from: number, to: number, columns: number): SeriesPoints {
  return finish(reduceM4Steps(slices, from, to, columns));
}

/**
 * Reduces sorted slices to `columns` equal columns of [from, to], pausing
 * (a `yield`) after every `SLICES_PER_STEP` slices, so that a caller can let
 * other work run: the slices must not change meanwhile. Each chunk is sorted,
 * so a column's points in it are one run: its ends come from a binary search
 * and only its y values are scanned, whole blocks of a closed chunk through
 * their summaries. Output is in x order; a point that is both (say) first and
 * least appears once.
 */
export function* reduceM4Steps(
  slices: Slice[],
  from: number,
  to: number,
  columns: number,
): Generator<void, SeriesPoints, void> {
  const last = columns - 1;
  // Where x falls in [from, to], 0 to 1: halved when the span overflows (-1e308 to 1e308); a
  // ratio, not x times columns / span, which overflows for a span of a few subnormals.
  const span = to - from;
  const share = Number.isFinite(span)
    ? (x: number) => (x - from) / span
    : (x: number) => (x / 2 - from / 2) / (to / 2 - from / 2);
  const column = (x: number) => Math.min(last, Math.floor(share(x) * columns));
  // Per column: x, y and sequence of the first, last, least and greatest points.
  const fields = new Float64Array(columns * 12);
  const seen = new Uint8Array(columns);
  for (const [done, { chunk, start, end }] of slices.entries()) {
    if (done > 0 && done % SLICES_PER_STEP === 0) yield;
    const { xs, ys, seq } = chunk;
    let index = start;
    while (index < end) {
      const col = column(xs[index]!);
      // Last index of this column's run: column() is monotonic in x.
      let low = index, high = end - 1;
      if (column(xs[high]!) !== col) {
        while (low < high) {
          const middle = (low + high + 1) >>> 1;
          if (column(xs[middle]!) === col) low = middle;
          else high = middle - 1;
        }
      } else low = high;
      scanExtremes(chunk, index, low);
      const minIndex = extremes.minIndex, maxIndex = extremes.maxIndex;
      const min = ys[minIndex]!, max = ys[maxIndex]!;
      const base = col * 12;
      if (seen[col] === 0) {
        seen[col] = 1;
        setPoint(fields, base, xs[index]!, ys[index]!, seq + index);
        setPoint(fields, base + 3, xs[low]!, ys[low]!, seq + low);
        setPoint(fields, base + 6, xs[minIndex]!, min, seq + minIndex);
        setPoint(fields, base + 9, xs[maxIndex]!, max, seq + maxIndex);
      } else {
        if (earlier(xs[index]!, seq + index, fields, base)) {
          setPoint(fields, base, xs[index]!, ys[index]!, seq + index);
        }
        if (!earlier(xs[low]!, seq + low, fields, base + 3)) {
          setPoint(fields, base + 3, xs[low]!, ys[low]!, seq + low);
        }
        if (min < fields[base + 7]!) setPoint(fields, base + 6, xs[minIndex]!, min, seq + minIndex);
        if (max > fields[base + 10]!) {
          setPoint(fields, base + 9, xs[maxIndex]!, max, seq + maxIndex);
        }
      }
      index = low + 1;
    }
  }
  const xs = new Float64Array(columns * 4);
  const ys = new Float64Array(columns * 4);
  let count = 0;
  const order = [0, 3, 6, 9];
  for (let col = 0; col < columns; col++) {
    if (seen[col] === 0) continue;
    const base = col * 12;
    // Points by x, then sequence; the same point (same sequence) only once.
    order.sort((a, b) =>
      fields[base + a]! - fields[base + b]! || fields[base + a + 2]! - fields[base + b + 2]!
    );
    let previousSeq = -1;
    for (const offset of order) {
      const seq = fields[base + offset + 2]!;
      if (seq === previousSeq) continue;
      previousSeq = seq;
      xs[count] = fields[base + offset]!;
      ys[count++] = fields[base + offset + 1]!;
    }
  }
  return { xs: xs.slice(0, count), ys: ys.slice(0, count) };
}

/** Where `scanExtremes` answers, so the hot loop allocates nothing. */
const extremes = { minIndex: 0, maxIndex: 0 };

/** Indices of the first least and first greatest y in [first, last] of a chunk. */
function scanExtremes(chunk: Chunk, first: number, last: number): void {
  const { ys } = chunk;
  let minIndex = first, maxIndex = first;
  let min = ys[first]!, max = min;
  const blockStart = Math.ceil(first / BLOCK_POINTS);
  const blockEnd = Math.floor((last + 1) / BLOCK_POINTS);
  const useBlocks = chunk.blocks !== undefined && blockEnd - blockStart >= 2;
  const linearEnd = useBlocks ? blockStart * BLOCK_POINTS - 1 : last;
  for (let k = first + 1; k <= linearEnd; k++) {
    const y = ys[k]!;
    if (y < min) {
      min = y;
      minIndex = k;
    } else if (y > max) {
      max = y;
      maxIndex = k;
    }
  }
  if (useBlocks) {
    const blocks = chunk.blocks!;
    for (let block = blockStart; block < blockEnd; block++) {
      const low = blocks[2 * block]!, high = blocks[2 * block + 1]!;
      if (ys[low]! < min) {
        min = ys[low]!;
        minIndex = low;
      }
      if (ys[high]! > max) {
        max = ys[high]!;
        maxIndex = high;
      }
    }
    for (let k = blockEnd * BLOCK_POINTS; k <= last; k++) {
      const y = ys[k]!;
      if (y < min) {
        min = y;
        minIndex = k;
      } else if (y > max) {
        max = y;
        maxIndex = k;
      }
    }
  }
  extremes.minIndex = minIndex;
  extremes.maxIndex = maxIndex;
}

function setPoint(fields: Float64Array, at: number, x: number, y: number, seq: number): void {
  fields[at] = x;
  fields[at + 1] = y;
  fields[at + 2] = seq;
}

function earlier(x: number, seq: number, fields: Float64Array, at: number): boolean {
  const other = fields[at]!;
  return x < other || (x === other && seq < fields[at + 2]!);
}
