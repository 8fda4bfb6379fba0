import assert from "node:assert/strict";
import { createLogger } from "../log.ts";

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
