/**
 * Signals as a user's system sends them: SIGHUP (the terminal closed) stops
 * liveplot as SIGTERM does, its command with it, and exits 0.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isRunning, spawnCli, START_FLAGS, underScript, waitFor, withTimeout } from "./helpers.ts";

Deno.test({
  name: "SIGHUP (the terminal closed) stops liveplot and its command under script, exit 0",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const cli = spawnCli(["--port", "0", "--no-open", "vmstat", "1"], { denoArgs: START_FLAGS });
    await cli.url;
    // script runs vmstat in a session of its own, which the hangup does not reach.
    const { script, command: vmstat } = await underScript(cli);
    assert.ok(vmstat > 0, "vmstat runs under script");
    try {
      cli.process.kill("SIGHUP");
      const status = await withTimeout(cli.process.status, 10_000, "liveplot to exit on SIGHUP");
      await cli.stop();
      assert.equal(status.code, 0, cli.stderr.join("\n"));
      assert.match(cli.stderr.join("\n"), /level=info event=source-stopped command=vmstat/);
      await waitFor(() => !isRunning(vmstat) && !isRunning(script), 5000, "vmstat, script to end");
    } finally {
      // Left behind if liveplot died of the hangup: nothing else would end them.
      for (const pid of [vmstat, script]) if (isRunning(pid)) Deno.kill(pid, "SIGKILL");
    }
  },
});
