/**
 * CSV rows against docs/formats.md: which columns label a row and which hold
 * values (a word among the numbers is refused, not a key), which lines are a
 * header and which are data, when the first column is x, and names when the
 * header and the rows differ in length.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Hub } from "../stream/hub.ts";
import { LineFeed } from "../stream/line_feed.ts";
import { read } from "./format_reading.ts";
import { captureLog, startPiped, waitFor } from "./helpers.ts";

Deno.test("a word in the first row of data is refused in a column of numbers, never a key", () => {
  const ref = read("temp,hum\n21.5,ERR\n21.6,41\n21.7,42\n21.8,43\n");
  assert.deepEqual(ref.sink.names(), ["temp", "hum"]);
  assert.deepEqual(ref.sink.ys("temp"), [21.5, 21.6, 21.7, 21.8]);
  assert.deepEqual(ref.sink.ys("hum"), [41, 42, 43]);
  assert.equal(ref.sink.refused, 1);
  assert.deepEqual(ref.detected, { format: "csv", series: 2, x: "arrival" });
  for (const word of ["hello", "#N/A", "?"]) {
    const { sink } = read(`a,b\n1,${word}\n1,2\n`);
    assert.deepEqual(sink.names(), ["a", "b"], word);
    assert.deepEqual([sink.ys("a"), sink.ys("b"), sink.refused], [[1, 1], [2], 1], word);
  }
  const dollar = read("a,b\n$12.50,3\n4,5\n").sink;
  assert.deepEqual([dollar.ys("a"), dollar.ys("b"), dollar.refused], [[4], [3, 5], 1]);
  // Without a header too: a word after a number is no label.
  assert.deepEqual(read("1,hello\n1,2\n").sink.names(), ["0", "1"]);
});

Deno.test("a label column: a leading word, or a column the header names as one", () => {
  // A leading word labels the row, as `Mem:` does in columns.
  const rooms = read("room,temp\nkitchen,21.5\nhall,19\n").sink;
  assert.deepEqual(rooms.names(), ["kitchen.temp", "hall.temp"]);
  assert.equal(rooms.refused, 0);
  // A header that names a label column makes it one wherever it is, whatever its text.
  const hosts = read("cpu,host\n12.5,db1\n13,db2\n").sink;
  assert.deepEqual(hosts.names(), ["db1.cpu", "db2.cpu"]);
  // A leading word whose column then holds numbers was no label: from there on it is a value.
  const later = read("temp,hum\nERR,41\n21.6,42\n21.7,43\n").sink;
  assert.deepEqual(later.ys("temp"), [21.6, 21.7]);
  assert.deepEqual(later.ys("hum"), [42, 43]);
});

Deno.test("a row with numbers in it is data: cells that are no number are refused", () => {
  const { sink, outcomes, detected } = read(
    "a,b,c,d,e,f\n1e3,0x10,-.5,+3,NaN,inf\n2e3,0x11,1,2,3,4\n",
  );
  assert.deepEqual(outcomes, ["header", "points", "points"]);
  assert.deepEqual(detected, { format: "csv", series: 6, x: "arrival" });
  assert.deepEqual(sink.ys("a"), [1000, 2000]);
  assert.deepEqual(sink.ys("c"), [-0.5, 1]);
  assert.deepEqual(sink.ys("e"), [3]);
  assert.deepEqual(sink.ys("f"), [4]);
  assert.equal(sink.refused, 3, "0x10, inf and 0x11; NaN is a gap");
  // Whitespace columns with a decimal comma stay columns: `1 2,5` is no CSV row.
  assert.equal(read("1 2,5\n3 4\n").detected?.format, "columns");
  // A header names a column of labels whatever they look like.
  const hosts = read("cpu,host\n12.5,10.0.0.1\n13,10.0.0.2\n").sink;
  assert.deepEqual(hosts.names(), ["10.0.0.1.cpu", "10.0.0.2.cpu"]);
});

Deno.test('a quoted number with thousands separators reads as one: "1,234.50" is 1234.5', () => {
  const { sink, outcomes } = read('item,price,qty\nA,"1,234.50",3\nA,"12,345,678",4\n');
  assert.deepEqual(outcomes, ["header", "points", "points"]);
  assert.deepEqual(sink.ys("A.price"), [1234.5, 12345678]);
  assert.deepEqual(sink.ys("A.qty"), [3, 4]);
  // "1,234" may be 1.234 with a decimal comma: refused and counted, not guessed.
  const ambiguous = read('a,b\n"1,234",2\n').sink;
  assert.deepEqual([ambiguous.ys("b"), ambiguous.refused], [[2], 1]);
  // With `;` a decimal comma is read as before.
  assert.deepEqual(read("a;b\n1,5;1,234.5\n").sink.ys("b"), [1234.5]);
});

Deno.test("a source of header lines alone says why nothing plots: format-no-data", async () => {
  const { log, lines } = captureLog();
  const hub = new Hub({
    window: { points: 100 },
    maxQueuedBytes: 1 << 20,
    log,
    historyBytes: 1 << 20,
  });
  const feed = new LineFeed({ hub, format: "auto", x: { kind: "auto" }, maxLineBytes: 1024, log });
  await feed.pumpChunks(ReadableStream.from([new TextEncoder().encode("a,b,c\nd,e,f\n")]));
  hub.stop();
  assert.equal(hub.status.headers, 2);
  assert.deepEqual(lines.filter((line) => line.includes("format-no-data")), [
    'level=warn event=format-no-data headers=2 skipped=0 note="the input ended without a line of numbers"',
  ]);
});

Deno.test("a first column of big numbers named as no time is a series, not x", () => {
  const bytes = read("rx_bytes,tx_bytes\n1500000000,2000\n1500004096,2100\n");
  assert.deepEqual(bytes.sink.names(), ["rx_bytes", "tx_bytes"]);
  assert.deepEqual(bytes.sink.ys("rx_bytes"), [1500000000, 1500004096]);
  assert.deepEqual(bytes.detected, { format: "csv", series: 2, x: "arrival" });
  // Named as a time, or with no header, epoch numbers are x as before.
  for (const name of ["time", "ts", "epoch", "unix_time", "Date", "time_ms"]) {
    const { detected, sink } = read(`${name},v\n1732531200,1\n1732531201,2\n`);
    assert.deepEqual(detected?.x, name, name);
    assert.deepEqual(sink.xs("v"), [1732531200, 1732531201], name);
  }
  assert.deepEqual(read("1732531200,1\n").detected?.x, "timestamp");
  // A text timestamp is x whatever the header calls it.
  assert.deepEqual(read("when,v\n2024-01-15T10:00:00Z,1\n").detected?.x, "when");
  // The same in whitespace columns.
  const spaced = read("rx_bytes tx_bytes\n1500000000 2000\n1500004096 2100\n");
  assert.deepEqual(spaced.sink.names(), ["rx_bytes", "tx_bytes"]);
  assert.deepEqual(spaced.detected, { format: "columns", series: 2, x: "arrival" });
  const timed = read("time v\n1732531200 1\n1732531201 2\n");
  assert.deepEqual(timed.sink.xs("v"), [1732531200, 1732531201]);
  assert.deepEqual(read("1732531200 1\n").detected?.x, "timestamp");
});

Deno.test("a header longer than the rows names their columns; cells past it get a name of their own", () => {
  const short = read("a,b,c,d\n1,2\n3,4\n");
  assert.deepEqual(short.sink.names(), ["a", "b"]);
  assert.deepEqual(short.sink.ys("b"), [2, 4]);
  const long = read("a,b\n1,2,3\n4,5,6\n").sink;
  assert.deepEqual(long.names(), ["a", "b", "column 2"]);
  assert.deepEqual(long.ys("column 2"), [3, 6]);
});

Deno.test("a date column then a time-of-day column is one timestamp: x, and neither a series", () => {
  const at = (second: number) => new Date(2026, 11, 7, 10, 0, second).getTime() / 1000;
  const iso = read("date,time,temp\n2026-12-07,10:00:00,21.5\n2026-12-07,10:00:01,22.5\n");
  assert.deepEqual(iso.sink.names(), ["temp"]);
  assert.deepEqual(iso.sink.xs("temp"), [at(0), at(1)]);
  assert.deepEqual([iso.detected, iso.sink.refused], [
    { format: "csv", series: 1, x: "date+time" },
    0,
  ]);
  // A European spreadsheet's: day-first dotted dates, decimal commas, a fraction of a second.
  const dotted = read("Date;Time;Temp\n07.12.2026;10:00:00;21,5\n07.12.2026;10:00:01,5;22,5\n");
  assert.deepEqual(dotted.sink.names(), ["Temp"]);
  assert.deepEqual(dotted.sink.xs("Temp"), [at(0), at(1) + 0.5]);
  assert.deepEqual(dotted.detected, { format: "csv", series: 1, x: "Date+Time" });
  // The time first, then the date, is the same timestamp.
  const reversed = read("time,date,temp\n10:00:01,2026-12-07,21.5\n");
  assert.deepEqual([reversed.sink.xs("temp"), reversed.sink.refused], [[at(1)], 0]);
  // Found from the time's name too, after a key column; minutes alone are a time of day there.
  const keyed = read("id,date,time,v\n7,2026-12-07,10:00,1\n");
  assert.deepEqual(keyed.sink.names(), ["7.v"]);
  assert.deepEqual(keyed.sink.xs("7.v"), [at(0)]);
  // A date alone is its midnight, dotted or not; so is a whitespace date then time.
  const midnight = new Date(2026, 11, 7).getTime() / 1000;
  assert.deepEqual(read("date,temp\n2026-12-07,21.5\n").sink.xs("temp"), [midnight]);
  assert.deepEqual(read("Datum;Temp\n07.12.2026;21,5\n").sink.xs("Temp"), [midnight]);
  assert.deepEqual(read("07.12.2026 10:00:01 21.5\n").sink.xs("0"), [at(1)]);
});

Deno.test("a header reprinted after data (a board's reset) is a header, not a skipped row", () => {
  // Read from the middle: the first header was missed, and a reset prints it among the rows.
  const late = read("21.5,40\n22,41\ntemp,hum\n22.5,42\n");
  assert.deepEqual(late.outcomes, ["points", "points", "header", "points"]);
  // A header never renames a series: the columns keep their names.
  assert.deepEqual(late.sink.names(), ["0", "1"]);
  assert.deepEqual(late.sink.ys("1"), [40, 41, 42]);
  // The header again, written with quotes, spaces or a comment mark, is the header.
  const again = read('# temp,hum\n21.5,40\n"temp", "hum"\n22,41\ntemp,hum\n');
  assert.deepEqual(again.outcomes, ["header", "points", "header", "points", "header"]);
  assert.deepEqual(again.sink.names(), ["temp", "hum"]);
});

Deno.test("served: a CSV header reprinted after data is counted as a header, with no warning", async () => {
  await using piped = await startPiped();
  const hub = piped.server.hub!;
  await piped.write("21.5,40\n22,41\ntemp,hum\n22.5,42\n");
  await waitFor(() => hub.pointCount === 6, 5000, "the three rows");
  await waitFor(() => hub.status.headers === 1, 5000, "the header counted");
  assert.equal(hub.status.skipped, 0);
  assert.deepEqual(piped.log.filter((line) => line.includes("lines-skipped")), []);
});
