import assert from "node:assert/strict";
import {
  STDERR_LINE_CHARS,
  STDERR_LINES,
  STDERR_MAX_LINE_BYTES,
  tailStderr,
} from "../stream/stderr_tail.ts";

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

Deno.test("a stderr line over 4 KiB is handed on cut, with its length, not dropped", async () => {
  const encoder = new TextEncoder();
  const long = "x".repeat(2_000_000);
  // Past the bound mid-character: the cut keeps whole characters ("a" then 2047 of 3000 é).
  const wide = `a${"é".repeat(3000)}`;
  const text = `before\n${long}\r\nmiddle\n${wide}\nunended ${long}`;
  const bytes = encoder.encode(text);
  const chunks = [];
  for (let at = 0; at < bytes.length; at += 65536) chunks.push(bytes.slice(at, at + 65536));
  const handed: string[] = [];
  const tail = tailStderr(ReadableStream.from(chunks), (line) => handed.push(line));
  await tail.done;
  assert.deepEqual(handed, [
    "before",
    `${"x".repeat(STDERR_MAX_LINE_BYTES)}…(2000000 bytes)`,
    "middle",
    `a${"é".repeat(2047)}…(6001 bytes)`,
    `unended ${"x".repeat(STDERR_MAX_LINE_BYTES - 8)}…(2000008 bytes)`,
  ]);
  assert.equal(tail.lines.at(-1), `unended ${"x".repeat(STDERR_LINE_CHARS - 8)}…`);
});
