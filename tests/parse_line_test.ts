import assert from "node:assert/strict";
import { createLineParser, isNumber, type ParsedLine } from "../stream/parse_line.ts";

const NOW = 1_700_000_000.5;

function points(parsed: ParsedLine): string[] {
  assert.equal(parsed.kind, "points");
  return parsed.kind === "points" ? parsed.points.map((p) => `${p.series} ${p.x} ${p.y}`) : [];
}

Deno.test("numbers are plain decimals: no hex, no NaN, no Infinity", () => {
  for (const good of ["0", "-1", "+2.5", ".5", "5.", "1e3", "-1.5E-7"]) {
    assert.ok(isNumber(good), good);
  }
  for (const bad of ["", "0x10", "NaN", "Infinity", "1,5", "1e", "--1", "1.2.3", "abc"]) {
    assert.ok(!isNumber(bad), bad);
  }
});

Deno.test("a line of numbers is one sample: column k is series k, x is the arrival time", () => {
  const parse = createLineParser("columns", "time");
  assert.deepEqual(points(parse("  1   -2.5\t3e2 ", NOW)), [
    `0 ${NOW} 1`,
    `1 ${NOW} -2.5`,
    `2 ${NOW} 3e2`,
  ]);
});

Deno.test("--x index counts samples from 0", () => {
  const parse = createLineParser("columns", "index");
  assert.deepEqual(points(parse("5", NOW)), ["0 0 5"]);
  assert.equal(parse("oops 1", NOW).kind, "skipped");
  assert.deepEqual(points(parse("6", NOW)), ["0 1 6"]);
});

Deno.test("vmstat's two header lines name the columns; their repeats are recognised", () => {
  const parse = createLineParser("columns", "index");
  const banner = "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----";
  const header = " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st";
  assert.equal(parse(banner, NOW).kind, "names");
  const names = parse(header, NOW);
  assert.equal(names.kind, "names");
  assert.equal(names.kind === "names" && names.names.get("0"), "r");
  assert.equal(names.kind === "names" && names.names.get("16"), "st");
  const sample = " 1  0      0 123456  7890 456789    0    0     1     2   30   40  1  2 97  0  0";
  assert.equal(points(parse(sample, NOW)).length, 17);
  assert.equal(parse(banner, NOW).kind, "header");
  assert.equal(parse(header, NOW).kind, "header");
  assert.equal(parse("some other words", NOW).kind, "skipped");
});

Deno.test("name=number pairs plot by name, as ping and logfmt print them", () => {
  const parse = createLineParser("columns", "time");
  const ping = "64 bytes from localhost (::1): icmp_seq=3 ttl=64 time=0.041 ms";
  assert.deepEqual(points(parse(ping, NOW)), [
    `icmp_seq ${NOW} 3`,
    `ttl ${NOW} 64`,
    `time ${NOW} 0.041`,
  ]);
  assert.deepEqual(points(parse("cpu=12% mem=800MiB,", NOW)), [`cpu ${NOW} 12`, `mem ${NOW} 800`]);
  assert.equal(parse("PING localhost (::1) 56 data bytes", NOW).kind, "skipped");
});

Deno.test("--format sxy reads the seed's 'series x y' lines and skips the rest", () => {
  const parse = createLineParser("sxy", "time");
  assert.deepEqual(points(parse("0 12 0.25", NOW)), ["0 12 0.25"]);
  assert.deepEqual(points(parse("cpu 1.5 -3", NOW)), ["cpu 1.5 -3"]);
  for (const bad of ["0 12", "0 12 0.25 9", "0 x 1", "", "a b c"]) {
    assert.equal(parse(bad, NOW).kind, "skipped", bad);
  }
});

Deno.test("blank and mixed lines are skipped", () => {
  const parse = createLineParser("columns", "time");
  for (const bad of ["", "   ", "1 two 3", "error: 5 failed"]) {
    assert.equal(parse(bad, NOW).kind, "skipped", JSON.stringify(bad));
  }
});
