/**
 * Out of file descriptors: Deno's accept loop ends at its first error, and
 * liveplot listens again on the same port once descriptors are back, keeping
 * the connections it has. A real process, its limit lowered with `prlimit`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  closeSocket,
  nextMessage,
  openSocket,
  socketUrl,
  spawnCli,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";

/** Whether `/test` answers 200 now. */
async function answers(url: URL): Promise<boolean> {
  try {
    const response = await withTimeout(fetch(new URL("/test", url)), 2000, "/test");
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a burst past the descriptor limit leaves liveplot listening again, open sockets kept",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using cli = spawnCli(["--port", "0", "--no-open"]);
    const url = await cli.url;
    const echo = await openSocket(socketUrl(url, "/echo"));
    const pid = cli.process.pid;
    const open = [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
    const limit = await new Deno.Command("prlimit", {
      args: [`--pid=${pid}`, `--nofile=${open + 16}`],
    }).output();
    assert.ok(limit.success, new TextDecoder().decode(limit.stderr));

    // Connections until one is refused: the listener is gone (Deno logs no more than that).
    const held: Deno.Conn[] = [];
    await waitFor(
      async () => {
        try {
          held.push(await Deno.connect({ hostname: url.hostname, port: Number(url.port) }));
          return false;
        } catch {
          return true;
        }
      },
      20_000,
      "a connection refused: the accept loop ended",
    );
    assert.ok(held.length >= 16, `${held.length} connections before the refusal`);
    await waitForLine(cli.stderr, "listener-failed", 5000);
    for (const conn of held) conn.close();

    await waitFor(() => answers(url), 15_000, "/test answered again");
    assert.ok(
      cli.stderr.some((line) => line.includes("event=listening-again")),
      cli.stderr.join("\n"),
    );
    assert.ok(
      cli.stderr.some((line) => /event=listener-failed .*Too many open files/.test(line)),
      cli.stderr.join("\n"),
    );
    echo.send("still here");
    assert.equal(await nextMessage(echo), "still here", "the socket open before is kept");
    await closeSocket(echo);
  },
});
