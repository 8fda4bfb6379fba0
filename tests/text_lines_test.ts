import assert from "node:assert/strict";
import { linesOfRuns, TextLines } from "../stream/text_lines.ts";

/** Values whose text takes every path: 32-bit whole numbers and their edges, and the rest. */
const EDGES = [
  0,
  -0,
  1,
  -1,
  9,
  10,
  99,
  100,
  2 ** 31 - 1,
  -(2 ** 31),
  -(2 ** 31) + 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  1e21,
  -1e21,
  123456789012345680000,
  0.1,
  -0.5,
  1.5e-7,
  -0.0000012345678901234567,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1796587134359.123,
  // Written by integer math below 2^52 from 1e-6 on; String writes the rest.
  1e-6,
  -1e-6,
  9.99e-7,
  0.000123,
  2 ** 52 - 0.5,
  2 ** 52 - 1,
  2 ** 52 + 2,
  4503599627.370495,
  450359962.7370496,
  0.1 + 0.2,
  1.1,
  100.5,
  -2147483648.5,
  123456.000001,
  999999999.999999,
];

Deno.test("every number is written as String writes it, a line `ID X Y` a point", () => {
  const lines = new TextLines();
  const expected: string[] = [];
  const random = mulberry32(16);
  const values = [...EDGES];
  for (let i = 0; i < 2000; i++) {
    const scale = 10 ** Math.floor(random() * 40 - 20);
    values.push((random() - 0.5) * scale, Math.round((random() - 0.5) * 2 ** (random() * 40)));
  }
  values.forEach((value, index) => {
    const id = index % 64;
    const x = values[values.length - 1 - index]!;
    lines.add(id, x, value);
    expected.push(`${id} ${x} ${value}\n`);
  });
  assert.equal(lines.take(), expected.join(""));
  assert.equal(lines.take(), "", "taken once");
});

Deno.test("numbers with few decimals, of every size and sign, are written as String writes them", () => {
  const lines = new TextLines();
  const random = mulberry32(52);
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const decimals = Math.floor(random() * 12);
    const scale = 10 ** Math.floor(random() * 24 - 8);
    values.push(Number(((random() - 0.5) * scale).toFixed(decimals)));
  }
  for (const value of values) lines.add(0, value, value / 10);
  assert.equal(lines.take(), values.map((value) => `0 ${value} ${value / 10}\n`).join(""));
});

Deno.test("a repeated x or y is written again right, after a take, a clear and past the room", () => {
  const lines = new TextLines();
  lines.add(0, 5, 1.5);
  lines.add(1, 5, 1.5);
  assert.equal(lines.take(), "0 5 1.5\n1 5 1.5\n");
  // Where 5 and 1.5 were written before the take, other text is now.
  lines.add(12, 5, 1.5);
  lines.add(3, 5, 1.5);
  assert.equal(lines.take(), "12 5 1.5\n3 5 1.5\n");
  lines.add(0, 0.25, -7);
  lines.clear();
  lines.add(345, 0.25, -7);
  assert.equal(lines.take(), "345 0.25 -7\n");
  // -0 equals 0, and both are written 0.
  lines.add(0, 0, -0);
  lines.add(0, -0, 0);
  assert.equal(lines.take(), "0 0 0\n0 0 0\n");
  const many = 50_000;
  for (let i = 0; i < many; i++) lines.add(i % 3, 1796587134.359, i >> 2);
  const expected: string[] = [];
  for (let i = 0; i < many; i++) expected.push(`${i % 3} 1796587134.359 ${i >> 2}\n`);
  assert.equal(lines.take(), expected.join(""));
});

Deno.test("lines written after a take, or after clear, are only the new ones; past the first room too", () => {
  const lines = new TextLines();
  lines.add(1, 2, 3);
  lines.clear();
  lines.add(0, 1.5, -2);
  assert.equal(lines.take(), "0 1.5 -2\n");
  // Past the first room and past what is kept after a small frame.
  const many = 200_000;
  for (let i = 0; i < many; i++) lines.add(3, i, i / 4);
  const text = lines.take();
  assert.equal(text.split("\n").length - 1, many);
  assert.equal(text.slice(0, 19), "3 0 0\n3 1 0.25\n3 2 ");
  lines.add(2, 7, 8);
  assert.equal(lines.take(), "2 7 8\n");
});

Deno.test("whole series' runs are their lines, series by series", () => {
  const runs = [
    { id: 2, xs: new Float64Array([1, 2]), ys: new Float64Array([0.5, -3]) },
    { id: 0, xs: new Float64Array(0), ys: new Float64Array(0) },
    { id: 1, xs: new Float64Array([1.25]), ys: new Float64Array([1e300]) },
  ];
  assert.equal(linesOfRuns(runs), "2 1 0.5\n2 2 -3\n1 1.25 1e+300\n");
  assert.equal(linesOfRuns([]), "");
});

/** A small seeded generator, so a failure repeats. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
