import assert from "node:assert/strict";
import { ARRIVAL, read } from "./format_reading.ts";
import { HEX_NUMBER } from "../stream/formats/numbers.ts";
import { spawnCli, startPiped, waitFor, waitForLine } from "./helpers.ts";

// How real writers print the structured formats, beyond the letter of each: Python's json.dumps
// and repr, JavaScript's console.log, arrays. The formats themselves are in
// formats_structured_test.ts.

/** Each series' y values. */
function ysOf(sink: ReturnType<typeof read>["sink"]): Record<string, number[]> {
  return Object.fromEntries(sink.names().map((name) => [name, sink.ys(name)]));
}

Deno.test("Python's json.dumps: NaN is a gap, ±Infinity refused and counted, the line read", () => {
  // python3 -c "import json;[print(json.dumps({'cpu':i,'mem':float('nan') if i==0 else i*2})) …]"
  const first = read('{"cpu": 0, "mem": NaN}\n{"cpu": 1, "mem": 2}\n{"cpu": 2, "mem": 4}\n');
  assert.equal(first.detected?.format, "json");
  assert.deepEqual(first.outcomes, ["points", "points", "points"]);
  assert.deepEqual(ysOf(first.sink), { cpu: [0, 1, 2], mem: [2, 4] });
  assert.equal(first.sink.refused, 0, "a gap is no refused point");
  const later = read('{"cpu": 0, "mem": 0}\n{"cpu": 1, "mem": NaN}\n{"cpu": 2, "mem": 4}\n');
  assert.deepEqual(later.outcomes, ["points", "points", "points"]);
  assert.deepEqual(ysOf(later.sink), { cpu: [0, 1, 2], mem: [0, 4] });
  const infinite = read(
    '{"cpu": 1, "mem": Infinity}\n{"cpu": 2, "mem": -Infinity}\n{"cpu": 3, "mem": 1e400}\n',
  );
  assert.deepEqual(ysOf(infinite.sink), { cpu: [1, 2, 3] });
  assert.equal(infinite.sink.refused, 3, "Infinity, -Infinity and 1e400, as in every format");
  // Inside a string NaN is text, as any string is.
  const quoted = read('{"cpu": 1, "note": "NaN, Infinity"}\n');
  assert.deepEqual(ysOf(quoted.sink), { cpu: [1] });
});

Deno.test("Python's repr and JavaScript's console.log of an object are read as JSON", () => {
  const python = read(
    "{'cpu': 1, 'mem': 2.5, 'ok': True, 'none': None, 'load': nan, 'disk': {'used': 3}, " +
      "'name': 'it\\'s \"x\"', 'top': inf}\n{'cpu': 2, 'mem': 3, 'load': 0.5}\n",
  );
  assert.equal(python.detected?.format, "json");
  assert.deepEqual(ysOf(python.sink), {
    cpu: [1, 2],
    mem: [2.5, 3],
    load: [0.5],
    "disk.used": [3],
  });
  assert.equal(python.sink.refused, 1, "inf");
  const node = read("{ cpu: 1, mem: { used: 40 }, name: 'a', t2: undefined }\n");
  assert.equal(node.detected?.format, "json");
  assert.deepEqual(ysOf(node.sink), { cpu: [1], "mem.used": [40] });
});

Deno.test("numpy 2's scalars, float('nan') and Node's [Object]: the numbers that are there are read", () => {
  // print(d) with numpy 2: np.float64(1.5), np.int64(3), np.True_; a hand-written float('nan').
  const numpy = read(
    "{'a': np.float64(1.5), 'b': 2}\n{'a': np.nan, 'b': np.int64(3), 'ok': np.True_}\n" +
      "{'a': np.float64(nan), 'b': np.float32(4.5)}\n",
  );
  assert.equal(numpy.detected?.format, "json");
  assert.deepEqual(numpy.outcomes, ["points", "points", "points"]);
  assert.deepEqual(ysOf(numpy.sink), { a: [1.5], b: [2, 3, 4.5] });
  const python = read(
    "{'a': 2.5, 'b': float('nan')}\n{'a': 3, 'b': float('-inf'), 'c': Decimal('0.25')}\n",
  );
  assert.deepEqual(python.outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(python.sink), { a: [2.5, 3], c: [0.25] });
  assert.equal(python.sink.refused, 1, "float('-inf'), as -inf is");
  // What Node leaves out past a depth of 2, and functions and cycles: members with no value.
  const node = read(
    "{ a: 3.5, nested: { c: [Object] } }\n{ a: 4, l: [Array], f: [Function: f], me: [Circular *1] }\n",
  );
  assert.equal(node.detected?.format, "json");
  assert.deepEqual(node.outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(node.sink), { a: [3.5, 4] });
  // A class's instance is its object, its name before it left out.
  assert.deepEqual(ysOf(read("{ p: Point { x: 1, y: 2 }, at: [Getter] }\n").sink), {
    "p.x": [1],
    "p.y": [2],
  });
  // A call of several arguments (a datetime) is no number: the line's others are read.
  assert.deepEqual(ysOf(read("{'t': datetime.datetime(2026, 1, 2, 3, 4), 'v': 1}\n").sink), {
    v: [1],
  });
  // A string stays text unless a number is made of it; a call left open is not JSON.
  assert.deepEqual(ysOf(read("{'a': np.str_('12'), 'b': 1}\n").sink), { b: [1] });
  assert.deepEqual(read("{'a': np.float64(1.5, 'b': 2}\n").reasons, ["not JSON"]);
});

