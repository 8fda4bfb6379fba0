import assert from "node:assert/strict";
import { createLineReader } from "../stream/formats/mod.ts";
import { scanNumber } from "../stream/formats/numbers.ts";
import { splitLines } from "../stream/line_splitter.ts";
import { findExecutable, stripTerminalControls, unbufferedCommand } from "../stream/unbuffer.ts";
import { ARRIVAL, fixture, MAX_SERIES, read, TestSink } from "./format_reading.ts";

// Programs' output, columns and numbers; CSV, JSON, influx, pairs, x and time are in
// formats_structured_test.ts.

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

Deno.test("a comment mark before a header names nothing: numpy's, gnuplot's, Octave's # t temp hum", () => {
  for (const header of ["# t temp hum", "#t temp hum", "% t temp hum", "## t  temp  hum"]) {
    const { sink, outcomes } = read(`${header}\n0 21.5 40\n1 22 41\n`);
    assert.deepEqual(sink.names(), ["t", "temp", "hum"], header);
    assert.deepEqual([sink.ys("t"), sink.ys("hum")], [[0, 1], [40, 41]], header);
    assert.deepEqual(outcomes, ["header", "points", "points"], header);
  }
  // With epoch times under it, t is x, as a header naming the time column says.
  const timed = read("# t temp hum\n1732531200 21.5 40\n1732531201 22 41\n");
  assert.deepEqual(timed.sink.names(), ["temp", "hum"]);
  assert.deepEqual(timed.sink.xs("temp"), [1732531200, 1732531201]);
  // numpy's savetxt with delimiter="," writes the same header over CSV.
  for (const header of ["# t,temp,hum", "#t,temp,hum", "% t,temp,hum", "#,t,temp,hum"]) {
    const { sink } = read(`${header}\n0,21.5,40\n1,22,41\n`);
    assert.deepEqual(sink.names(), ["t", "temp", "hum"], header);
    assert.deepEqual(sink.ys("temp"), [21.5, 22], header);
  }
  // A % that starts a name is the name's: ps's %CPU, mpstat's %usr.
  assert.deepEqual(read("%CPU %MEM\n1.5 2\n").sink.names(), ["%CPU", "%MEM"]);
  assert.deepEqual(read("%CPU,%MEM\n1.5,2\n").sink.names(), ["%CPU", "%MEM"]);
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

Deno.test("a header over a date and a time of two words names the columns after them", () => {
  const at = (second: number) => new Date(2026, 11, 7, 10, 0, second).getTime() / 1000;
  const { sink, detected } = read(
    "date time temp\n2026-12-07 10:00:00 21.5\n2026-12-07 10:00:01 22\n",
  );
  assert.deepEqual(sink.names(), ["temp"]);
  assert.deepEqual(sink.xs("temp"), [at(0), at(1)]);
  assert.deepEqual(detected, { format: "columns", series: 1, x: "timestamp" });
  const two = read("Date Time temp hum\n07.12.2026 10:00:00 21.5 40\n").sink;
  assert.deepEqual([two.names(), two.xs("hum")], [["temp", "hum"], [at(0)]]);
  // One name over both words, and a clock with AM/PM under one name, name the rest as before.
  assert.deepEqual(read("timestamp temp\n2026-12-07 10:00:00 21.5\n").sink.names(), ["temp"]);
  assert.deepEqual(read("time temp\n10:00:00 PM 21.5\n").sink.names(), ["temp"]);
});

Deno.test("a line with numbers is never a header: 22.5,41 among columns or pairs is skipped, said why", () => {
  const columns = read("1 2\n22.5,41\n5\n");
  assert.deepEqual(columns.outcomes, ["points", "skipped", "points"]);
  assert.deepEqual(columns.reasons, ["commas among the numbers"]);
  // Nor remembered as one: a later row of one value is not named by it.
  assert.deepEqual(columns.sink.names(), ["0", "1"]);
  assert.deepEqual(columns.sink.ys("0"), [1, 5]);
  // Before any data too (held while the format is unknown, then read as columns).
  assert.deepEqual(read("1,5 2,5\n3 4\n").sink.names(), ["0", "1"]);
  const forced = read("1,5 2,5\n3 4\n", "columns");
  assert.deepEqual([forced.outcomes, forced.sink.names()], [["skipped", "points"], ["0", "1"]]);
  const pairs = read("temp=21 hum=40\n22.5,41\ntemp=22 hum=41\n");
  assert.deepEqual(pairs.outcomes, ["points", "skipped", "points"]);
  assert.deepEqual(pairs.reasons, ["no name=value or name: value pairs"]);
  // Words with commas are still a header.
  assert.deepEqual(read("temp,hum x\n1 2\n").sink.names(), ["temp,hum", "x"]);
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
  // Words in a CSV column of numbers are refused and counted too; before, they vanished.
  const csv = read("a,b\n1,2\nabc,3\nxyz,4\n5,inf\n,6\n");
  assert.equal(csv.sink.refused, 3, "abc, xyz and inf; the empty cell is a gap");
  assert.deepEqual(csv.outcomes, ["header", "points", "points", "points", "points", "points"]);
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
    // Digits join the mantissa eight at a time: on either side of each eighth digit.
    "1234567",
    "12345678",
    "123456789",
    "-9999999.9",
    "99999999.99999999",
    "1234567812345678",
    "12345678123456789",
    "0.0000000012345678e5",
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

Deno.test("names and numbers alternating are pairs; a label with one number is its series", () => {
  const alternating = read("cpu 12 mem 40\ncpu 13 mem 41\n");
  assert.deepEqual(alternating.sink.names(), ["cpu", "mem"]);
  assert.deepEqual(alternating.sink.ys("mem"), [40, 41]);
  assert.deepEqual(read("temp 21.5\ntemp 21.6\n").sink.ys("temp"), [21.5, 21.6]);
});
