/**
 * K-way merge of sorted slices of chunks, for answers in x order across
 * overlapping chunks and across series (the CSV export), and `collect`,
 * which copies slices out into arrays (a window, a range).
 *
 * @module
 */

import type { SeriesPoints, Slice } from "./chunk.ts";

/** One point of a merge over all series, as `History.merged` yields it. */
export interface MergedPoint {
  series: number;
  x: number;
  y: number;
}

/** A cursor over one sorted slice, for k-way merges. */
export class Run {
  index: number;
  constructor(readonly series: number, readonly slice: Slice) {
    this.index = slice.start;
  }
  get x(): number {
    return this.slice.chunk.xs[this.index]!;
  }
  get seq(): number {
    return this.slice.chunk.seq + this.index;
  }
}

function before(a: Run, b: Run): boolean {
  const ax = a.x, bx = b.x;
  if (ax !== bx) return ax < bx;
  if (a.series !== b.series) return a.series < b.series;
  return a.seq < b.seq;
}

/** K-way merge of sorted runs with a binary heap; runs are admitted as x reaches them. */
export function* mergeRuns(runs: Run[]): Generator<MergedPoint, void, undefined> {
  const pending = runs.sort((a, b) => (before(a, b) ? -1 : 1));
  const heap: Run[] = [];
  let next = 0;
  const point: MergedPoint = { series: 0, x: 0, y: 0 };
  while (next < pending.length || heap.length > 0) {
    while (next < pending.length && (heap.length === 0 || before(pending[next]!, heap[0]!))) {
      heapPush(heap, pending[next++]!);
    }
    const top = heap[0]!;
    const { chunk, end } = top.slice;
    point.series = top.series;
    // Drain the top run while it stays ahead of every other run and pending one.
    const limit = heap.length > 1 ? Math.min(heap[1]!.x, heap[2]?.x ?? Infinity) : Infinity;
    const admit = next < pending.length ? pending[next]!.x : Infinity;
    const bound = Math.min(limit, admit);
    do {
      point.x = chunk.xs[top.index]!;
      point.y = chunk.ys[top.index]!;
      top.index++;
      yield point;
    } while (top.index < end && chunk.xs[top.index]! < bound);
    if (top.index >= end) heapPop(heap);
    else heapSiftDown(heap, 0);
  }
}

function heapPush(heap: Run[], run: Run): void {
  heap.push(run);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(heap[index]!, heap[parent]!)) break;
    [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
    index = parent;
  }
}

function heapPop(heap: Run[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  heapSiftDown(heap, 0);
}

function heapSiftDown(heap: Run[], index: number): void {
  for (;;) {
    const left = 2 * index + 1;
    let least = index;
    if (left < heap.length && before(heap[left]!, heap[least]!)) least = left;
    if (left + 1 < heap.length && before(heap[left + 1]!, heap[least]!)) least = left + 1;
    if (least === index) return;
    [heap[index], heap[least]] = [heap[least]!, heap[index]!];
    index = least;
  }
}

/** Copies slices out, x ascending (merged when chunks overlap). */
export function collect(slices: Slice[]): SeriesPoints {
  let total = 0;
  let ordered = true;
  let previous = -Infinity;
  for (const { chunk, start, end } of slices) {
    total += end - start;
    if (chunk.xs[start]! < previous) ordered = false;
    previous = chunk.xs[end - 1]!;
  }
  const xs = new Float64Array(total);
  const ys = new Float64Array(total);
  if (ordered) {
    let offset = 0;
    for (const { chunk, start, end } of slices) {
      xs.set(chunk.xs.subarray(start, end), offset);
      ys.set(chunk.ys.subarray(start, end), offset);
      offset += end - start;
    }
    return { xs, ys };
  }
  let offset = 0;
  for (const point of mergeRuns(slices.map((slice) => new Run(0, slice)))) {
    xs[offset] = point.x;
    ys[offset++] = point.y;
  }
  return { xs, ys };
}
