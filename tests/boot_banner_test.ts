import assert from "node:assert/strict";
import { fixture, read } from "./format_reading.ts";

// What the boot ROMs of ESP32 and ESP8266 boards print at each reset, before (and, after a
// reset, among) a sketch's own lines: neither data nor a header, whatever the sketch prints.

/** Each series' y values. */
function ysOf(sink: ReturnType<typeof read>["sink"]): Record<string, number[]> {
  return Object.fromEntries(sink.names().map((name) => [name, sink.ys(name)]));
}

/** The outcomes of a boot ROM's lines: each skipped, as a boot ROM's, but the blank one. */
function bootOutcomes(text: string): string[] {
  return text.split("\n").slice(0, -1).map((line) => line.trim() === "" ? "blank" : "skipped");
}

const ESP32 = fixture("programs/esp32_boot.txt").split("temp:")[0] as string;
const ESP8266 = fixture("programs/esp8266_boot.txt").split("temp ")[0] as string;

Deno.test("an ESP32's boot banner before CSV: the CSV is found, the banner's lines are skipped", () => {
  const { sink, outcomes, reasons, detected } = read(fixture("programs/esp32_boot_csv.txt"));
  assert.deepEqual(detected, { format: "csv", series: 2, x: "arrival" });
  assert.deepEqual(ysOf(sink), { temp: [21.5, 21.6], hum: [40.1, 40.2] });
  assert.deepEqual(outcomes, [...bootOutcomes(ESP32), "header", "points", "points"]);
  assert.equal(reasons.length, 10);
  for (const reason of reasons) assert.match(reason, /^a boot ROM's line/);
  // A reset mid-stream prints it again: nothing new, and the CSV reads on.
  const again = read(`temp,hum\n21.5,40.1\n${ESP32}temp,hum\n21.6,40.2\n`);
  assert.deepEqual(ysOf(again.sink), { temp: [21.5, 21.6], hum: [40.1, 40.2] });
});

Deno.test("an ESP8266's boot output makes no series (tail 4); a sketch's temp 21.5 plots temp", () => {
  const { sink, outcomes, reasons, detected } = read(fixture("programs/esp8266_boot.txt"));
  assert.deepEqual(ysOf(sink), { temp: [21.5, 21.6] });
  assert.equal(detected?.format, "columns");
  assert.deepEqual(outcomes, [...bootOutcomes(ESP8266), "points", "points"]);
  for (const reason of reasons) assert.match(reason, /^a boot ROM's line/);
  // A reset mid-stream, in columns, pairs or CSV: its lines skipped, no series and no header.
  const streams: [string, string[], string][] = [
    ["temp 21.4\n", ["points"], "temp 21.5\n"],
    ["temp:21.4,hum:40\n", ["points"], "temp:21.5,hum:41\n"],
    ["temp,hum\n21.4,40\n", ["header", "points"], "21.5,41\n"],
  ];
  for (const [before, first, after] of streams) {
    const reset = read(`${before}${ESP8266}${after}`);
    assert.deepEqual(reset.outcomes, [...first, ...bootOutcomes(ESP8266), "points"], before);
    assert.deepEqual(reset.sink.names(), before.includes("hum") ? ["temp", "hum"] : ["temp"]);
  }
  // Only the ROM's lines as it prints them: a sketch's own name-value lines still plot.
  const own = read("tail 21\nload 3\nchksum 12\nentry 4\n");
  assert.deepEqual(ysOf(own.sink), { tail: [21], load: [3], chksum: [12], entry: [4] });
});
