import assert from "node:assert/strict";
import {
  controlMessages,
  dataLines,
  openRecorded,
  socketUrl,
  startPiped,
  waitFor,
} from "./helpers.ts";
import { openRawSocket } from "./raw_socket.ts";

const SERIES = 20;
const row = (value: string) => `${`${value} `.repeat(SERIES)}\n`;

Deno.test("a viewer that falls behind gets each series' latest value as text lines, then the stream once it catches up", async () => {
  await using piped = await startPiped({ window: { points: 1000 } });
  const hub = piped.server.hub!;
  // Asks for nothing, so text frames; reads nothing until it is behind.
  using slow = await openRawSocket(Number(piped.server.url.port), "/data");
  const deadline = Date.now() + 20_000;
  while (hub.reducedCount === 0 && hub.droppedCount === 0 && Date.now() < deadline) {
    await piped.writeLines(new Array(100).fill(row("1234567.891")), 100);
  }
  assert.equal(hub.reducedCount, 1, "the viewer that reads nothing is behind");

  // Points keep coming while it reads what piled up, until it is told it has caught up.
  let writing = true;
  const writer = (async () => {
    while (writing) await piped.writeLines([row("7")], 1);
  })();
  const { texts } = await slow.readUntilClose(20_000, (text) => text.includes('"reduced":false'))
    .finally(() => writing = false);
  await writer;
  assert.equal(hub.droppedCount, 0, "behind, not dropped");

  const behind = texts.slice(texts.findIndex((text) => text.includes('"reduced":true')) + 1, -1);
  const latest = behind.filter((text) => !text.startsWith("{"));
  assert.ok(latest.length > 0, "values came while it was behind");
  for (const message of latest) {
    const lines = message.trimEnd().split("\n").map((line) => line.split(" "));
    // One line a series, all from the same row, its values as written.
    assert.deepEqual(lines.map(([id]) => Number(id)), [...Array(SERIES).keys()], message);
    assert.equal(new Set(lines.map(([, x]) => x)).size, 1, message);
    assert.ok(lines.every(([, x, y]) => /^\d+$/.test(x!) && ["1234567.891", "7"].includes(y!)));
  }
});

Deno.test("a frame bigger than --max-queue makes a viewer that reads well reduced, never dropped", async () => {
  await using piped = await startPiped({ window: { points: 10 }, maxQueuedBytes: 256 * 1024 });
  const hub = piped.server.hub!;
  const viewer = await openRecorded(socketUrl(piped.server.url, "/data"));
  await waitFor(
    () => controlMessages(viewer.messages).some((m) => m.type === "status"),
    5000,
    "the join",
  );
  // A flood read between two passes: 100,000 points, one frame of about 1.6 MB of text.
  for (let x = 0; x < 100_000; x++) hub.add("flood", x, x % 7);
  hub.commit();
  await waitFor(() => dataLines(viewer.messages).includes("0 99999 4"), 10_000, "the latest value");
  const told = () => controlMessages(viewer.messages).filter((m) => m.type === "viewer");
  assert.deepEqual(told().map((m) => m.reduced), [true]);
  assert.equal(hub.droppedCount, 0);
  // What it got: the latest value, not the frame.
  assert.ok(dataLines(viewer.messages).length < 1000, `${dataLines(viewer.messages).length} lines`);
  // Its queue drained, the next frame brings every point again.
  hub.add("flood", 100_000, 1);
  hub.commit();
  await waitFor(() => dataLines(viewer.messages).includes("0 100000 1"), 5000, "the next point");
  assert.deepEqual(told().map((m) => m.reduced), [true, false]);
  assert.equal(hub.droppedCount, 0);
  viewer.socket.close();
});
