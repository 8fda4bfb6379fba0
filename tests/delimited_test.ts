/**
 * CSV rows against docs/formats.md: which columns label a row and which hold
 * values (a word among the numbers is refused, not a key).
 *
 * @module
 */

import assert from "node:assert/strict";
import { read } from "./format_reading.ts";

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
