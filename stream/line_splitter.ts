/**
 * Splits a byte stream into text lines with a hard bound on line length, so
 * one endless line cannot eat memory: a longer line is cut off, dropped and
 * counted, and reading goes on at the next newline.
 *
 * The bound is in bytes of the line as it arrived (UTF-8, its `\r\n` or
 * `\n` ending not counted), so whether a line is cut never depends on where
 * the reads happened to split the stream.
 *
 * @module
 */

const NEWLINE = 0x0a;
const RETURN = 0x0d;

/**
 * Reads `readable` and yields its complete lines, one array per chunk read
 * (empty when the chunk completed none), so the cost of an `await` is paid
 * per chunk rather than per line. A final line without a newline is yielded
 * at the end. `\r\n` endings are accepted.
 */
export async function* splitLines(
  readable: ReadableStream<Uint8Array>,
  maxLineBytes: number,
  onTruncated: () => void,
): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let carry: Uint8Array[] = [];
  let carryBytes = 0;
  let discarding = false;

  const keep = (piece: Uint8Array) => {
    if (discarding || piece.length === 0) return;
    // One byte more than the bound may be the `\r` of a `\r\n` ending.
    if (carryBytes + piece.length > maxLineBytes + 1) {
      carry = [];
      carryBytes = 0;
      discarding = true;
      onTruncated();
      return;
    }
    carry.push(piece);
    carryBytes += piece.length;
  };

  const finishCarry = (head: Uint8Array): string | undefined => {
    keep(head);
    const wasDiscarding = discarding;
    const joined = carryBytes > 0 ? concat(carry, carryBytes) : new Uint8Array(0);
    carry = [];
    carryBytes = 0;
    discarding = false;
    if (wasDiscarding) return undefined;
    const length = joined.length > 0 && joined[joined.length - 1] === RETURN
      ? joined.length - 1
      : joined.length;
    if (length > maxLineBytes) {
      onTruncated();
      return undefined;
    }
    return decoder.decode(joined.subarray(0, length));
  };

  for await (const chunk of readable) {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      keep(chunk);
      yield [];
      continue;
    }
    const lines: string[] = [];
    let start = 0;
    if (carryBytes > 0 || discarding) {
      const first = chunk.indexOf(NEWLINE);
      const line = finishCarry(chunk.subarray(0, first));
      if (line !== undefined) lines.push(line);
      start = first + 1;
    }
    if (start <= last) splitWhole(chunk, start, last, decoder, maxLineBytes, lines, onTruncated);
    keep(chunk.subarray(last + 1));
    yield lines;
  }
  if (carryBytes > 0 && !discarding) {
    const line = finishCarry(new Uint8Array(0));
    if (line !== undefined) yield [line];
  }
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

function concat(pieces: Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1 && pieces[0]) return pieces[0];
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}
