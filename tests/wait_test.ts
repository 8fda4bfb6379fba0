/**
 * `waitForLine`, which the CLI and log tests wait with: a whole event name,
 * the first line that matches, and a timeout that shows what was logged.
 *
 * @module
 */

import assert from "node:assert/strict";
import { waitForLine } from "./wait.ts";

Deno.test("an event name matches its whole event=NAME field, not a longer event's", async () => {
  const lines = ["level=warn event=start-failed note=x", "level=info event=restart pid=1"];
  setTimeout(() => lines.push("level=info event=start pid=2", "level=info event=start pid=3"), 30);
  assert.equal(await waitForLine(lines, "start", 2000), "level=info event=start pid=2");
  lines.push("level=info event=stop");
  assert.equal(await waitForLine(lines, "stop", 2000), "level=info event=stop");
});

Deno.test("a RegExp finds the first line it matches, on every call (a /g one too)", async () => {
  const lines = [
    "level=info event=stream-created stream=b",
    "level=info event=stream-freed stream=b",
  ];
  const pattern = /stream=b/g;
  for (let i = 0; i < 3; i++) assert.equal(await waitForLine(lines, pattern, 2000), lines[0]);
});

Deno.test("a timeout names what it waited for and shows the last 20 lines seen", async () => {
  const lines = Array.from({ length: 25 }, (_, i) => `level=info event=tick n=${i}`);
  const error = await waitForLine(lines, "tock", 50, "the tock").then(
    () => assert.fail("no tock was logged"),
    (error: Error) => error,
  );
  assert.match(
    error.message,
    /^Timed out after 50 ms waiting for the tock; the last 20 of 25 lines:/,
  );
  assert.ok(error.message.endsWith(` lines:\n${lines.slice(5).join("\n")}`), error.message);
  await assert.rejects(waitForLine([], "tock", 20), /the event=tock line; no lines were logged$/);
});

Deno.test("a string that is not an event name is refused, not searched for", async () => {
  await assert.rejects(
    waitForLine(["unbuffered=script"], "unbuffered=script", 20),
    /not an event name/,
  );
});
