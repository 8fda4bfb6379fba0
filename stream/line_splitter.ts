/**
 * Splits a byte stream into text lines with a hard bound on line length, so
 * one endless line cannot eat memory: a longer line is cut off, dropped and
 * counted, and reading goes on at the next newline.
 *
 * The bound is in bytes of the line as it arrived (UTF-8, its `\r\n` or
 * `\n` ending not counted), so whether a line is cut never depends on where
 * the reads happened to split the stream.
 *
 * The bytes come from a `ReadableStream` (a request body, a file), or from
 * `readInto` (standard input) and `readByteStream` (a command's output),
 * which read into one reused buffer rather than a fresh chunk a read.
 *
 * `splitChunks` hands each chunk's whole lines over as bytes, for a reader
 * that reads numbers straight from them; `splitLines` makes them text.
 *
 * @module
 */

const NEWLINE = 0x0a;
const RETURN = 0x0d;
/** The carry's first size: a partial line of a typical sample fits. */
const FIRST_CARRY_BYTES = 256;

/** Anything that reads into a caller's buffer, as `Deno.stdin` does. */
export interface BufferReader {
  /** Fills the start of `buffer`; resolves to the bytes read, or `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/**
 * The chunks `reader` reads into one buffer of `bytes`, reused for every
 * read: a chunk is overwritten once the next one is asked for.
 */
export async function* readInto(
  reader: BufferReader,
  bytes: number,
): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(bytes);
  for (;;) {
    const count = await reader.read(buffer);
    if (count === null) return;
    if (count > 0) yield buffer.subarray(0, count);
  }
}

/**
 * The chunks of a byte stream (such as a child's `stdout`), read with a BYOB
 * reader into one buffer of `bytes` that each read hands back: a chunk is
 * overwritten (or detached) once the next one is asked for. Stopping early
 * cancels the stream, as leaving a `for await` over it does.
 */
export async function* readByteStream(
  stream: ReadableStream<Uint8Array>,
  bytes: number,
): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader({ mode: "byob" });
  let buffer = new Uint8Array(bytes);
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read(buffer);
      if (done || value === undefined) break;
      yield value;
      // The read moved the buffer into `value`: the next read takes it back.
      buffer = new Uint8Array(value.buffer);
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Reads `chunks` and yields their complete lines, one array per chunk
 * (empty when the chunk completed none), so the cost of an `await` is paid
 * per chunk rather than per line. A final line without a newline is yielded
 * at the end. `\r\n` endings are accepted.
 *
 * A chunk is only read until the next one is asked for, so a source may
 * reuse its buffer (`readInto`, `readByteStream`); a `ReadableStream` of
 * fresh chunks works as it is. What a line keeps across chunks is copied
 * into one buffer of at most `maxLineBytes + 1` bytes.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  onTruncated: () => void,
): AsyncGenerator<string[]> {
  for await (const lines of splitChunks(chunks, maxLineBytes, onTruncated)) yield lines.text();
}

/**
 * One chunk's complete lines, in order: the line that the chunk's first
 * newline completed, if earlier chunks began it (`head`, already text), then
 * the chunk's whole lines as bytes (`bytes[start, end)`, each ending in a
 * newline). Read it before the next chunk is asked for: the bytes may be a
 * reused buffer.
 */
export class ChunkLines {
  /** The line completed from earlier chunks; undefined when there is none or it was cut off. */
  readonly head: string | undefined;
  readonly bytes: Uint8Array;
  /** Where the whole lines start, and the index after the last one's newline. */
  readonly start: number;
  readonly end: number;
  readonly #decoder: TextDecoder;
  readonly #maxLineBytes: number;
  readonly #onTruncated: () => void;

  constructor(
    head: string | undefined,
    bytes: Uint8Array,
    start: number,
    end: number,
    reading: { decoder: TextDecoder; maxLineBytes: number; onTruncated: () => void },
  ) {
    this.head = head;
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.#decoder = reading.decoder;
    this.#maxLineBytes = reading.maxLineBytes;
    this.#onTruncated = reading.onTruncated;
  }

