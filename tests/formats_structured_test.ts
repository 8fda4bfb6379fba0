import assert from "node:assert/strict";
import { epochSeconds, parseTimestamp } from "../stream/formats/timestamps.ts";
import { ARRIVAL, fixture, read } from "./format_reading.ts";

// Structured formats (CSV, JSON lines, influx, pairs, series-x-y), names, timestamps and
// `--x`; programs' output, columns and numbers are in formats_test.ts.

Deno.test("CSV with a header row plots by name (a,b then 1,2 and 3,4)", () => {
  const { sink, outcomes, detected } = read("a,b\n1,2\n3,4\n");
  assert.deepEqual(outcomes, ["header", "points", "points"]);
  assert.deepEqual(sink.ys("a"), [1, 3]);
  assert.deepEqual(sink.ys("b"), [2, 4]);
  assert.deepEqual(detected, { format: "csv", series: 2, x: "arrival" });
});

Deno.test("CSV gaps: an empty cell, nan, NaN or - leaves a gap in that series alone", () => {
  const { sink, detected } = read(fixture("formats/timestamped.csv"));
  assert.deepEqual(detected, { format: "csv", series: 3, x: "time" });
  assert.deepEqual(sink.ys("temp"), [21.5, 21.6, 21.8]);
  assert.deepEqual(sink.ys("humidity"), [40, 41]);
  assert.deepEqual(sink.ys("pressure"), [1013.2, 1013.1, 1013]);
  assert.deepEqual(sink.xs("humidity"), [
    Date.UTC(2024, 0, 15, 10) / 1000,
    Date.UTC(2024, 0, 15, 10, 0, 2) / 1000,
  ]);
  assert.equal(sink.refused, 0);
});

Deno.test("CSV: quoted header names, tab and semicolon (with decimal commas) rows", () => {
  assert.deepEqual(read(fixture("formats/quoted.csv")).sink.names(), [
    "temp (°C)",
    "humidity",
    'say "hi"',
  ]);
  assert.deepEqual(read(fixture("formats/quoted.csv")).sink.ys("temp (°C)"), [21.5, 21.7]);
  const tsv = read(fixture("formats/data.tsv")).sink;
  assert.deepEqual([tsv.ys("x"), tsv.ys("y"), tsv.ys("z")], [[1, 4], [2], [3, 6]]);
  const semicolon = read(fixture("formats/semicolon.csv")).sink;
  assert.deepEqual(semicolon.ys("Temperatur"), [21.5, 21.75]);
  assert.deepEqual(semicolon.ys("Druck"), [1013.2, 1013.1]);
});

Deno.test("JSON lines: numbers flattened with dots; strings, booleans and arrays ignored; ts is x", () => {
  const { sink, detected } = read(fixture("formats/metrics.jsonl"));
  assert.deepEqual(sink.names(), ["cpu", "mem.used", "mem.free"]);
  assert.deepEqual(sink.ys("mem.used"), [40, 41]);
  assert.deepEqual(detected, { format: "json", series: 3, x: "ts" });
  assert.deepEqual(sink.xs("cpu"), [
    Date.UTC(2024, 0, 15, 9, 0, 0, 250) / 1000,
    Date.UTC(2024, 0, 15, 9, 0, 1, 250) / 1000,
  ]);
  const plain = read('{"cpu":12.5,"mem":{"used":40}}\n');
  assert.deepEqual(plain.sink.names(), ["cpu", "mem.used"]);
  assert.deepEqual(plain.sink.xs("cpu"), [ARRIVAL]);
  // An object with no number (a quoted one is text) gives no points: skipped, not taken.
  const quoted = read('{"cpu":1}\n{"cpu":"12"}\n{"ts":"2024-01-15T09:00:00Z"}\n');
  assert.deepEqual(quoted.outcomes, ["points", "skipped", "skipped"]);
});

