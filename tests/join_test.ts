/**
 * Joining a big window: it comes in pieces as the viewer's queue drains, so
 * no message nears a client's limit and a joiner that stops reading holds
 * about its budget, not the window (stream/join_pieces.ts, viewer_budget.ts).
 */

import assert from "node:assert/strict";
import { JOIN_PIECE_POINTS } from "../stream/join_pieces.ts";
import { closeSocket, openRecorded, socketUrl, spawnCli, waitFor, waitForLine } from "./helpers.ts";
import { openRawSocket } from "./raw_socket.ts";

/** Rows of 3 series written at once: a window of 3 × `ROWS` points. */
const ROWS = 400_000;

/** liveplot with a window of every point of `ROWS` rows of 3 numbers, written at once. */
function bigWindow(extra: string[] = []) {
  return spawnCli([
    ..."--port 0 --no-open --x index --history 0 --window 1000000".split(" "),
    ...extra,
    ...["--", "sh", "-c", `seq 1 ${ROWS} | awk '{print $1, $1, $1}'; exec sleep 600`],
  ]);
}

/** Whether every series has its last row (x = ROWS - 1, the rows' index). */
async function allRead(url: URL): Promise<boolean> {
  const range = new URL(`/data/range?from=${ROWS - 1}&to=${ROWS - 1}&width=1`, url);
  const { series } = await (await fetch(range)).json() as { series: { x: number[] }[] };
  return series.length === 3 && series.every((one) => one.x.length === 1);
}

/** Status messages of the stream so far, parsed. */
function statuses(messages: readonly (string | ArrayBuffer)[]): { points?: number }[] {
  return messages.filter((m): m is string =>
    typeof m === "string" && m.startsWith('{"type":"status"')
  )
    .map((m) => JSON.parse(m));
}

Deno.test("a big join is announced, comes in pieces of at most JOIN_PIECE_POINTS points, every point once, then the status", async () => {
  const cli = bigWindow();
  const url = await cli.url;
  try {
    await waitFor(() => allRead(url), 30_000, "every row read");
    const { socket, messages } = await openRecorded(socketUrl(url, "/data"));
    await waitFor(() => statuses(messages).length > 0, 30_000, "the join's status");
    const before = messages.slice(
      0,
      messages.findIndex((m) => typeof m === "string" && m.startsWith('{"type":"status"')),
    );
    const pieces = before.filter((m): m is string => typeof m === "string" && !m.startsWith("{"));
    const lines = pieces.flatMap((piece) => piece.split("\n").filter((line) => line !== ""));
    assert.equal(lines.length, 3 * ROWS, "every point of the window, once");
    // After meta, before the pieces: how many come, so a page reading slowly waits for them all.
    assert.deepEqual(before.slice(1).map((m) => typeof m === "string" && m[0] === "{"), [
      true,
      ...pieces.map(() => false),
    ]);
    assert.deepEqual(JSON.parse(before[1] as string), {
      type: "join",
      pieces: pieces.length,
      points: 3 * ROWS,
    });
    assert.ok(
      pieces.length >= Math.ceil((3 * ROWS) / JOIN_PIECE_POINTS),
      `${pieces.length} pieces`,
    );
    for (const piece of pieces) {
      assert.ok(piece.split("\n").length - 1 <= JOIN_PIECE_POINTS, "no piece over the limit");
    }
    // Each series in order: the window's x (the row's index) only grows.
    const last = new Map<string, number>();
    for (const line of lines) {
      const [id = "", x = ""] = line.split(" ");
      assert.ok(Number(x) > (last.get(id) ?? -1), `series ${id} in order at ${x}`);
      last.set(id, Number(x));
    }
    await closeSocket(socket);
  } finally {
    await cli.stop();
  }
});

Deno.test("a joiner that stops reading gets about its budget of the window, not all of it, and is dropped", async () => {
  const cli = bigWindow(["--max-queue", "512KiB"]);
  const url = await cli.url;
  try {
    await waitFor(() => allRead(url), 30_000, "every row read");
    // The window as text: 3 × 400,000 lines of about 15 bytes, 18 MB.
    const raw = await openRawSocket(Number(url.port), "/data");
    try {
      await waitForLine(
        cli.stderr,
        /event=viewer-dropped .*reason=stalled/,
        30_000,
        "the stalled joiner dropped",
      );
      const { code, bytes } = await raw.readUntilClose(10_000);
      assert.equal(code, 1013);
      // What it got: the budget's worth and what the kernel's buffers held, far from 18 MB.
      assert.ok(bytes < 8_000_000, `${bytes} bytes of the window before the close`);
    } finally {
      raw[Symbol.dispose]();
    }
  } finally {
    await cli.stop();
  }
});