  /**
   * The index of each whole line's newline, in order, in `ends` (returned
   * grown when it had too little room), and how many there are.
   */
  newlines(ends: Int32Array<ArrayBuffer>): { ends: Int32Array<ArrayBuffer>; count: number } {
    const { bytes, start, end } = this;
    const base = bytes.byteOffset;
    if (base + end > MAX_WORD_BYTE) {
      // Past what 32-bit word indexes reach (a view 2 GiB into its buffer): a byte at a time.
      if (ends.length < end - start) ends = new Int32Array(end - start);
      return { ends, count: scanBytes(bytes, start, end, ends, 0) };
    }
    // Four bytes at a time between the first and last whole aligned word (most of the chunk);
    // the bytes before and after them (three at most each) one at a time.
    const firstWord = Math.min((base + start + 3) >> 2, (base + end) >> 2);
    const lastWord = (base + end) >> 2;
    if (ends.length < WORD_BYTES) ends = grown(ends);
    let count = scanBytes(bytes, start, (firstWord << 2) - base, ends, 0);
    const words = wordsOf(bytes.buffer, lastWord);
    for (let word = firstWord; word < lastWord; word++) {
      // A byte of `x` is zero where the word holds a newline; the test below is never
      // zero then (it may flag other bytes too: each is checked).
      const x = words[word]! ^ NEWLINES;
      if (((x - 0x01010101) & ~x & 0x80808080) === 0) continue;
      if (count + WORD_BYTES > ends.length) ends = grown(ends);
      count = scanBytes(bytes, (word << 2) - base, ((word + 1) << 2) - base, ends, count);
    }
    if (count + WORD_BYTES > ends.length) ends = grown(ends);
    count = scanBytes(bytes, Math.max(start, (lastWord << 2) - base), end, ends, count);
    return { ends, count };
  }

  /** Every line as text; a line over the bound is left out and counted. */
  text(): string[] {
    const lines = this.head === undefined ? [] : [this.head];
    if (this.start < this.end) this.lineText(this.start, this.end - 1, lines);
    return lines;
  }

