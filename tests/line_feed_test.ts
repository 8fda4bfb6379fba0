/**
 * What a source's `LineFeed` tells of the lines it skips: one log line, whose
 * reason explains the first line lost.
 *
 * @module
 */

import assert from "node:assert/strict";
import { captureLog, startTestServer, withTimeout } from "./helpers.ts";

const encoder = new TextEncoder();

/** The `lines-skipped` log lines of standard input holding `text`, read in one read. */
async function skippedLog(text: string): Promise<string[]> {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ source: { kind: "stdin" } }, {
    input: ReadableStream.from([encoder.encode(text)]),
    log,
  });
  await withTimeout(server.source!.ended, 10_000, "the end of standard input");
  return lines.filter((line) => line.includes("event=lines-skipped"));
}

Deno.test("lines-skipped gives the first skipped line's reason, and the first other one after it", async () => {
  // `liveplot - < file`: the file's first bad line is cut short, a later one has no numbers.
  const mixed = await skippedLog(
    '{"cpu": 1}\n{"cpu": 2, "mem": \n{"name": "a"}\n{"name": "b"}\n{"cpu": 3}\n',
  );
  assert.equal(mixed.length, 1, mixed.join("\n"));
  assert.match(
    mixed[0]!,
    / reason="not JSON" also="no numbers in the object \(a quoted number is text\)" note=/,
  );
  // One reason alone is given alone, from the fast path's lines too.
  const same = await skippedLog("1 2\n3 4\nfive 6\n7 8\n9 ten\n");
  assert.equal(same.length, 1, same.join("\n"));
  assert.match(same[0]!, / reason="[^"]+" note=/);
  assert.doesNotMatch(same[0]!, / also=/);
});
