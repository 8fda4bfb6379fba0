import assert from "node:assert/strict";
import {
  createLineReader,
  type FormatName,
  type LineOutcome,
  type XChoice,
} from "../stream/formats/mod.ts";
import { scanNumber } from "../stream/formats/numbers.ts";
import { epochSeconds, parseTimestamp } from "../stream/formats/timestamps.ts";
import type { PointSink, XKind } from "../stream/sink.ts";
import { splitLines } from "../stream/line_splitter.ts";
import { findExecutable, stripTerminalControls, unbufferedCommand } from "../stream/unbuffer.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
/** 2026-11-25T20:00:00Z: arrival of the first line in these tests. */
const ARRIVAL = 1_795_636_800;
const MAX_SERIES = 64;

/** A small real sink with the contract's rules: 64 series, finite x and y, refusals counted. */
class TestSink implements PointSink {
  series = new Map<string, [number, number][]>();
  kinds: XKind[] = [];
  refused = 0;
  add(name: string, x: number, y: number): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.#refuse();
    let points = this.series.get(name);
    if (!points) {
      if (this.series.size >= MAX_SERIES) return this.#refuse();
      this.series.set(name, points = []);
    }
    points.push([x, y]);
    return true;
  }
  commit(): void {}
  setXKind(kind: XKind): void {
    this.kinds.push(kind);
  }
  #refuse(): false {
    this.refused++;
    return false;
  }
  names(): string[] {
    return [...this.series.keys()];
  }
  ys(name: string): number[] {
    return (this.series.get(name) ?? []).map(([, y]) => y);
  }
  xs(name: string): number[] {
    return (this.series.get(name) ?? []).map(([x]) => x);
  }
}

/** Reads `text` line by line, one second apart from ARRIVAL. */
function read(
  text: string,
  format: FormatName | "sxy" = "auto",
  x: XChoice = { kind: "auto" },
  start = ARRIVAL,
) {
  const reader = createLineReader(format, x);
  const sink = new TestSink();
  const outcomes: LineOutcome[] = [];
  const reasons: string[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, index) => {
    const outcome = reader.read(line, start + index, sink);
    outcomes.push(outcome);
    if (outcome === "skipped") reasons.push(reader.skipReason);
  });
  return { sink, outcomes, reasons, detected: reader.detected };
}

function fixture(path: string): string {
  return Deno.readTextFileSync(`${FIXTURES}${path}`);
}

Deno.test("vmstat: two header lines name 17 columns; the repeats 21 rows on rename nothing", () => {
  const { sink, outcomes, detected } = read(fixture("programs/vmstat_1_25.txt"));
  const names = "r b swpd free buff cache si so bi bo in cs us sy id wa st".split(" ");
  assert.deepEqual(sink.names(), names);
  assert.deepEqual(detected, { format: "columns", series: 17, x: "arrival" });
  assert.deepEqual(sink.kinds, ["time"]);
  assert.equal(outcomes.filter((outcome) => outcome === "header").length, 4);
  assert.equal(outcomes.filter((outcome) => outcome === "points").length, 25);
  for (const name of names) assert.equal(sink.ys(name).length, 25, name);
  assert.deepEqual(sink.xs("r").slice(0, 2), [ARRIVAL + 2, ARRIVAL + 3]);
});

Deno.test("ping: the banner is a header, not 7 series; time= is time_ms, x is arrival", () => {
  const { sink, outcomes, detected } = read(fixture("programs/ping.txt"));
  assert.deepEqual(sink.names(), ["icmp_seq", "ttl", "time_ms"]);
  assert.deepEqual(sink.ys("icmp_seq"), [1, 2, 3]);
  assert.deepEqual(sink.ys("time_ms"), [0.101, 0.05, 0.05]);
  assert.equal(outcomes[0], "header");
  assert.equal(outcomes.filter((outcome) => outcome === "points").length, 3);
  assert.deepEqual(detected, { format: "pairs", series: 3, x: "arrival" });
});

Deno.test("iostat -x: avg-cpu: shifts no name, device rows are device.column", () => {
  const { sink } = read(fixture("programs/iostat_x.txt"));
  const cpu = ["%user", "%nice", "%system", "%iowait", "%steal", "%idle"];
  assert.deepEqual(sink.names().slice(0, 6), cpu);
  assert.deepEqual(sink.ys("%idle"), [74.88, 91.46]);
  assert.deepEqual(sink.ys("vda.r/s"), [136.68, 12]);
  assert.deepEqual(sink.ys("vda.%util"), [6.28, 4.4]);
  assert.equal(sink.names().length, 6 + 22);
});

