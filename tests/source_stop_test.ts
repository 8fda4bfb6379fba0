/**
 * A source liveplot stops (a signal, a shutdown) is logged as a command's
 * is, `source-stopped` at info, whatever its kind; `source-ended` is for a
 * source that ended by itself.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RECORDING_HEADER } from "../stream/recorder.ts";
import {
  captureLog,
  closeSocket,
  controlMessages,
  openRecorded,
  socketUrl,
  spawnCli,
  startTestServer,
  waitFor,
  waitForLine,
} from "./helpers.ts";
import { freeTcpPort, freeUdpPort, startMosquitto } from "./services.ts";

/** The `source-…` lines of `log` after its `source-started`. */
function sourceLines(log: readonly string[]): string[] {
  return log.filter((line) => / event=source-(stopped|ended|killed) /.test(`${line} `));
}

Deno.test("a replay stopped by SIGTERM is source-stopped, as a command is; one played out is source-ended", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-stop-" });
  try {
    // Ten seconds to play at speed 1: SIGTERM comes long before its end.
    const long = `${dir}/long.lpr`;
    await Deno.writeTextFile(long, `${RECORDING_HEADER}\n1\tx=1\n11\tx=2\n`);
    const cli = spawnCli(["--port", "0", "--no-open", "--replay", long]);
    await cli.url;
    await waitForLine(cli.stderr, "format-detected", 10_000, "the first line played");
    assert.equal((await cli.stop()).code, 0);
    assert.deepEqual(sourceLines(cli.stderr), [`level=info event=source-stopped replay=${long}`]);

    const { log, lines } = captureLog();
    const short = `${dir}/short.lpr`;
    await Deno.writeTextFile(short, `${RECORDING_HEADER}\n1\tx=1\n`);
    await using server = await startTestServer(
      { source: { kind: "replay", path: short, speed: "max" } },
      { log },
    );
    await server.source!.ended;
    assert.deepEqual(sourceLines(lines), [`level=info event=source-ended replay=${short}`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a command or replay stopped by Ctrl-C after a header line alone is source-stopped, not an input that ended", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-stop-header-" });
  try {
    // A header, then numbers ten seconds later: Ctrl-C comes before them.
    const replay = `${dir}/header.lpr`;
    await Deno.writeTextFile(replay, `${RECORDING_HEADER}\n1\ta b\n11\t1 2\n`);
    const sources = [
      { args: ["--", "sh", "-c", 'echo "a b"; sleep 100'], stopped: "command=sh" },
      { args: ["--replay", replay], stopped: `replay=${replay}` },
    ];
    for (const { args, stopped } of sources) {
      const cli = spawnCli(["--port", "0", "--no-open", ...args]);
      const { socket, messages } = await openRecorded(socketUrl(await cli.url, "/data"));
      await waitFor(
        () => controlMessages(messages).some((message) => message.headers === 1),
        10_000,
        "the header line read",
      );
      await closeSocket(socket);
      cli.process.kill("SIGINT");
      assert.equal((await cli.stop()).code, 0);
      const log = cli.stderr.join("\n");
      assert.deepEqual(sourceLines(cli.stderr).map((line) => line.replace(/ child=\d+/, "")), [
        `level=info event=source-stopped ${stopped}`,
      ], log);
      assert.ok(!log.includes("input ended"), log);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--mqtt stopped by SIGTERM is source-stopped, as a command is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-stop-mqtt-" });
  try {
    await using broker = await startMosquitto(dir, freeTcpPort());
    const where = `mqtt://127.0.0.1:${broker.port}/sensors/#`;
    const cli = spawnCli(["--port", "0", "--no-open", "--mqtt", where]);
    await cli.url;
    await waitForLine(cli.stderr, "source-connected", 10_000, "the subscription");
    assert.equal((await cli.stop()).code, 0);
    assert.deepEqual(sourceLines(cli.stderr), [`level=info event=source-stopped mqtt=${where}`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--udp stopped by a shutdown is source-stopped", async () => {
  const port = await freeUdpPort();
  const { log, lines } = captureLog();
  const server = await startTestServer(
    { source: { kind: "udp", hostname: "127.0.0.1", port } },
    { log },
  );
  await server.shutdown();
  assert.deepEqual(sourceLines(lines), [`level=info event=source-stopped udp=127.0.0.1:${port}`]);
});
