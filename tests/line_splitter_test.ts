import assert from "node:assert/strict";
import { readByteStream, readInto, splitChunks, splitLines } from "../stream/line_splitter.ts";

const encoder = new TextEncoder();

/** Splits `chunks` and collects the lines and cut-offs. */
async function collect(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number) {
  let truncated = 0;
  const lines: string[] = [];
  for await (const batch of splitLines(chunks, maxLineBytes, () => truncated++)) {
    lines.push(...batch);
  }
  return { lines, truncated };
}

/** Feeds `chunks` through a real ReadableStream and collects the lines and cut-offs. */
function split(chunks: (string | Uint8Array)[], maxLineBytes = 16) {
  const stream = ReadableStream.from(
    chunks.map((chunk) => typeof chunk === "string" ? encoder.encode(chunk) : chunk),
  );
  return collect(stream, maxLineBytes);
}

/** `bytes` cut into reads of `size` bytes. */
function reads(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** A newline, `\r`, a byte no UTF-8 has and `#`: kept bytes that were not copied show. */
const GARBAGE = new Uint8Array([0x0a, 0x0d, 0xff, 0x23]);

function scribble(buffer: Uint8Array): void {
  for (let at = 0; at < buffer.length; at++) buffer[at] = GARBAGE[at % GARBAGE.length] as number;
}

/**
 * Yields `chunks` from one reused buffer, as `Deno.stdin.read` would fill it, and
 * scribbles over the whole buffer as soon as the next chunk (or the end) is asked for.
 */
async function* reusedBuffer(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(Math.max(1, ...chunks.map((chunk) => chunk.length)));
  for (const chunk of chunks) {
    buffer.set(chunk);
    yield buffer.subarray(0, chunk.length);
    scribble(buffer);
  }
}

Deno.test("lines split across chunks are joined; \\r\\n and a last line without newline work", async () => {
  const { lines, truncated } = await split(["1 2\n3 ", "4\r\n5", " 6\n\n7"]);
  assert.deepEqual(lines, ["1 2", "3 4", "5 6", "", "7"]);
  assert.equal(truncated, 0);
});

Deno.test("a line over the bound is dropped and counted once, within a chunk or across many", async () => {
  const long = "9".repeat(40);
  assert.deepEqual(await split([`1\n${long}\n2\n`]), { lines: ["1", "2"], truncated: 1 });
  const pieces = ["3\n", ...Array.from({ length: 10 }, () => "x".repeat(10)), "\n4\n"];
  assert.deepEqual(await split(pieces), { lines: ["3", "4"], truncated: 1 });
  assert.deepEqual(await split(["a".repeat(16), "\n"]), { lines: ["a".repeat(16)], truncated: 0 });
  assert.deepEqual(await split(["a".repeat(17)]), { lines: [], truncated: 1 });
});

Deno.test("multi-byte characters split across chunks decode intact", async () => {
  const bytes = new TextEncoder().encode("µ 1\n");
  const { lines } = await split([bytes.subarray(0, 1), bytes.subarray(1)]);
  assert.deepEqual(lines, ["µ 1"]);
});

Deno.test("the bound counts UTF-8 bytes: multi-byte lines are cut the same however the reads fall", async () => {
  const encoder = new TextEncoder();
  const bound = 12;
  // 12 bytes each way: kept; 13 or more: cut. µ is 2 bytes, € 3, 😀 4 (2 UTF-16 units).
  const lines = [
    "µµµµµµ", // 12 bytes, 6 units
    "µµµµµµa", // 13 bytes, 7 units: cut, though far under 12 UTF-16 units
    "€€€€", // 12 bytes
    "€€€€\r", // 12 bytes and a \r\n ending
    "😀😀😀a", // 13 bytes, 7 units: cut
    "😀😀😀", // 12 bytes
    "abcdefghijkl", // 12 bytes
    "abcdefghijklm", // 13 bytes: cut
    "",
  ];
  const bytes = encoder.encode(lines.map((line) => `${line}\n`).join(""));
  const expected = {
    lines: ["µµµµµµ", "€€€€", "€€€€", "😀😀😀", "abcdefghijkl", ""],
    truncated: 3,
  };
  for (let size = 1; size <= bytes.length; size++) {
    assert.deepEqual(await split(reads(bytes, size), bound), expected, `reads of ${size} bytes`);
    assert.deepEqual(
      await collect(reusedBuffer(reads(bytes, size)), bound),
      expected,
      `reads of ${size} bytes into a reused buffer`,
    );
  }
});

Deno.test("a last line without a newline is bounded in bytes too", async () => {
  assert.deepEqual(await split(["1\n", "µµµµµµµµ"]), { lines: ["1", "µµµµµµµµ"], truncated: 0 });
  assert.deepEqual(await split(["1\nµµµµµµµµa"]), { lines: ["1"], truncated: 1 });
});

/** Lines with every ending, characters of 2, 3 and 4 bytes, and a last line without newline. */
const MIXED = encoder.encode("1 2\nµ 3\r\n\n€ 4 😀\n" + "5".repeat(30) + "\n6 µ€😀");
const MIXED_LINES = ["1 2", "µ 3", "", "€ 4 😀", "5".repeat(30), "6 µ€😀"];

Deno.test("a source that reuses its buffer: a line split at any offset, or read a byte at a time, is intact", async () => {
  for (let at = 0; at <= MIXED.length; at++) {
    const chunks = [MIXED.subarray(0, at), MIXED.subarray(at)];
    assert.deepEqual(
      await collect(reusedBuffer(chunks), 64),
      { lines: MIXED_LINES, truncated: 0 },
      `split at byte ${at}`,
    );
  }
  for (let size = 1; size <= 8; size++) {
    assert.deepEqual(
      await collect(reusedBuffer(reads(MIXED, size)), 64),
      { lines: MIXED_LINES, truncated: 0 },
      `reads of ${size} bytes`,
    );
  }
});

Deno.test("a source that reuses its buffer: over-long lines across reads are cut and counted once", async () => {
  const text = encoder.encode(`1\n${"x".repeat(40)}\n2\n${"µ".repeat(9)}\n${"y".repeat(17)}`);
  const expected = { lines: ["1", "2"], truncated: 3 };
  for (let size = 1; size <= text.length; size++) {
    assert.deepEqual(
      await collect(reusedBuffer(reads(text, size)), 16),
      expected,
      `reads of ${size} bytes`,
    );
  }
});

Deno.test("readInto reads into one buffer whose stale bytes never reach a line", async () => {
  for (const size of [1, 2, 3, 7]) {
    let offset = 0;
    const buffers = new Set<ArrayBufferLike>();
    const reader = {
      read(buffer: Uint8Array): Promise<number | null> {
        buffers.add(buffer.buffer);
        if (offset >= MIXED.length) return Promise.resolve(null);
        // Fills the whole buffer, as a careless read might, then reports only its piece.
        scribble(buffer);
        const piece = MIXED.subarray(offset, offset + Math.min(size, buffer.length));
        buffer.set(piece);
        offset += piece.length;
        return Promise.resolve(piece.length);
      },
    };
    assert.deepEqual(await collect(readInto(reader, 5), 64), {
      lines: MIXED_LINES,
      truncated: 0,
    });
    assert.equal(buffers.size, 1, "one buffer for every read");
  }
});

/** A byte stream that hands over `chunks` one a read (a part, if the reader's buffer is smaller). */
function byteStream(chunks: Uint8Array[], onCancel = () => {}): ReadableStream<Uint8Array> {
  let index = 0;
  let rest: Uint8Array = new Uint8Array(0);
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (rest.length === 0) rest = chunks[index++] ?? rest;
      const request = controller.byobRequest;
      if (rest.length === 0 || !request?.view) {
        controller.close();
        request?.respond(0);
        return;
      }
      const view = new Uint8Array(request.view.buffer, request.view.byteOffset);
      const piece = rest.subarray(0, request.view.byteLength);
      view.set(piece);
      rest = rest.subarray(piece.length);
      request.respond(piece.length);
    },
    cancel: onCancel,
  });
}