for (const file of ["mpstat.txt", "mpstat_en_us.txt"]) {
  Deno.test(`mpstat (${file}): the clock is x, not a series; Average is skipped`, () => {
    // Read at 20:04:10 local time, the day of the capture.
    const start = new Date(2026, 10, 25, 20, 4, 10).getTime() / 1000;
    const text = fixture(`programs/${file}`);
    const { sink, outcomes, reasons, detected } = read(text, "auto", { kind: "auto" }, start);
    assert.deepEqual(detected, { format: "columns", series: 10, x: "timestamp" });
    assert.deepEqual(sink.kinds, ["time"]);
    assert.equal(sink.names()[0], "all.%usr");
    assert.equal(sink.names().at(-1), "all.%idle");
    assert.equal(sink.names().length, 10);
    // 20:04:19 (08:04:19 PM) on the day of arrival, local time.
    const expected = new Date(2026, 10, 25, 20, 4, 19).getTime() / 1000;
    assert.deepEqual(sink.xs("all.%usr"), [expected, expected + 1]);
    assert.deepEqual(reasons, ["no timestamp in the first column"]);
    assert.equal(outcomes.filter((outcome) => outcome === "points").length, 2);
  });
}

Deno.test("free: rows labelled Mem: and Swap: name their series Mem.total … Swap.free", () => {
  const { sink } = read(fixture("programs/free.txt"));
  assert.deepEqual(sink.names(), [
    "Mem.total",
    "Mem.used",
    "Mem.free",
    "Mem.shared",
    "Mem.buff/cache",
    "Mem.available",
    "Swap.total",
    "Swap.used",
    "Swap.free",
  ]);
  assert.deepEqual(sink.ys("Mem.used"), [410852, 335948]);
});

Deno.test("top's %Cpu(s) line: value then label makes us, sy, ni …", () => {
  const { sink, detected } = read(fixture("programs/top_cpu.txt"));
  assert.deepEqual(sink.names(), ["us", "sy", "ni", "id", "wa", "hi", "si", "st"]);
  assert.deepEqual(sink.ys("id"), [0, 99.1]);
  assert.equal(detected?.format, "pairs");
});

Deno.test("/proc/loadavg: 2/345 is two numbers, so every column plots", () => {
  const { sink, outcomes } = read(fixture("programs/loadavg.txt"));
  assert.deepEqual(outcomes, ["points"]);
  assert.deepEqual(sink.names(), ["0", "1", "2", "3", "4", "5"]);
  assert.deepEqual(sink.ys("3"), [4]);
  assert.deepEqual(sink.ys("4"), [93]);
});

Deno.test("units after numbers in columns are ignored: 19.16C 44.8%", () => {
  const { sink } = read(fixture("formats/units.txt"));
  assert.deepEqual(sink.ys("0"), [19.16, 19.2]);
  assert.deepEqual(sink.ys("1"), [44.8, 44.9]);
});

Deno.test("nvidia-smi csv: comma-space cells, units, the GPU name labels, its timestamp is x", () => {
  const { sink, detected } = read(fixture("formats/nvidia_smi.csv"));
  const gpu = "NVIDIA GeForce RTX 3080";
  assert.deepEqual(sink.names(), [
    `${gpu}.temperature.gpu`,
    `${gpu}.utilization.gpu [%]`,
    `${gpu}.memory.used [MiB]`,
  ]);
  assert.deepEqual(sink.ys(`${gpu}.utilization.gpu [%]`), [30, 35]);
  assert.deepEqual(detected, { format: "csv", series: 3, x: "timestamp" });
  assert.equal(
    sink.xs(`${gpu}.temperature.gpu`)[0],
    new Date(2024, 0, 15, 10, 23, 45, 123).getTime() / 1000,
  );
});

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

Deno.test("header detection is not fooled by a words-only banner or a later repeated header", () => {
  const csv = read("Logger v2 starting up.\ntemp,hum\n1,2\ntemp,hum\n3,4\nnot,a row\n");
  assert.deepEqual(csv.outcomes, ["header", "header", "points", "header", "points", "skipped"]);
  assert.deepEqual(csv.sink.names(), ["temp", "hum"]);
  const columns = read("Sensor ready.\nalpha beta\n1 2\nalpha beta\n3 4\n");
  assert.deepEqual(columns.sink.names(), ["alpha", "beta"]);
  assert.deepEqual(columns.sink.ys("beta"), [2, 4]);
  // A banner sentence alone never names the columns.
  assert.deepEqual(read("Reading sensors now.\n1 2\n").sink.names(), ["0", "1"]);
  // A later line of words of the same shape does not rename series already seen.
  const later = read("a b\n1 2\nc d\n3 4\n");
  assert.deepEqual(later.sink.names(), ["a", "b"]);
  assert.deepEqual(later.sink.ys("a"), [1, 3]);
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
});