Deno.test("Influx line protocol: measurement.field{tags}, the ns timestamp as x", () => {
  const { sink, outcomes, detected } = read(fixture("formats/telegraf.lp"));
  assert.deepEqual(outcomes, ["header", "points", "points", "points"]);
  assert.deepEqual(sink.names(), ["cpu.usage{host=a}", "cpu.idle{host=a}", "mem.used{host=a}"]);
  assert.deepEqual(sink.xs("cpu.usage{host=a}"), [1732531200, 1732531201]);
  assert.deepEqual(sink.ys("cpu.idle{host=a}"), [98, 97]);
  assert.deepEqual(detected, { format: "influx", series: 2, x: "timestamp" });
  assert.deepEqual(read("cpu usage=1 1732531200000000000\n").sink.names(), ["cpu.usage"]);
  const escaped = read('my\\ cpu,host=a\\,b value=1,note="a, b=c" \n', "influx");
  assert.deepEqual(escaped.sink.names(), ["my cpu.value{host=a,b}"]);
});

Deno.test("labelled pairs: name=value, name:value, Name: value, by comma, space or tab", () => {
  const arduino = read(fixture("formats/arduino.txt")).sink;
  assert.deepEqual(arduino.names(), ["Temperature", "Humidity", "temp", "hum"]);
  assert.deepEqual(arduino.ys("Humidity"), [43.89, 44.01]);
  assert.deepEqual(arduino.ys("hum"), [40, 41]);
  assert.deepEqual(read(fixture("formats/arduino_tab.txt")).sink.ys("cos"), [1, 0.87]);
  const logfmt = read(fixture("formats/logfmt.txt")).sink;
  assert.deepEqual(logfmt.names(), ["temp", "hum", "latency"]);
  assert.deepEqual(logfmt.ys("latency"), [12, 13]);
  assert.deepEqual(read("x=1 y=2\n", "pairs").sink.names(), ["x", "y"]);
  assert.deepEqual(read("1 2\n", "pairs").outcomes, ["skipped"]);
});

Deno.test("series-x-y (and sxy): the line's own x, any name without spaces, { included", () => {
  for (const format of ["series-x-y", "sxy"] as const) {
    const { sink, outcomes, detected } = read("{a 1 2\ncpu 1.5 -3\n0 x 1\nbad\n", format);
    assert.deepEqual(outcomes, ["points", "points", "skipped", "skipped"]);
    assert.deepEqual(sink.series.get("{a"), [[1, 2]]);
    assert.deepEqual(sink.series.get("cpu"), [[1.5, -3]]);
    assert.deepEqual(sink.kinds, ["number"]);
    assert.equal(detected?.format, "series-x-y");
  }
  // With no flag the same line is a labelled row, as docs/formats.md says: two series.
  assert.deepEqual(read("temp 12.5 21.3\ntemp 13 22\n").sink.names(), ["temp.0", "temp.1"]);
});

Deno.test("names may hold {, spaces, quotes and UTF-8", () => {
  const csv = read('"{brace",name with space,"ü°C ""q"""\n1,2,3\n').sink;
  assert.deepEqual(csv.names(), ["{brace", "name with space", 'ü°C "q"']);
  assert.deepEqual(read('{"{x":1,"ünï":{"a b":2}}\n').sink.names(), ["{x", "ünï.a b"]);
  assert.deepEqual(read("Température: 21.5, {x}: 2\n").sink.names(), ["Température", "{x}"]);
});