  /**
   * Adds the text of the lines in `bytes[from, to)` to `lines`, as `text()`
   * would, bound and all; `to` is the index of the last one's newline.
   */
  lineText(from: number, to: number, lines: string[]): void {
    splitWhole(this.bytes, from, to, this.#decoder, this.#maxLineBytes, lines, this.#onTruncated);
  }
}

/** A newline in each byte of a word (the same in either byte order). */
const NEWLINES = 0x0a0a0a0a;
const WORD_BYTES = 4;
/** The last byte offset whose word index, shifted back to bytes, stays a 32-bit integer. */
const MAX_WORD_BYTE = 2 ** 31 - 1;
let lastWords: Int32Array = new Int32Array(0);

/** `buffer` as 32-bit words, at least `length` of them: the last view made, when it fits. */
function wordsOf(buffer: ArrayBufferLike, length: number): Int32Array {
  if (lastWords.buffer !== buffer || lastWords.length < length) {
    lastWords = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }
  return lastWords;
}

/** `ends` in an array twice as long. */
function grown(ends: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const longer = new Int32Array(Math.max(WORD_BYTES, ends.length * 2));
  longer.set(ends);
  return longer;
}

/** Adds the index of each newline in `bytes[from, to)` to `ends` from `count` on; the new count. */
function scanBytes(
  bytes: Uint8Array,
  from: number,
  to: number,
  ends: Int32Array,
  count: number,
): number {
  for (let at = from; at < to; at++) if (bytes[at] === NEWLINE) ends[count++] = at;
  return count;
}

/** The engine of `splitLines`: each chunk's lines as a `ChunkLines`, for readers of bytes. */
export async function* splitChunks(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  onTruncated: () => void,
  onCut?: (line: string) => void,
): AsyncGenerator<ChunkLines> {
  const decoder = new TextDecoder();
  const reading = { decoder, maxLineBytes, onTruncated };
  const none = new Uint8Array(0);
  // The start of a line whose end has not arrived yet, copied out of the chunks.
  let carry = new Uint8Array(Math.min(FIRST_CARRY_BYTES, maxLineBytes + 1));
  let carryBytes = 0;
  let discarding = false;

  const keep = (piece: Uint8Array) => {
    if (discarding || piece.length === 0) return;
    const total = carryBytes + piece.length;
    // One byte more than the bound may be the `\r` of a `\r\n` ending.
    if (total > maxLineBytes + 1) {
      carryBytes = 0;
      discarding = true;
      onTruncated();
      return;
    }
    if (total > carry.length) {
      const grown = new Uint8Array(Math.min(Math.max(total, carry.length * 2), maxLineBytes + 1));
      grown.set(carry.subarray(0, carryBytes));
      carry = grown;
    }
    carry.set(piece, carryBytes);
    carryBytes = total;
  };

  const finishCarry = (head: Uint8Array): string | undefined => {
    keep(head);
    const wasDiscarding = discarding;
    const kept = carryBytes;
    carryBytes = 0;
    discarding = false;
    if (wasDiscarding) return undefined;
    const length = kept > 0 && carry[kept - 1] === RETURN ? kept - 1 : kept;
    if (length > maxLineBytes) {
      onTruncated();
      return undefined;
    }
    return decoder.decode(carry.subarray(0, length));
  };

  for await (const chunk of chunks) {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      keep(chunk);
      yield new ChunkLines(undefined, none, 0, 0, reading);
      continue;
    }
    let head: string | undefined;
    let start = 0;
    if (carryBytes > 0 || discarding) {
      const first = chunk.indexOf(NEWLINE);
      head = finishCarry(chunk.subarray(0, first));
      start = first + 1;
    }
    keep(chunk.subarray(last + 1));
    yield new ChunkLines(head, chunk, start, last + 1, reading);
  }
  if (carryBytes > 0 && !discarding) {
    const line = finishCarry(new Uint8Array(0));
    if (line !== undefined && onCut) onCut(line);
    else if (line !== undefined) yield new ChunkLines(line, none, 0, 0, reading);
  }
}

const messageDecoder = new TextDecoder();

/**
 * The lines of one whole message (a datagram, an MQTT payload), bounded as
 * `splitLines` bounds them: its last line needs no newline, and nothing of it
 * carries over into the next message.
 */
export function splitMessage(
  bytes: Uint8Array,
  maxLineBytes: number,
  onTruncated: () => void,
): string[] {
  const lines: string[] = [];
  const end = bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE
    ? bytes.length - 1
    : bytes.length;
  if (bytes.length > 0) splitWhole(bytes, 0, end, messageDecoder, maxLineBytes, lines, onTruncated);
  return lines;
}

/** Decodes the complete lines in `chunk[start, end)` at once, then checks each one's bytes. */
function splitWhole(
  chunk: Uint8Array,
  start: number,
  end: number,
  decoder: TextDecoder,
  maxLineBytes: number,
  lines: string[],
  onTruncated: () => void,
): void {
  const parts = decoder.decode(chunk.subarray(start, end)).split("\n");
  // Where part `known` starts in the chunk: found only when a part might be too long.
  let known = 0;
  let knownAt = start;
  for (let index = 0; index < parts.length; index++) {
    let part = parts[index] as string;
    // A UTF-16 unit is at most 3 UTF-8 bytes, so shorter parts need no byte count.
    if (part.length * 3 > maxLineBytes) {
      while (known < index) {
        knownAt = chunk.indexOf(NEWLINE, knownAt) + 1;
        known++;
      }
      const partEnd = index === parts.length - 1 ? end : chunk.indexOf(NEWLINE, knownAt);
      const bytes = partEnd - knownAt - (chunk[partEnd - 1] === RETURN ? 1 : 0);
      if (bytes > maxLineBytes) {
        onTruncated();
        continue;
      }
    }
    if (part.endsWith("\r")) part = part.slice(0, -1);
    lines.push(part);
  }
}
