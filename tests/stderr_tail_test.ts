import assert from "node:assert/strict";
import { STDERR_LINE_CHARS, STDERR_LINES, tailStderr } from "../stream/stderr_tail.ts";

Deno.test("a command's stderr passes through whole and its last lines are kept, each capped", async () => {
  const lines = Array.from({ length: 8 }, (_, i) => `line ${i}`);
  const long = "x".repeat(STDERR_LINE_CHARS + 50);
  const text = [...lines, "", "   ", long, "last, no newline"].join("\n");
  const bytes = new TextEncoder().encode(text);
  const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 40), bytes.subarray(40)];
  const copied: number[] = [];
  // Takes at most 3 bytes a write, as a full pipe may.
  const out = {
    write: (part: Uint8Array) => {
      const taken = part.subarray(0, 3);
      copied.push(...taken);
      return Promise.resolve(taken.length);
    },
  };
  const tail = tailStderr(ReadableStream.from(chunks), out);
  await tail.done;
  const kept = tail.lines;
  assert.equal(new TextDecoder().decode(new Uint8Array(copied)), text);
  assert.equal(kept.length, STDERR_LINES);
  assert.deepEqual(kept, [
    "line 5",
    "line 6",
    "line 7",
    `${"x".repeat(STDERR_LINE_CHARS)}…`,
    "last, no newline",
  ]);
});
