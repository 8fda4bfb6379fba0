import assert from "node:assert/strict";
import { STDERR_LINE_CHARS, STDERR_LINES, tailStderr } from "../stream/stderr_tail.ts";

Deno.test("a command's stderr lines are handed on as they come and its last ones kept, each capped", async () => {
  const lines = Array.from({ length: 8 }, (_, i) => `line ${i}`);
  const long = "x".repeat(STDERR_LINE_CHARS + 50);
  const text = [...lines, "", "   ", long, "last, no newline"].join("\n");
  const bytes = new TextEncoder().encode(text);
  const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 40), bytes.subarray(40)];
  const handed: string[] = [];
  const tail = tailStderr(ReadableStream.from(chunks), (line) => handed.push(line));
  await tail.done;
  assert.deepEqual(handed, [...lines, long, "last, no newline"], "every non-blank line, whole");
  assert.equal(tail.lines.length, STDERR_LINES);
  assert.deepEqual(tail.lines, [
    "line 5",
    "line 6",
    "line 7",
    `${"x".repeat(STDERR_LINE_CHARS)}…`,
    "last, no newline",
  ]);
});
