/**
 * Terminal escape sequences (colours, a cleared screen, a window title) are
 * removed from every source's lines before they are read, not only from a
 * command's under `script`: standard input, a push, UDP and MQTT here; a
 * serial port in serial_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { createLogger } from "../log.ts";
import { withoutEscapes } from "../stream/escapes.ts";
import { Hub } from "../stream/hub.ts";
import { LineFeed } from "../stream/line_feed.ts";
import { startTestServer, waitFor, withTimeout } from "./helpers.ts";
import { freeTcpPort, freeUdpPort, seriesValues, startMosquitto } from "./services.ts";

const encoder = new TextEncoder();
const TOKEN = "terminal-escapes-test-token";

/** docker stats as it writes a terminal: the screen cleared and the cursor homed each refresh. */
const DOCKER_STATS = "\x1b[2J\x1b[HNAME      CPU %     MEM %\nweb       0.50%     5.02%\n" +
  "db        12.31%    20.10%\n\x1b[2J\x1b[HNAME      CPU %     MEM %\nweb       0.75%     5.03%\n" +
  "db        10.02%    20.11%\n";

Deno.test("escape sequences are removed from a line: CSI, OSC (BEL or ESC \\), two-byte ones", () => {
  const cases: [string, string][] = [
    ["\x1b[0;32mI (121) app: temp=21.5 hum=41\x1b[0m", "I (121) app: temp=21.5 hum=41"],
    ["\x1b[2J\x1b[HNAME  CPU %", "NAME  CPU %"], // clear the screen, home the cursor
    ["\x1b[?25l1 2\x1b[?25h", "1 2"], // a private parameter: hide and show the cursor
    ["\x1b]0;a title\x071 2", "1 2"], // OSC ended by BEL
    ["\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ 3", "link 3"], // ended by ESC \
    ["\x1b7a=1\x1b8\x1b=", "a=1"], // save and restore the cursor, keypad mode
    ["\x1b(Bb=2\x1b[m", "b=2"], // a character set (ESC ( B), tput sgr0's
    ["c=3\x1b[", "c=3"], // a sequence cut at the line's end
    ["\x1b\x1b[1md=4", "d=4"],
  ];
  for (const [line, expected] of cases) assert.equal(withoutEscapes(line), expected, line);
  // A line without ESC is given back as it is; other control characters stay, for isText.
  for (const line of ["1 2 3", "temp (°C) 21.5 😀", "a\x07b", "x\x00"]) {
    assert.equal(withoutEscapes(line), line);
  }
});

Deno.test("stdin: docker stats clearing the screen keeps its header: web.CPU %, not web.0", async () => {
  await using server = await startTestServer({ source: { kind: "stdin" } }, {
    input: ReadableStream.from([encoder.encode(DOCKER_STATS)]),
  });
  await withTimeout(server.source!.ended, 10_000, "the end of standard input");
  const hub = server.hub!;
  assert.deepEqual(hub.names, ["web.CPU %", "web.MEM %", "db.CPU %", "db.MEM %"]);
  assert.deepEqual(seriesValues(hub, "db.CPU %"), [12.31, 10.02]);
  assert.equal(hub.status.skipped, 0);
});

Deno.test("coloured lines of plain numbers read as the same lines without colour, on the fast path", async () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${i} ${i * 2}`);
  const coloured = rows.map((row, i) => i % 3 === 0 ? `\x1b[1;33m${row}\x1b[0m` : row);
  const read = async (lines: string[]) => {
    const log = createLogger("quiet", () => {});
    const hub = new Hub({
      window: { points: 1000 },
      maxQueuedBytes: 1 << 20,
      log,
      historyBytes: 1 << 20,
    });
    const feed = new LineFeed({
      hub,
      format: "auto",
      x: { kind: "auto" },
      maxLineBytes: 1024,
      log,
    });
    const bytes = encoder.encode(lines.join("\n") + "\n");
    // Reads of 97 bytes: lines of either kind fall at the start, middle and end of a read.
    const reads = Array.from(
      { length: Math.ceil(bytes.length / 97) },
      (_, i) => bytes.slice(i * 97, i * 97 + 97),
    );
    await feed.pumpChunks(ReadableStream.from(reads));
    hub.stop();
    return { names: hub.names, ys: seriesValues(hub, "1"), skipped: hub.status.skipped };
  };
  const plain = await read(rows);
  assert.equal(plain.ys.length, 200);
  assert.deepEqual(await read(coloured), plain);
});

Deno.test("a push, a datagram and an MQTT payload lose their colours too", async () => {
  const port = await freeUdpPort();
  await using udp = await startTestServer({
    source: { kind: "udp", hostname: "127.0.0.1", port },
    token: TOKEN,
  });
  const response = await fetch(new URL("/s/pushed", udp.url), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: "\x1b[32mtemp=21.5 hum=41\x1b[0m\n\x1b[32mtemp=22 hum=42\x1b[0m\n",
  });
  assert.deepEqual(await response.json(), { taken: 2, headers: 0, blank: 0, skipped: 0 });
  assert.deepEqual(udp.streams.get("pushed")!.hub.names, ["temp", "hum"]);

  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) =>
    socket.send("\x1b[0;32mrpm=1200\x1b[0m\n", port, "127.0.0.1", (e) => e ? reject(e) : resolve())
  );
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  await waitFor(() => seriesValues(udp.hub!, "rpm").length === 1, 5000, "the datagram's point");
  assert.equal(udp.hub!.status.skipped, 0);

  const dir = await Deno.makeTempDir({ prefix: "liveplot-escapes-" });
  try {
    await using broker = await startMosquitto(dir, freeTcpPort());
    await using mqtt = await startTestServer({
      source: { kind: "mqtt", broker: `mqtt://127.0.0.1:${broker.port}`, topic: "s/#" },
    });
    const hub = mqtt.hub!;
    await waitFor(() => hub.status.state === "live", 10_000, "the subscription");
    for (
      const [topic, message] of [["s/hall", "\x1b[1m19.5\x1b[0m"], ["s/lab", "\x1b[1mt:7\x1b[0m"]]
    ) {
      const { success } = await new Deno.Command("mosquitto_pub", {
        args: ["-h", "127.0.0.1", "-p", String(broker.port), "-t", topic!, "-m", message!],
      }).output();
      assert.ok(success);
    }
    await waitFor(() => hub.names.length === 2, 10_000, "two series");
    assert.deepEqual(hub.names.toSorted(), ["s/hall", "s/lab.t"]);
    assert.equal(hub.status.skipped, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
