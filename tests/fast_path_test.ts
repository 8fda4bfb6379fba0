import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { Hub } from "../stream/hub.ts";
import { LineFeed } from "../stream/line_feed.ts";
import { splitLines } from "../stream/line_splitter.ts";
import { scanned, scanNumber, scanNumberBytes } from "../stream/formats/numbers.ts";
import type { XChoice } from "../stream/formats/types.ts";

const encoder = new TextEncoder();

/** Every point a hub holds, by series name (x too, unless it is an arrival time), and its counts. */
function contents(hub: Hub, withX: boolean) {
  const series = hub.names.map((name, id) => {
    const { xs, ys } = hub.history.range(id, -Infinity, Infinity);
    const point = (at: number, i: number) => withX ? `${at},${ys[i]}` : `${ys[i]}`;
    return `${name}: ${Array.from(xs, point).join(" ")}`;
  });
  const { skipped, truncated, recentSkipped } = hub.status;
  return { series, skipped, truncated, recent: recentSkipped.map((s) => s.line) };
}

/** `input` cut into reads of `size` bytes, each read in a buffer reused for the next. */
async function* reads(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, at + size);
    buffer.set(piece);
    yield buffer.subarray(0, piece.length);
    buffer.fill(0x0a); // a read overwrites the last one's bytes
  }
}

function newFeed(x: XChoice, maxLineBytes: number) {
  const log = createLogger("quiet", () => {});
  const hub = new Hub({
    window: { points: 1000 },
    maxQueuedBytes: 1 << 20,
    log,
    historyBytes: 1 << 24,
  });
  return { hub, feed: new LineFeed({ hub, format: "auto", x, maxLineBytes, log }) };
}

/** The points and counts of `input` read as text, line by line (the reference). */
async function asText(input: Uint8Array, x: XChoice, maxLineBytes: number, withX = false) {
  const { hub, feed } = newFeed(x, maxLineBytes);
  const onTruncated = () => hub.report({ truncated: hub.status.truncated + 1 });
  for await (const lines of splitLines(reads(input, 1 << 16), maxLineBytes, onTruncated)) {
    feed.read(lines, new Float64Array(lines.length).fill(1_700_000_000));
  }
  hub.stop();
  return contents(hub, withX);
}

/** The same through the sources' path, where plain lines of numbers are read as bytes. */
async function asBytes(
  input: Uint8Array,
  x: XChoice,
  maxLineBytes: number,
  size: number,
  withX = false,
) {
  const { hub, feed } = newFeed(x, maxLineBytes);
  await feed.pumpChunks(reads(input, size));
  hub.stop();
  return contents(hub, withX);
}

Deno.test("lines read from their bytes plot and count as they do read as text, however the reads split them", async () => {
  const rows = Array.from(
    { length: 300 },
    (_, i) => `${i * 0.5} ${Math.sin(i).toFixed(6)} -${i}e-3`,
  );
  const input = encoder.encode([
    "a b c", // a header: the columns are named
    ...rows.slice(0, 100),
    "1 2\r", // a CRLF row of a new shape: read as text
    ...rows.slice(100, 150).map((row) => `${row}\r`), // CRLF rows of the known shape
    "",
    "  \t ",
    "4 5 x", // labelled: x.a, x.b
    "1 two 3", // skipped
    "20°C 3 4", // a unit: the text path
    "9".repeat(70), // cut off at 64 bytes
    `${"1 ".repeat(40)}1`, // a new shape, cut off too
    "1\t2\t3",
    "+1 .5 5.",
    "1e400 2 3", // 1e400 is refused by the sink, the rest plots
    ...rows.slice(150),
    "7 8 9", // the last line, without a newline
  ].join("\n"));
  for (const x of [{ kind: "index" }, { kind: "auto" }] as XChoice[]) {
    const withX = x.kind === "index";
    const expected = await asText(input, x, 64, withX);
    assert.ok(expected.series.length >= 3 && expected.skipped > 0 && expected.truncated === 2);
    for (const size of [1, 7, 100, 1 << 16]) {
      const actual = await asBytes(input, x, 64, size, withX);
      assert.deepEqual(actual, expected, `${x.kind}, reads of ${size}`);
    }
  }
});

Deno.test("rows of a timestamp and numbers read from their bytes as from text", async () => {
  const input = encoder.encode(
    Array.from({ length: 200 }, (_, i) => `${1_732_531_200 + i} ${i % 7} ${i / 8}`).join("\n") +
      "\n2024-11-25T10:40:00Z 1 2\nnot a row\n",
  );
  const x = { kind: "auto" } as XChoice;
  const expected = await asText(input, x, 1024, true);
  assert.ok(expected.series.every((series) => series.includes(" 1732531399,")));
  for (const size of [3, 4096]) {
    assert.deepEqual(await asBytes(input, x, 1024, size, true), expected);
  }
});

Deno.test("scanNumberBytes reads what scanNumber reads, value and end, bit for bit", () => {
  const texts = [
    "0",
    "-0",
    "+",
    "-",
    ".",
    "-.",
    ".5",
    "5.",
    "1e",
    "1e+",
    "1e-",
    "1E5",
    "1e+5x",
    "-1.5E-7",
    "1.2.3",
    "12345678",
    "123456789",
    "9007199254740993",
    "900719925474099.3",
    "1e400",
    "1e-400",
    "0x10",
    "1_000",
    "  1",
    "1 ",
    "١",
    "1" + "0".repeat(400),
    "0." + "0".repeat(30) + "1",
    "99999999.99999999",
    "1732531200.123456",
    "12e22",
    "12e23",
    "1.5e-22",
    "1.5e-23",
  ];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = "0123456789012345678901234567890123456789.e-+E ";
  for (let i = 0; i < 20_000; i++) {
    const length = 1 + Math.floor(random() * 24);
    texts.push(
      Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""),
    );
  }
  for (const text of texts) {
    const bytes = encoder.encode(`#${text}#`);
    const fromText = scanNumber(text, 0, text.length);
    const textEnd = scanned.end;
    const fromBytes = scanNumberBytes(bytes, 1, bytes.length - 1);
    assert.ok(Object.is(fromBytes, fromText), `${text}: ${fromBytes} vs ${fromText}`);
    assert.equal(scanned.end - 1, textEnd, text);
  }
});

Deno.test("a device's last line with no newline is skipped as cut short; standard input's is read", async () => {
  const input = encoder.encode("temp:21.5\ntemp:4");
  const device = newFeed({ kind: "index" }, 1024);
  await device.feed.pumpChunks(reads(input, 5), undefined, "cut short: the device went away");
  assert.deepEqual(contents(device.hub, false).series, ["temp: 21.5"]);
  assert.equal(device.hub.status.skipped, 1);
  assert.deepEqual(device.hub.status.recentSkipped.map(({ line, reason }) => [line, reason]), [
    ["temp:4", "cut short: the device went away"],
  ]);
  device.hub.stop();
  const stdin = newFeed({ kind: "index" }, 1024);
  await stdin.feed.pumpChunks(reads(input, 5));
  assert.deepEqual(contents(stdin.hub, false).series, ["temp: 21.5 4"]);
  stdin.hub.stop();
});
