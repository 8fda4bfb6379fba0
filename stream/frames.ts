/**
 * The binary data frame, for viewers that ask for it with the WebSocket
 * subprotocol `liveplot-f64` (the page does): the same points as the text
 * lines `ID X Y`, as 64-bit floats, so no number is written out as text or
 * read back. A frame is a run per series:
 *
 * ```
 * ID  N  X1 … XN  Y1 … YN   (little-endian doubles), then the next series' run
 * ```
 *
 * 16 bytes a point and 16 a run, where a text line takes 20–30 bytes and
 * costs a number-to-text conversion per value. Clients that do not ask for
 * it (the seed's page, `websocat`) get text frames as before.
 *
 * @module
 */

/** The subprotocol a client offers to get binary data frames. */
export const BINARY_PROTOCOL = "liveplot-f64";

/** The first points a series' pending run has room for; it doubles as needed. */
const INITIAL_RUN_POINTS = 256;
/**
 * Frames up to this size are written into one buffer, kept for the next:
 * a typed array of its own for every frame (a hundred a second from a fast
 * source) cost a viewer of 100,000 points a second 5–8% of its server's CPU
 * (docs/benchmarks.md). Larger ones get a buffer each.
 */
const REUSED_FRAME_DOUBLES = 1 << 17;

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  // Every platform Deno runs on is little-endian; the frame says it is, so check.
  throw new Error("liveplot's binary frames need a little-endian platform");
}

/** Points gathered per series until the next frame, in arrival order within each series. */
export class PendingRuns {
  #xs: Float64Array[] = [];
  #ys: Float64Array[] = [];
  #counts: number[] = [];
  /** Series ids with points pending, in the order they first had one. */
  #touched: number[] = [];
  #points = 0;
  /** Where `take` writes frames up to `REUSED_FRAME_DOUBLES`; grown as needed. */
  #frame = new Float64Array(0);

  /** Points pending. */
  get points(): number {
    return this.#points;
  }

  add(id: number, x: number, y: number): void {
    let count = this.#counts[id];
    if (count === undefined) {
      for (let missing = this.#counts.length; missing <= id; missing++) {
        this.#counts[missing] = 0;
        this.#xs[missing] = new Float64Array(INITIAL_RUN_POINTS);
        this.#ys[missing] = new Float64Array(INITIAL_RUN_POINTS);
      }
      count = 0;
    }
    let xs = this.#xs[id]!;
    let ys = this.#ys[id]!;
    if (count === xs.length) {
      xs = grow(xs);
      ys = grow(ys);
      this.#xs[id] = xs;
      this.#ys[id] = ys;
    }
    if (count === 0) this.#touched.push(id);
    xs[count] = x;
    ys[count] = y;
    this.#counts[id] = count + 1;
    this.#points++;
  }

  /**
   * The pending points as one frame, and empty again; undefined when none
   * are pending. The bytes are good until the next `take`, which may write
   * over them: send them (a WebSocket copies what it is given) and let go.
   */
  take(): Uint8Array | undefined {
    if (this.#points === 0) return undefined;
    const size = 2 * this.#touched.length + 2 * this.#points;
    const frame = this.#room(size);
    let offset = 0;
    for (const id of this.#touched) {
      const count = this.#counts[id]!;
      offset = writeRun(frame, offset, id, this.#xs[id]!, this.#ys[id]!, count);
    }
    this.clear();
    return new Uint8Array(frame.buffer, 0, size * Float64Array.BYTES_PER_ELEMENT);
  }

  /** A frame of `size` doubles: the kept buffer when it fits the bound, grown if need be. */
  #room(size: number): Float64Array {
    if (size > REUSED_FRAME_DOUBLES) return new Float64Array(size);
    if (this.#frame.length < size) {
      this.#frame = new Float64Array(
        Math.min(REUSED_FRAME_DOUBLES, Math.max(size, 2 * this.#frame.length)),
      );
    }
    return this.#frame;
  }

  /** Forgets what is pending, keeping the room. */
  clear(): void {
    for (const id of this.#touched) this.#counts[id] = 0;
    this.#touched = [];
    this.#points = 0;
  }
}

/** Runs for whole series at once (a viewer's join window), ids in the order given. */
export function encodeRuns(runs: { id: number; xs: Float64Array; ys: Float64Array }[]): Uint8Array {
  let size = 0;
  for (const run of runs) if (run.xs.length > 0) size += 2 + 2 * run.xs.length;
  const frame = new Float64Array(size);
  let offset = 0;
  for (const { id, xs, ys } of runs) {
    if (xs.length > 0) offset = writeRun(frame, offset, id, xs, ys, xs.length);
  }
  return new Uint8Array(frame.buffer);
}

function writeRun(
  frame: Float64Array,
  offset: number,
  id: number,
  xs: Float64Array,
  ys: Float64Array,
  count: number,
): number {
  frame[offset] = id;
  frame[offset + 1] = count;
  frame.set(count === xs.length ? xs : xs.subarray(0, count), offset + 2);
  frame.set(count === ys.length ? ys : ys.subarray(0, count), offset + 2 + count);
  return offset + 2 + 2 * count;
}

function grow(values: Float64Array): Float64Array {
  const grown = new Float64Array(values.length * 2);
  grown.set(values);
  return grown;
}