Deno.test("a line like a JSON object that is none is skipped as not JSON, never a series {…", () => {
  for (const line of ['{"cpu": 1, "mem": ', '{"cpu"=>1, "mem"=>2}', "{'cpu': 1, 'mem': 2"]) {
    const alone = read(`${line}\n{"cpu": 2}\n`);
    assert.deepEqual(alone.outcomes, ["skipped", "points"], line);
    assert.match(alone.reasons[0] ?? "", /not JSON/, line);
    assert.deepEqual(alone.sink.names(), ["cpu"], line);
    // In a stream of pairs too: the line is skipped, its words are not names.
    const pairs = read(`cpu=1 mem=2\n${line}\n`);
    assert.deepEqual(pairs.outcomes, ["points", "skipped"], line);
    assert.deepEqual(pairs.sink.names(), ["cpu", "mem"], line);
  }
  // `{x}: 2` is a name in braces, not an object.
  assert.deepEqual(read("{x}: 2\n").sink.names(), ["{x}"]);
});

Deno.test("a JSON array of numbers is one sample, series 0, 1, 2; one of objects is skipped, said why", () => {
  const numbers = read("[1, 2, 3]\n[4, null, NaN]\n[7, 8.5, 9, 10]\n");
  assert.equal(numbers.detected?.format, "json");
  assert.deepEqual(numbers.outcomes, ["points", "points", "points"]);
  assert.deepEqual(ysOf(numbers.sink), { 0: [1, 4, 7], 1: [2, 8.5], 2: [3, 9], 3: [10] });
  assert.deepEqual(numbers.sink.xs("0"), [ARRIVAL, ARRIVAL + 1, ARRIVAL + 2]);
  const objects = read('[{"a": 1}, {"a": 2}]\n{"a": 3}\n');
  assert.equal(objects.detected?.format, "json");
  assert.deepEqual(objects.outcomes, ["skipped", "points"]);
  assert.match(objects.reasons[0] ?? "", /array of objects/);
  assert.deepEqual(ysOf(objects.sink), { a: [3] });
  // `--x 0` takes the first element as x, as a field.
  const field = read("[10, 1]\n[20, 2]\n", "auto", { kind: "field", name: "0" });
  assert.deepEqual(field.sink.series.get("1"), [[10, 1], [20, 2]]);
});

Deno.test("served: Python's JSON lines plot, an array of objects is skipped with its reason in the status", async () => {
  await using piped = await startPiped();
  const hub = piped.server.hub!;
  await piped.write(
    '{"cpu": 0, "mem": NaN}\n{"cpu": 1, "mem": Infinity}\n[{"cpu": 2}]\n{"cpu": 3, "mem": 6}\n',
  );
  await waitFor(() => hub.status.skipped === 1 && hub.names.length === 2, 5000, "the lines read");
  const csv = await (await fetch(new URL("/data.csv", piped.server.url))).text();
  // x is the index (startPiped's --x index): a skipped line takes none.
  assert.deepEqual(csv.trim().split("\r\n"), ["x,cpu,mem", "0,0,", "1,1,", "2,3,6"]);
  assert.equal(hub.status.refused, 1, "Infinity");
  assert.deepEqual(hub.status.recentSkipped.map((skipped) => skipped.reason), [
    "an array of objects: one object a line (jq -c '.[]')",
  ]);
});

