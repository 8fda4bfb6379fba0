/**
 * Splits a byte stream into text lines with a hard bound on line length, so
 * one endless line cannot eat memory: a longer line is cut off, dropped and
 * counted, and reading goes on at the next newline.
 *
 * @module
 */

const NEWLINE = 0x0a;

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
    if (carryBytes + piece.length > maxLineBytes) {
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
    const line = carryBytes > 0 ? decoder.decode(concat(carry, carryBytes)) : "";
    carry = [];
    carryBytes = 0;
    discarding = false;
    return wasDiscarding ? undefined : line;
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
      if (line !== undefined) lines.push(stripReturn(line));
      start = first + 1;
    }
    if (start <= last) {
      const text = decoder.decode(chunk.subarray(start, last));
      for (const line of text.split("\n")) {
        // A decoded line is never longer in UTF-16 units than in bytes.
        if (line.length > maxLineBytes) onTruncated();
        else lines.push(stripReturn(line));
      }
    }
    keep(chunk.subarray(last + 1));
    yield lines;
  }
  if (carryBytes > 0 && !discarding) {
    yield [stripReturn(finishCarry(new Uint8Array(0)) ?? "")];
  }
}

function stripReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
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