Deno.test("Influx line protocol: measurement.field, the ns timestamp as x, tags once they differ", () => {
  const { sink, outcomes, detected } = read(fixture("formats/telegraf.lp"));
  assert.deepEqual(outcomes, ["header", "points", "points", "points"]);
  assert.deepEqual(sink.names(), ["cpu.usage", "cpu.idle", "mem.used"]);
  assert.deepEqual(sink.xs("cpu.usage"), [1732531200, 1732531201]);
  assert.deepEqual(sink.ys("cpu.idle"), [98, 97]);
  assert.deepEqual(detected, { format: "influx", series: 2, x: "timestamp" });
  const hosts = read(
    "cpu,host=a usage=1 1732531200000000000\ncpu,host=b usage=2 1732531200000000000\ncpu,host=a usage=3 1732531201000000000\n",
  );
  assert.deepEqual(hosts.sink.names(), ["cpu.usage", "cpu.usage{host=b}", "cpu.usage{host=a}"]);
  const escaped = read('my\\ cpu,host=a\\,b value=1,note="a, b=c" \n', "influx");
  assert.deepEqual(escaped.sink.names(), ["my cpu.value"]);
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

Deno.test("a first column of epoch times is x; plain small numbers are not", () => {
  const epoch = read("1732531200 1 2\n1732531201500 3 4\n");
  assert.deepEqual(epoch.detected, { format: "columns", series: 2, x: "timestamp" });
  assert.deepEqual(epoch.sink.series.get("0"), [[1732531200, 1], [1732531201.5, 3]]);
  assert.deepEqual(read("5 1 2\n").sink.names(), ["0", "1", "2"]);
  // Alone on its line a timestamp is a value: `date +%s` plots.
  assert.deepEqual(read("1732531200\n").sink.names(), ["0"]);
  const iso = read("2024-01-15T10:00:00Z 1\n2024-01-15 10:00:01Z 2\n").sink;
  assert.deepEqual(iso.xs("0"), [
    Date.UTC(2024, 0, 15, 10) / 1000,
    Date.UTC(2024, 0, 15, 10, 0, 1) / 1000,
  ]);
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

Deno.test("1e400, inf and other non-finite values are refused and counted; the rest of the row plots", () => {
  for (
    const text of ["1 1e400 3\n", "1,inf,3\n", '{"a":1,"b":1e400,"c":3}\n', "a=1 b=-Infinity c=3\n"]
  ) {
    const { sink } = read(text);
    assert.equal(sink.refused, 1, text);
    assert.equal(sink.series.size, 2, text);
  }
  assert.equal(scanNumber("1e400", 0, 5), Infinity);
  assert.equal(read("0x10 1\n").sink.series.size, 0);
});

Deno.test("blank lines are blank, never skipped", () => {
  assert.deepEqual(read("\n  \n1 2\n\n\t\n").outcomes, [
    "blank",
    "blank",
    "points",
    "blank",
    "blank",
  ]);
  assert.deepEqual(read("a,b\n1,2\n\n").outcomes, ["header", "points", "blank"]);
});

Deno.test("64 series are kept and the 65th and later are refused by the sink", () => {
  const row = Array.from({ length: 70 }, (_, column) => column).join(" ");
  const { sink } = read(`${row}\n${row}\n`);
  assert.equal(sink.series.size, MAX_SERIES);
  assert.equal(sink.refused, 12);
  assert.deepEqual(sink.ys("63"), [63, 63]);
});

Deno.test("numbers are exact decimals; hex, words and mixed lines are not numbers", () => {
  for (
    const [text, value] of [
      ["0", 0],
      ["-1", -1],
      ["+2.5", 2.5],
      [".5", 0.5],
      ["5.", 5],
      ["1e3", 1000],
      ["-1.5E-7", -1.5e-7],
      ["0.1", 0.1],
      ["123456789012345678", 123456789012345678],
      ["3.141592653589793238", Math.PI],
    ] as const
  ) {
    assert.equal(scanNumber(text, 0, text.length), value, text);
  }
  // Around 2^53, where the digits stop adding up exactly, and timestamps with 16 digits: every
  // value must be what Number() reads, bit for bit.
  const near = [
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "9007199254740993e-3",
    "900719925474099.3",
    "1795644244014.123",
    "1732531200.123456",
    "0.9007199254740993",
    "00000000000000000000001.5",
    "1.0000000000000000000001",
    "4503599627370497.5",
  ];
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 20_000; i++) {
    const digits = String(Math.floor(random() * 10 ** 16)).padStart(
      1 + Math.floor(random() * 17),
      "0",
    );
    const point = Math.floor(random() * (digits.length + 1));
    near.push(`${digits.slice(0, point)}.${digits.slice(point)}`.replace(/^\.$/, "0"));
  }
  for (const text of near) assert.equal(scanNumber(text, 0, text.length), Number(text), text);
  for (const line of ["1 two 3", "1.2.3 4"]) {
    const { outcomes } = read(`1 2 3\n${line}\n`);
    assert.equal(outcomes[1], "skipped", line);
  }
});

Deno.test("a line of numbers is one sample: column k is series k at the arrival time", () => {
  const { sink } = read("  1   -2.5\t3e2 \n");
  assert.deepEqual([...sink.series], [["0", [[ARRIVAL, 1]]], ["1", [[ARRIVAL, -2.5]]], ["2", [[
    ARRIVAL,
    300,
  ]]]]);
});

/** Runs a real program as liveplot does (on a terminal, controls stripped) and reads its lines. */
async function readLive(command: string, args: string[]) {
  const spawn = unbufferedCommand(command, args);
  const child = new Deno.Command(spawn.command, {
    args: spawn.args,
    env: { ...spawn.env, LC_ALL: "C.UTF-8" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = createLineReader("auto", { kind: "auto" });
  const sink = new TestSink();
  const input = stripTerminalControls(child.stdout);
  let arrival = Date.now() / 1000;
  for await (const lines of splitLines(input, 65536, () => {})) {
    for (const line of lines) reader.read(line, arrival += 0.001, sink);
  }
  await child.status;
  return { sink, detected: reader.detected };
}

const live = (name: string) => findExecutable(name) !== undefined && Deno.build.os === "linux";

Deno.test({
  name: "live programs on a terminal (colours and \\r\\n included) plot with the fixtures' names",
  ignore: !["vmstat", "ping", "iostat", "mpstat", "free", "top"].every(live),
  async fn() {
    const [vmstat, ping, iostat, mpstat, free, top, loadavg] = await Promise.all([
      readLive("vmstat", ["1", "2"]),
      readLive("ping", ["-c", "2", "-i", "0.2", "127.0.0.1"]),
      readLive("iostat", ["-x", "1", "2"]),
      readLive("mpstat", ["1", "2"]),
      readLive("free", ["-s", "0.5", "-c", "2"]),
      readLive("sh", ["-c", "top -b -d 0.5 -n 2 | grep Cpu"]),
      readLive("cat", ["/proc/loadavg"]),
    ]);
    assert.deepEqual(vmstat.sink.names().slice(0, 3), ["r", "b", "swpd"]);
    assert.equal(vmstat.sink.ys("st").length, 2);
    assert.deepEqual(ping.sink.names(), ["icmp_seq", "ttl", "time_ms"]);
    assert.deepEqual(ping.sink.ys("icmp_seq"), [1, 2]);
    assert.deepEqual(iostat.sink.names().slice(0, 6), [
      "%user",
      "%nice",
      "%system",
      "%iowait",
      "%steal",
      "%idle",
    ]);
    assert.equal(iostat.sink.ys("%idle").length, 2);
    assert.ok(iostat.sink.names().some((name) => name.endsWith(".%util")), "a device's %util");
    assert.equal(mpstat.detected?.x, "timestamp");
    assert.deepEqual(mpstat.sink.names()[0], "all.%usr");
    assert.equal(mpstat.sink.ys("all.%idle").length, 2);
    assert.deepEqual(free.sink.names().slice(0, 2), ["Mem.total", "Mem.used"]);
    assert.deepEqual(top.sink.names().slice(0, 2), ["us", "sy"]);
    assert.equal(top.sink.ys("id").length, 2);
    assert.equal(loadavg.sink.names().length, 6);
  },
});

Deno.test("repeated header names stay apart: a, a (2)", () => {
  assert.deepEqual(read("a,a,b\n1,2,3\n").sink.names(), ["a", "a (2)", "b"]);
  assert.deepEqual(read("x x\n1 2\n").sink.names(), ["x", "x (2)"]);
});

Deno.test("names and numbers alternating are pairs; a label with one number is its series", () => {
  const alternating = read("cpu 12 mem 40\ncpu 13 mem 41\n");
  assert.deepEqual(alternating.sink.names(), ["cpu", "mem"]);
  assert.deepEqual(alternating.sink.ys("mem"), [40, 41]);
  assert.deepEqual(read("temp 21.5\ntemp 21.6\n").sink.ys("temp"), [21.5, 21.6]);
});