Deno.test("pairs: a value that starts as a number but is none (0x10, 1.2.3) is refused and counted", () => {
  const { sink, outcomes } = read("cpu=1.5e3 mem=-.5 a=+3 b=0x10\ncpu=2 v=1.2.3 b=12ms\n");
  assert.deepEqual(outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(sink), { cpu: [1500, 2], mem: [-0.5], a: [3], b: [12] });
  assert.equal(sink.refused, 2, "0x10 and 1.2.3");
  // Words are text, not numbers that failed: logfmt's level=info is no refused point.
  const logfmt = read("level=info msg=sample temp=21.5 hum=40%\n");
  assert.deepEqual(ysOf(logfmt.sink), { temp: [21.5], hum: [40] });
  assert.equal(logfmt.sink.refused, 0);
  // A line with no number but one that failed is no line of pairs (a banner stays a header).
  assert.deepEqual(read("version=1.2.3 build=0x1f\n").outcomes, ["header"]);
});

Deno.test("pairs with a decimal comma: 1,5 is 1.5 unless commas separate the pairs, then refused", () => {
  const spaced = read("speed=1,5 temp=2,25\nspeed=2,5 temp=-3,75°C\n");
  assert.deepEqual(ysOf(spaced.sink), { speed: [1.5, 2.5], temp: [2.25, -3.75] });
  assert.equal(spaced.sink.refused, 0);
  assert.deepEqual(ysOf(read("temp: 21,5 hum: 40\n").sink), { temp: [21.5], hum: [40] });
  // top in a German locale: value then label.
  const top = read("%Cpu(s):  1,2 us,  0,3 sy, 98,5 id\n").sink;
  assert.deepEqual(ysOf(top), { us: [1.2], sy: [0.3], id: [98.5] });
  // Commas between pairs: a comma is a separator, and 1,5 is no number (1? 1.5? a list?).
  assert.deepEqual(ysOf(read("cpu=1,mem=2\n").sink), { cpu: [1], mem: [2] });
  const separated = read("speed=1,5,temp=2,25\ncpu=1,5, mem=2\n");
  assert.deepEqual(separated.outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(separated.sink), { mem: [2] });
  assert.equal(separated.sink.refused, 3, "speed, temp and cpu");
  const arduino = read("Temperature: 23,64, Humidity: 43,89\nTemperature: 23.7, Humidity: 44\n");
  assert.deepEqual(arduino.outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(arduino.sink), { Temperature: [23.7], Humidity: [44] });
  assert.equal(arduino.sink.refused, 2);
  // A list in one value is no number either way.
  const list = read("load=0,5,0,6 n=1\n");
  assert.deepEqual([ysOf(list.sink), list.sink.refused], [{ n: [1] }, 1]);
  // Three digits after the comma may be thousands (1500) or a decimal (1.5): refused, never guessed.
  const grouped = read("bytes=1,500 rate=12,345,678 temp=2,5\n");
  assert.deepEqual([ysOf(grouped.sink), grouped.sink.refused], [{ temp: [2.5] }, 2]);
  const colon = read("load: 0,123 temp: 2,5\n");
  assert.deepEqual([ysOf(colon.sink), colon.sink.refused], [{ temp: [2.5] }, 1]);
});

Deno.test("pairs with spaces around =: read when every word on the line is in a pair", () => {
  const spaced = read("cpu = 1, mem = 2\ncpu = 3, mem = 4\n");
  assert.equal(spaced.detected?.format, "pairs");
  assert.deepEqual(ysOf(spaced.sink), { cpu: [1, 3], mem: [2, 4] });
  assert.deepEqual(ysOf(read("x = 5\n").sink), { x: [5] });
  assert.deepEqual(ysOf(read("icmp_seq = 1 time = 0.04 ms\n").sink), {
    icmp_seq: [1],
    time_ms: [0.04],
  });
  // Other words on the line: left as they were (ping's summary is no line of pairs).
  const summary = "rtt min/avg/max/mdev = 0.040/0.050/0.101/0.020 ms\n";
  assert.deepEqual(read(summary).outcomes, ["header"]);
  assert.deepEqual(read(summary).sink.names(), []);
  assert.deepEqual(read("load = 1 and more\n").sink.names(), []);
});

Deno.test("influx: one series per tag set from the first line, tags sorted by key", () => {
  const hosts = read(
    "cpu,host=a usage=1\ncpu,host=b usage=2\ncpu,host=a usage=3\ncpu,host=b usage=4\n",
  );
  assert.deepEqual(ysOf(hosts.sink), { "cpu.usage{host=a}": [1, 3], "cpu.usage{host=b}": [2, 4] });
  // The same tag set written in another order is the same series; a line with no tags has none.
  const order = read("cpu,region=eu,host=a usage=1\ncpu,host=a,region=eu usage=2\ncpu usage=3\n");
  assert.deepEqual(ysOf(order.sink), { "cpu.usage{host=a,region=eu}": [1, 2], "cpu.usage": [3] });
});

