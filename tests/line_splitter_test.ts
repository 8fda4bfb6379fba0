import assert from "node:assert/strict";
import { splitLines } from "../stream/line_splitter.ts";

/** Feeds `chunks` through a real ReadableStream and collects the lines and cut-offs. */
async function split(chunks: (string | Uint8Array)[], maxLineBytes = 16) {
  const encoder = new TextEncoder();
  const stream = ReadableStream.from(
    chunks.map((chunk) => typeof chunk === "string" ? encoder.encode(chunk) : chunk),
  );
  let truncated = 0;
  const lines: string[] = [];
  for await (const batch of splitLines(stream, maxLineBytes, () => truncated++)) {
    lines.push(...batch);
  }
  return { lines, truncated };
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
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    assert.deepEqual(await split(chunks, bound), expected, `reads of ${size} bytes`);
  }
});

Deno.test("a last line without a newline is bounded in bytes too", async () => {
  assert.deepEqual(await split(["1\n", "µµµµµµµµ"]), { lines: ["1", "µµµµµµµµ"], truncated: 0 });
  assert.deepEqual(await split(["1\nµµµµµµµµa"]), { lines: ["1"], truncated: 1 });
});
