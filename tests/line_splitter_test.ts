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
