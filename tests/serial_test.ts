/**
 * `--serial PATH`: a socat pseudo-terminal pair stands in for the board,
 * unplugged (socat stopped) and plugged in again (socat started again).
 *
 * @module
 */

import assert from "node:assert/strict";
import { SourceStartError } from "../stream/source.ts";
import type { Hub } from "../stream/hub.ts";
import {
  captureLog,
  closeSocket,
  controlMessages,
  record,
  socketUrl,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { seriesValues, startPtyPair } from "./services.ts";

/** Runs `write` against a served port once it is open: `write(text)` is what the board sends. */
async function withOpenPort(
  test: (hub: Hub, write: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-serial-" });
  try {
    await using board = await startPtyPair(dir);
    await using server = await startTestServer({
      source: { kind: "serial", path: board.device, baud: 115200 },
    });
    const hub = server.hub!;
    await waitFor(() => hub.status.state === "live", 5000, "the port to open");
    await test(hub, (text) => Deno.writeTextFile(board.board, text));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--serial: waits for the device, reads it, waits when unplugged, reopens when back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-serial-" });
  const { log, lines } = captureLog();
  const device = `${dir}/device`;
  try {
    await using server = await startTestServer({
      source: { kind: "serial", path: device, baud: 115200 },
    }, { log });
    const hub = server.hub!;
    // A viewer, as the page is: it is told each state with its reason.
    const socket = new WebSocket(socketUrl(server.url, "/data"));
    const { messages } = record(socket);
    const states = () =>
      controlMessages(messages).filter((message) => message.type === "status").map((status) =>
        `${status.state}: ${status.detail}`
      );
    await waitFor(() => hub.status.state === "waiting", 5000, "the waiting state");
    assert.equal(hub.status.detail, `waiting for ${device}`);
    await waitFor(() => states().at(-1)?.startsWith("waiting") ?? false, 5000, "the viewer told");

    let board = await startPtyPair(dir);
    try {
      await waitFor(() => hub.status.state === "live", 5000, "the port to open");
      await Deno.writeTextFile(board.board, "temp:21.5,hum:40\n");
      await waitFor(() => seriesValues(hub, "temp").length === 1, 5000, "the first line");
      assert.deepEqual(seriesValues(hub, "hum"), [40]);

      // Unplugged: liveplot waits, and does not end.
      await board.stop();
      await waitFor(() => hub.status.state === "waiting", 5000, "waiting after the unplug");
      assert.equal(hub.status.detail, `waiting for ${device}`);

      board = await startPtyPair(dir);
      await waitFor(() => hub.status.state === "live", 5000, "the port to reopen");
      await Deno.writeTextFile(board.board, "temp:22,hum:41\n");
      await waitFor(() => seriesValues(hub, "temp").length === 2, 5000, "a line after re-plugging");
      assert.deepEqual(seriesValues(hub, "temp"), [21.5, 22]);
      assert.equal(hub.status.skipped, 0);
      const seen = states().filter((state, index, all) => state !== all[index - 1]);
      assert.deepEqual(seen.slice(-4), [
        `waiting: waiting for ${device}`,
        "live: null",
        `waiting: waiting for ${device}`,
        "live: null",
      ]);
      await closeSocket(socket);
    } finally {
      await board.stop();
    }
    const events = lines.map((line) => /event=(\S+)/.exec(line)?.[1]).filter((event) =>
      event?.startsWith("source-")
    );
    assert.deepEqual(events.slice(0, 5), [
      "source-started",
      "source-waiting",
      "source-connected",
      "source-waiting",
      "source-connected",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--serial opened mid-line: the cut line (.5 h:40) is skipped, not a series .5 h", async () => {
  await withOpenPort(async (hub, write) => {
    // What the port gives when opened as the board is writing `temp:21.5 h:40`.
    await write(".5 h:40\ntemp:21.6 h:41\ntemp:21.7 h:42\n");
    await waitFor(() => seriesValues(hub, "temp").length === 2, 5000, "the whole lines");
    assert.deepEqual(hub.names, ["temp", "h"]);
    assert.deepEqual(seriesValues(hub, "h"), [41, 42]);
    assert.equal(hub.status.skipped, 1);
  });
});

Deno.test("--serial on a file that is no terminal is one clear line at start", async () => {
  const file = await Deno.makeTempFile({ prefix: "liveplot-not-a-tty-" });
  try {
    await assert.rejects(
      startTestServer({ source: { kind: "serial", path: file, baud: 9600 } }),
      (error: Error) => {
        assert.ok(error instanceof SourceStartError);
        assert.equal(
          error.message,
          `Cannot open serial port "${file}": Inappropriate ioctl for device`,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("--serial: ESP-IDF's coloured log lines plot, their colour codes removed", async () => {
  await withOpenPort(async (hub, write) => {
    // ESP_LOGI's output, coloured by default (CONFIG_LOG_COLORS), each line ended by \r\n.
    await write(
      "\x1b[0;32mI (121) app: temp=21.5 hum=41\x1b[0m\r\n" +
        "\x1b[0;33mW (131) app: temp=21.7 hum=42\x1b[0m\r\n",
    );
    await waitFor(() => seriesValues(hub, "temp").length === 2, 5000, "both lines");
    assert.deepEqual(hub.names, ["temp", "hum"]);
    assert.deepEqual(seriesValues(hub, "hum"), [41, 42]);
    assert.equal(hub.status.skipped, 0);
  });
});