Deno.test("timestamps: ISO with and without zone, clocks with AM/PM, epoch s/ms/µs/ns", () => {
  const utc = Date.UTC(2024, 0, 15, 10, 23, 45, 500) / 1000;
  assert.equal(parseTimestamp("2024-01-15T10:23:45.5Z", ARRIVAL), utc);
  assert.equal(parseTimestamp("2024-01-15T11:23:45.500+01:00", ARRIVAL), utc);
  assert.equal(parseTimestamp("2024-01-15T05:23:45.5-0500", ARRIVAL), utc);
  assert.equal(parseTimestamp("2024-01-15 10:23:45.5Z", ARRIVAL), utc);
  const local = new Date(2024, 0, 15, 10, 23, 45, 500).getTime() / 1000;
  assert.equal(parseTimestamp("2024-01-15T10:23:45.5", ARRIVAL), local);
  assert.equal(parseTimestamp("2024/01/15 10:23:45.500", ARRIVAL), local);
  const today = (hours: number, minutes: number, seconds: number) => {
    const date = new Date(ARRIVAL * 1000);
    date.setHours(hours, minutes, seconds, 0);
    return date.getTime() / 1000;
  };
  assert.equal(parseTimestamp("20:04:18", today(20, 0, 0)), today(20, 4, 18));
  assert.equal(parseTimestamp("08:04:18 PM", today(20, 0, 0)), today(20, 4, 18));
  assert.equal(parseTimestamp("12:00:01 AM", today(1, 0, 0)), today(0, 0, 1));
  assert.equal(parseTimestamp("12:30:00 PM", today(13, 0, 0)), today(12, 30, 0));
  assert.equal(parseTimestamp("8:04:18 p.m.", today(20, 0, 0)), today(20, 4, 18));
  assert.equal(parseTimestamp("20:04:18.25", today(20, 0, 0)), today(20, 4, 18) + 0.25);
  // A clock just before midnight read just after it belongs to the day before.
  const midnight = today(0, 0, 0) + 86400;
  assert.equal(parseTimestamp("23:59:59", midnight + 5), midnight - 1);
  assert.equal(parseTimestamp("1732531200", ARRIVAL), 1732531200);
  assert.equal(parseTimestamp("1732531200.25", ARRIVAL), 1732531200.25);
  assert.equal(parseTimestamp("1732531200250", ARRIVAL), 1732531200.25);
  assert.equal(parseTimestamp("1732531200250000", ARRIVAL), 1732531200.25);
  assert.equal(parseTimestamp("1732531200250000000", ARRIVAL), 1732531200.25);
  assert.ok(Math.abs((epochSeconds(1732531200250000000) as number) - 1732531200.25) < 1e-6);
  for (const bad of ["12", "99999", "25:00:00", "2024-13-01", "12:00", "1e400", "4200000000"]) {
    assert.equal(parseTimestamp(bad, ARRIVAL), undefined, bad);
  }
});

Deno.test("--x time, index and NAME force x", () => {
  const csv = "time,v\n2024-01-15T10:00:00Z,1\n2024-01-15T10:00:01Z,2\n";
  const time = read(csv, "auto", { kind: "time" });
  assert.deepEqual(time.sink.xs("v"), [ARRIVAL + 1, ARRIVAL + 2]);
  const index = read(csv, "auto", { kind: "index" });
  assert.deepEqual(index.sink.xs("v"), [0, 1]);
  assert.deepEqual(index.sink.kinds, ["index"]);
  const field = read("a,b\n10,1\n20,2\n", "auto", { kind: "field", name: "a" });
  assert.deepEqual(field.sink.series.get("b"), [[10, 1], [20, 2]]);
  assert.deepEqual(field.sink.names(), ["b"]);
  assert.deepEqual(field.sink.kinds, ["number"]);
  const json = read('{"at":5,"v":1}\n{"at":6,"v":2}\n', "auto", { kind: "field", name: "at" });
  assert.deepEqual(json.sink.series.get("v"), [[5, 1], [6, 2]]);
  const pairs = read("n=1 v=7\nn=2 v=8\n", "auto", { kind: "field", name: "n" });
  assert.deepEqual(pairs.sink.series.get("v"), [[1, 7], [2, 8]]);
  const columns = read("a b\n3 4\n", "auto", { kind: "field", name: "a" });
  assert.deepEqual(columns.sink.series.get("b"), [[3, 4]]);
  assert.deepEqual(read("5 6\n7 8\n", "columns", { kind: "index" }).sink.series.get("1"), [[0, 6], [
    1,
    8,
  ]]);
});

Deno.test("repeated header names stay apart: a, a (2)", () => {
  assert.deepEqual(read("a,a,b\n1,2,3\n").sink.names(), ["a", "a (2)", "b"]);
  assert.deepEqual(read("x x\n1 2\n").sink.names(), ["x", "x (2)"]);
});
