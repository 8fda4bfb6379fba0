import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { waitFor } from "./helpers.ts";

Deno.test("--verbose writes every debug line (every connection); warnings still fold", () => {
  const lines: string[] = [];
  const log = createLogger("verbose", (line) => lines.push(line));
  for (let i = 0; i < 20; i++) log.debug("websocket-opened", { remote: `127.0.0.1:${1000 + i}` });
  for (let i = 0; i < 20; i++) log.warn("upgrade-refused", { status: 503 });
  assert.equal(lines.filter((line) => line.includes("event=websocket-opened")).length, 20);
  assert.equal(lines.at(19), "level=debug event=websocket-opened remote=127.0.0.1:1019");
  assert.equal(lines.filter((line) => line.includes("event=upgrade-refused")).length, 1);
  // Without --verbose there are none to write.
  const quiet: string[] = [];
  createLogger("normal", (line) => quiet.push(line)).debug("websocket-opened", {});
  assert.deepEqual(quiet, []);
});

Deno.test("a value a terminal would act on is quoted and escaped: controls, bidi overrides", () => {
  const lines: string[] = [];
  const log = createLogger("normal", (line) => lines.push(line));
  const name = "\u001b]0;PWNED\u0007\u001b[2J\u007f\u009b31m\u202eevil\u2028x";
  log.warn("series-refused", { series: name, plain: "cpu.user", spaced: "a b" });
  assert.equal(
    lines[0],
    String
      .raw`level=warn event=series-refused series="\u001b]0;PWNED\u0007\u001b[2J\u007f\u009b31m\u202eevil\u2028x" plain=cpu.user spaced="a b"`,
  );
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e\u2028]/.test(lines[0]!), "nothing raw is left");
});

Deno.test("start-up warnings are written whole, however many of a kind; later ones still fold", () => {
  const lines: string[] = [];
  const log = createLogger("normal", (line) => lines.push(line));
  for (const note of ["first", "second", "third"]) {
    assert.ok(log.warn("limits-inconsistent", { note }, { fold: false }));
  }
  for (let i = 0; i < 5; i++) log.warn("upgrade-refused", { status: 503 });
  assert.deepEqual(lines, [
    "level=warn event=limits-inconsistent note=first",
    "level=warn event=limits-inconsistent note=second",
    "level=warn event=limits-inconsistent note=third",
    "level=warn event=upgrade-refused status=503",
  ]);
});

Deno.test("a warning's status= is part of its kind: a 413 does not hide the next 429", async () => {
  const lines: string[] = [];
  const log = createLogger("normal", (line) => lines.push(line));
  assert.ok(log.warn("ingest-refused", { status: 413, stream: "big" }));
  assert.ok(log.warn("ingest-refused", { status: 429, stream: "fast" }), "another status");
  assert.ok(!log.warn("ingest-refused", { status: 429, stream: "fast" }), "a repeat folds");
  assert.ok(!log.warn("ingest-refused", { status: 413, stream: "big" }), "a repeat folds");
  assert.ok(!log.warn("ingest-refused", { status: 413, stream: "big" }), "a repeat folds");
  assert.deepEqual(lines, [
    "level=warn event=ingest-refused status=413 stream=big",
    "level=warn event=ingest-refused status=429 stream=fast",
  ]);
  // Each kind's summary says which status it counts.
  await waitFor(() => lines.length === 4, 3000, "the two summaries");
  assert.deepEqual(lines.slice(2).sort(), [
    "level=warn event=ingest-refused status=413 suppressed=2 period=1s",
    "level=warn event=ingest-refused status=429 suppressed=1 period=1s",
  ]);
});
