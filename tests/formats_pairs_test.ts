import assert from "node:assert/strict";
import { fixture, read } from "./format_reading.ts";

// What a pair's name may be, and the programs and boards whose lines were read into junk names:
// top -b's whole screen, a serial port opened mid-line, the ESP32's boot banner. The shapes of
// pairs themselves are in formats_structured_test.ts and formats_dialects_test.ts.

/** Each series' y values. */
function ysOf(sink: ReturnType<typeof read>["sink"]): Record<string, number[]> {
  return Object.fromEntries(sink.names().map((name) => [name, sink.ys(name)]));
}

Deno.test("top -b: the summary's figures are Label.name, process rows are skipped with a reason", () => {
  const { sink, outcomes, reasons, detected } = read(fixture("programs/top_b.txt"));
  assert.equal(detected?.format, "pairs");
  const tasks = ["total", "running", "sleeping", "stopped", "zombie"].map((name) =>
    `Tasks.${name}`
  );
  const cpu = ["us", "sy", "ni", "id", "wa", "hi", "si", "st"];
  const mem = ["total", "free", "used", "buff/cache"].map((name) => `MiB Mem.${name}`);
  const swap = ["total", "free", "used", "avail Mem"].map((name) => `MiB Swap.${name}`);
  assert.deepEqual(sink.names(), [...tasks, ...cpu, ...mem, ...swap]);
  for (const name of sink.names()) assert.equal(sink.ys(name).length, 4, name);
  // Tasks' total and memory's total are two series, never one.
  assert.deepEqual(sink.ys("Tasks.total"), [133, 135, 132, 132]);
  assert.deepEqual(sink.ys("MiB Mem.total"), [24105.2, 24105.2, 24105.2, 24105.2]);
  assert.deepEqual(sink.ys("MiB Swap.avail Mem"), [22620, 22620, 22620, 22410.2]);
  // 12 process rows and the `top -` line a refresh, each skipped and said why.
  assert.equal(outcomes.filter((outcome) => outcome === "skipped").length, 4 * 13);
  assert.equal(new Set(reasons.slice(1)).size, 1);
  assert.equal(reasons[1], "no name=value or name: value pairs");
});

Deno.test("a name starts as no number: a line cut mid-way (.5 h:40) is skipped, not a series .5 h", () => {
  for (const cut of [".5 h:40", "5 h:40", "21.5 hum:40"]) {
    const first = read(`${cut}\ntemp:21.6 hum:41\n`);
    assert.deepEqual(ysOf(first.sink), { temp: [21.6], hum: [41] }, cut);
    const later = read(`temp:21.5 hum:40\n${cut}\ntemp:21.6 hum:41\n`);
    assert.deepEqual(later.outcomes, ["points", "skipped", "points"], cut);
    assert.deepEqual(ysOf(later.sink), { temp: [21.5, 21.6], hum: [40, 41] }, cut);
  }
  // Digits-only or number-led fragments are no names, in either style of colon pairs.
  for (const line of ["0:03.58 deno", "12 a b: 3", "1h: 2, x: 3"]) {
    assert.ok(read(`${line}\n`).sink.names().every((name) => /^\p{L}/u.test(name)), line);
  }
});

Deno.test("names with spaces only as Label words: value; name:value is one word", () => {
  assert.deepEqual(ysOf(read("Heat index: 21.01, Free heap: 1234 bytes\n").sink), {
    "Heat index": [21.01],
    "Free heap": [1234],
  });
  // name:value is one word, as the Arduino plotter reads it: the words before it are text.
  assert.deepEqual(ysOf(read("Status OK temp:21 Heat index:3\n").sink), { temp: [21], index: [3] });
  assert.deepEqual(ysOf(read("MiB Mem : 1 total, 2 free\ntemp : 3\n").sink), {
    "MiB Mem.total": [1],
    "MiB Mem.free": [2],
    temp: [3],
  });
  // Words of a sentence before the label are not the name.
  assert.deepEqual(ysOf(read("I (29) boot: 3, the sensor said  Temperature: 21.5\n").sink), {
    boot: [3],
    Temperature: [21.5],
  });
});

Deno.test("the ESP32's boot banner adds no series: only the sketch's temp and hum plot", () => {
  const { sink, outcomes } = read(fixture("programs/esp32_boot.txt"));
  assert.deepEqual(ysOf(sink), { temp: [21.5, 21.6], hum: [40, 41] });
  assert.equal(outcomes.indexOf("points"), 11, "no line of the banner gives points");
  // A board reset mid-stream prints it again: nothing new either.
  const again = read(`temp:21.5,hum:40\n${fixture("programs/esp32_boot.txt")}`);
  assert.deepEqual(ysOf(again.sink), { temp: [21.5, 21.5, 21.6], hum: [40, 40, 41] });
});