Deno.test("a hex literal is refused and counted in every format, never read as 0 with a unit xff", () => {
  // Pairs keep the line's other values, as for 0x10.
  for (const line of ["reg=0xff v=1", "reg: 0xff, v: 1", "reg:0xFF v:1", "reg=0XAB v=1"]) {
    const pairs = read(`${line}\n`);
    assert.deepEqual([ysOf(pairs.sink), pairs.sink.refused], [{ v: [1] }, 1], line);
  }
  // SPIWP:0xee, as the ESP32's boot banner writes it, is no SPIWP of 0.
  const banner = read("SPIWP:0xee temp:21.5\n");
  assert.deepEqual([ysOf(banner.sink), banner.sink.refused], [{ temp: [21.5] }, 1]);
  // In CSV a hex cell is a word in a column of numbers: refused and counted, as 0x10 is.
  for (const csv of ["a,b\n1,0xAB\n", "a;b\n1;0xab\n"]) {
    const cells = read(csv);
    assert.deepEqual([ysOf(cells.sink), cells.sink.refused], [{ a: [1] }, 1], csv);
  }
  // In whitespace columns it is a word among the numbers, as 0x10 is: the line is skipped.
  const columns = read("1 2 3\n1 0xff 3\n0x10 1\n");
  assert.deepEqual(columns.reasons, ["words among the numbers", "words among the numbers"]);
  assert.deepEqual(ysOf(columns.sink), { 0: [1], 1: [2], 2: [3] });
  // 0B is zero bytes (docker's): a unit after 0 that is no hex literal.
  assert.deepEqual(ysOf(read("rx=0B tx=12kB\n").sink), { rx: [0], tx: [12] });
});

Deno.test("stdin: a lone hex line before data names no series, it is skipped with its reason", async () => {
  await using cli = spawnCli(["--port", "0", "--no-open", "--x", "index", "-"], { stdin: "piped" });
  const url = await cli.url;
  const writer = cli.process.stdin.getWriter();
  await writer.write(new TextEncoder().encode("0xff\n1\n2\n"));
  const csv = async () => (await (await fetch(new URL("/data.csv", url))).text()).trim();
  await waitFor(async () => (await csv()).split("\r\n").length === 3, 5000, "the two points");
  assert.deepEqual((await csv()).split("\r\n"), ["x,0", "0,1", "1,2"]);
  const skipped = await waitForLine(cli.stderr, "lines-skipped", 5000);
  assert.ok(skipped.includes(`reason="${HEX_NUMBER}"`), skipped);
  await writer.close();
});

Deno.test("a lone hex line after data is skipped too, not a header naming the next row shape", async () => {
  await using piped = await startPiped();
  const hub = piped.server.hub!;
  await piped.write("1 2\n0x10\n3\n# 0xff 0x1F\n4 5 6\n");
  await waitFor(() => hub.status.skipped === 2 && hub.names.length === 3, 5000, "the lines read");
  assert.deepEqual(hub.names, ["0", "1", "2"]);
  assert.equal(hub.status.headers, 0);
  assert.deepEqual(hub.status.recentSkipped.map((line) => line.reason), [HEX_NUMBER, HEX_NUMBER]);
  // Read alone, with the format's own reader: the same.
  for (const format of ["auto", "columns"] as const) {
    const { outcomes, reasons } = read("0xff\n1\n2 3\nreg 0x3F\n4\n", format);
    assert.deepEqual(outcomes, ["skipped", "points", "points", "skipped", "points"], format);
    assert.deepEqual(reasons, [HEX_NUMBER, HEX_NUMBER], format);
  }
});

Deno.test("a CSV header with a hex cell names no column: skipped with the hex reason", () => {
  const input = "0xff\n0xff,b\ntemp,hum\n1,2\n0x10,x\n3,4\n";
  // The real header after them names the columns, detected (auto) or told (csv).
  for (const format of ["auto", "csv"] as const) {
    assert.deepEqual(ysOf(read(input, format).sink), { temp: [1, 3], hum: [2, 4] }, format);
  }
  const { outcomes, reasons } = read(input, "csv");
  assert.deepEqual(outcomes, ["skipped", "skipped", "header", "points", "skipped", "points"]);
  assert.deepEqual(reasons, [HEX_NUMBER, HEX_NUMBER, HEX_NUMBER]);
});