Deno.test("readByteStream reads a byte stream into its own buffer, read after read", async () => {
  for (let size = 1; size <= 8; size++) {
    assert.deepEqual(await collect(readByteStream(byteStream(reads(MIXED, size)), 64), 64), {
      lines: MIXED_LINES,
      truncated: 0,
    });
  }
  // A read fills no more than the buffer holds; the rest comes with the next reads.
  assert.deepEqual(await collect(readByteStream(byteStream([MIXED]), 4), 64), {
    lines: MIXED_LINES,
    truncated: 0,
  });
});

Deno.test("leaving the lines of readByteStream early cancels the stream", async () => {
  let cancelled = false;
  const stream = byteStream(reads(MIXED, 4), () => {
    cancelled = true;
  });
  for await (const lines of splitLines(readByteStream(stream, 16), 64, () => {})) {
    if (lines.length > 0) break;
  }
  assert.ok(cancelled, "the stream was cancelled");
  assert.equal(stream.locked, false, "the reader let go of the stream");
});

Deno.test("every line end is found at any alignment of the chunk in its buffer, whatever the buffer", async () => {
  // Lines of 0 to 9 bytes, so a newline falls on every byte of a word, runs of them included.
  const text = Array.from({ length: 60 }, (_, i) => "x".repeat((i * 7) % 10) + "\n").join("");
  const bytes = encoder.encode(text);
  const expected = [...bytes.keys()].filter((at) => bytes[at] === 0x0a);
  const buffers = [new Uint8Array(bytes.length + 16), new Uint8Array(bytes.length + 32)];
  for (let offset = 0; offset < 8; offset++) {
    for (let cut = 0; cut < 8; cut++) {
      // Alternating buffers, as two feeds reading at once would.
      const buffer = buffers[(offset + cut) % 2]!;
      buffer.fill(0x0a);
      buffer.set(bytes, offset);
      const chunk = buffer.subarray(offset, offset + bytes.length - cut);
      const found: number[] = [];
      for await (const lines of splitChunks(ReadableStream.from([chunk]), 100, () => {})) {
        const { ends, count } = lines.newlines(new Int32Array(1));
        found.push(...ends.subarray(0, count));
      }
      assert.deepEqual(found, expected.filter((at) => at < bytes.length - cut), `${offset}/${cut}`);
    }
  }
});