Deno.test("Arduino sketches: DHTtester's line plots; a further value with another unit is Name unit", () => {
  // Adafruit DHT sensor library's DHTtester, as it prints each reading.
  const dht = read(
    "Humidity: 40.00%  Temperature: 21.50°C 70.70°F  Heat index: 21.01°C 69.82°F\n" +
      "Failed to read from DHT sensor!\n" +
      "Humidity: 41.00%  Temperature: 21.60°C 70.88°F  Heat index: 21.13°C 70.03°F\n",
  );
  assert.deepEqual(ysOf(dht.sink), {
    Humidity: [40, 41],
    Temperature: [21.5, 21.6],
    "Temperature °F": [70.7, 70.88],
    "Heat index": [21.01, 21.13],
    "Heat index °F": [69.82, 70.03],
  });
  assert.equal(dht.detected?.format, "pairs");
  // The unit may stand apart, one space after its number.
  assert.deepEqual(ysOf(read("Temperature: 21.5 C 70.7 F\n").sink), {
    Temperature: [21.5],
    "Temperature F": [70.7],
  });
  // A further value with no unit, or the first one's, has no name of its own: no pairs, the line
  // is a labelled row as before.
  assert.deepEqual(read("Gyro: 0.1 0.2 0.3\n").sink.names(), ["Gyro.0", "Gyro.1", "Gyro.2"]);
  assert.deepEqual(read("Temp: 21.5°C 21.6°C\n").sink.names(), ["Temp.0", "Temp.1"]);
});

Deno.test("Adafruit's Temp = 21.5 *C: spaced = pairs with a * for the degree sign", () => {
  const { sink, outcomes } = read("Temp = 21.5 *C, Hum = 40 %\nTemp = 21.7 *F, Hum = 41 %\n");
  assert.deepEqual(outcomes, ["points", "points"]);
  assert.deepEqual(ysOf(sink), { Temp: [21.5, 21.7], Hum: [40, 41] });
  assert.deepEqual(ysOf(read("temp=21.5*C\n").sink), { temp: [21.5] });
});

Deno.test("Adafruit's BME280 example: Approx. Altitude = 0.12 m is a series, named as the others", () => {
  // Adafruit_BME280_Library's examples/bme280test.ino: its setup's lines, then printValues() twice
  // (no board here: written from the sketch's print calls). Its two banner lines are a header.
  const { sink, outcomes } = read(fixture("formats/bme280.txt"));
  assert.deepEqual(ysOf(sink), {
    Temperature: [21.5, 21.52],
    Pressure: [1013.1, 1013.08],
    "Approx. Altitude": [0.12, 0.14],
    Humidity: [40, 40.1],
  });
  assert.ok(!outcomes.includes("skipped"));
  // A name of words before a spaced = is one pair's, the whole line: ping's summary is none.
  assert.deepEqual(read("rtt min/avg/max/mdev = 0.040/0.050/0.101/0.020 ms\n").sink.names(), []);
  assert.deepEqual(ysOf(read("Heat index = 21.01 *C\n").sink), { "Heat index": [21.01] });
  assert.deepEqual(read("Approx. Altitude = 0x10 m\n").sink.names(), []);
});

Deno.test("statsd lines are pairs: name:value|type, a counter divided by its sample rate", () => {
  const { sink, outcomes, detected } = read(
    "cpu:1.5|g\nrequests:1|c|@0.1\nlatency:12|ms\ntime:3|ms|@0.5\nqueue.depth:4|h\nsize:5|d\n",
  );
  assert.deepEqual(detected, { format: "pairs", series: 1, x: "arrival" });
  assert.deepEqual(outcomes, ["points", "points", "points", "points", "points", "points"]);
  assert.deepEqual(ysOf(sink), {
    cpu: [1.5],
    requests: [10],
    latency: [12],
    time_ms: [3],
    "queue.depth": [4],
    size: [5],
  });
  // DogStatsD's tags name the series as influx's do, sorted.
  const tagged = read("cpu:1|g|#host:a,env:prod\ncpu:2|g|#env:prod,host:a\ncpu:3|g|#beta\n");
  assert.deepEqual(ysOf(tagged.sink), { "cpu{env=prod,host=a}": [1, 2], "cpu{beta}": [3] });
  // A signed gauge is a change of it (statsd's +3|g), which liveplot cannot add up: refused.
  const signed = read("cpu:5|g\ncpu:+3|g\ncpu:-2|g\ncpu:0x1|g\n");
  assert.deepEqual([ysOf(signed.sink), signed.sink.refused], [{ cpu: [5] }, 3]);
  // A set's values are members, not amounts: no line of pairs.
  assert.deepEqual(read("users:42|s\n").outcomes, ["header"]);
});

Deno.test("before any data, a held line with numbers in no known shape is not said to have none", () => {
  const odd = read("foo:1|q\n".repeat(9));
  assert.deepEqual(odd.outcomes.slice(-2), ["header", "skipped"]);
  assert.deepEqual(odd.reasons, ["numbers in no format liveplot reads (no data seen yet)"]);
  const words = read("hello there\n".repeat(9));
  assert.deepEqual(words.reasons, ["no numbers in the line (no data seen yet)"]);
});
