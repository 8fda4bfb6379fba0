/**
 * Keyed rows (one row per CPU, process, interface, disk or GPU a sample) and
 * the line counts: every line is points, a header, blank or skipped, once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createLineReader, type FormatName, type LineOutcome } from "../stream/formats/mod.ts";
import type { PointSink } from "../stream/sink.ts";
import { splitLines } from "../stream/line_splitter.ts";
import { read } from "./format_reading.ts";
import { FIXTURES, startTestServer, withTimeout } from "./helpers.ts";

/** A sink that keeps every point by series name. */
class Points implements PointSink {
  series = new Map<string, number[]>();
  add(name: string, _x: number, y: number): boolean {
    const ys = this.series.get(name) ?? [];
    this.series.set(name, ys);
    ys.push(y);
    return true;
  }
  commit(): void {}
  setXKind(): void {}
  names(): string[] {
    return [...this.series.keys()];
  }
}

function readFixture(file: string, format: FormatName = "auto") {
  return readText(Deno.readTextFileSync(`${FIXTURES}keyed/${file}`), format);
}

function readText(text: string, format: FormatName = "auto") {
  const reader = createLineReader(format, { kind: "auto" });
  const sink = new Points();
  const counts: Record<LineOutcome, number> = { points: 0, header: 0, blank: 0, skipped: 0 };
  text.split("\n").forEach((line, index) => {
    counts[reader.read(line, 1_795_636_800 + index, sink)]++;
  });
  return { sink, counts };
}

Deno.test("mpstat -P ALL: a series per CPU (all.%idle, 0.%idle), no junk series CPU", () => {
  const { sink } = readFixture("mpstat_p_all.txt");
  assert.deepEqual(sink.series.get("all.%idle"), [13.57, 4.08, 45.45]);
  assert.deepEqual(sink.series.get("0.%idle"), [22.45, 3.06, 47.96]);
  assert.deepEqual(sink.series.get("1.%idle"), [4.95, 5.1, 43]);
  assert.equal(sink.names().length, 30);
  assert.ok(!sink.names().some((name) => name === "CPU" || name.endsWith(".CPU")));
});

Deno.test("pidstat: a series per process named PID and command, UID dropped", () => {
  const { sink, counts } = readFixture("pidstat.txt");
  assert.deepEqual(sink.series.get("10805 deno.%CPU"), [28.71, 25, 77]);
  assert.deepEqual(sink.series.get("1 process_api.%usr"), [0, 0, 1]);
  // A process seen in one sample only starts and ends its own series.
  assert.deepEqual(sink.series.get("14 ksoftirqd/0.%system"), [0.99]);
  assert.ok(sink.names().every((name) => /^\d+ \S+\.[%\w]+$/.test(name)), sink.names().join());
  assert.equal(sink.names().length, 16 * 6);
  assert.ok(!sink.names().some((name) => name.endsWith(".UID") || name.endsWith(".PID")));
  // Rows of every sample plot; only the Average block (no clock) is skipped.
  assert.equal(counts.points, 28);
  assert.equal(counts.skipped, 12);
});

Deno.test("sar -n DEV: a series per interface, IFACE.column", () => {
  const { sink } = readFixture("sar_n_dev.txt");
  assert.deepEqual(sink.series.get("eth0.rxkB/s"), [1.18, 1.7, 1.33]);
  assert.deepEqual(sink.series.get("lo.%ifutil"), [0, 0, 0]);
  assert.equal(sink.names().length, 4 * 8);
});

Deno.test("sar -d: a series per disk, DEV.column", () => {
  const { sink } = readFixture("sar_d.txt");
  assert.deepEqual(sink.series.get("vda.%util"), [0, 0, 1.6]);
  assert.deepEqual(sink.series.get("vda.tps"), [0, 0, 226]);
});

Deno.test("iostat -x with two devices: vda.%util and zram0.%util, avg-cpu unprefixed", () => {
  const { sink } = readFixture("iostat_x_two.txt");
  assert.deepEqual(sink.series.get("vda.%util"), [3.56, 0]);
  assert.deepEqual(sink.series.get("zram0.%util"), [0, 0]);
  assert.deepEqual(sink.series.get("%idle"), [68.83, 98.48]);
  assert.equal(sink.names().length, 6 + 2 * 22);
});

Deno.test("nvidia-smi csv with two GPUs of one model: the index keys each GPU", () => {
  const { sink } = readFixture("nvidia_smi_two_gpus.csv");
  const gpu = "NVIDIA A100-SXM4-40GB";
  assert.deepEqual(sink.series.get(`0 ${gpu}.utilization.gpu [%]`), [0, 12]);
  assert.deepEqual(sink.series.get(`1 ${gpu}.utilization.gpu [%]`), [87, 91]);
  assert.equal(sink.names().length, 6);
  assert.ok(!sink.names().some((name) => name.endsWith(".index")));
});

Deno.test("docker stats table: a series per container, two-word headers kept (CPU %)", () => {
  const { sink } = readFixture("docker_stats.txt");
  assert.deepEqual(sink.series.get("web.CPU %"), [0.5, 0.75]);
  assert.deepEqual(sink.series.get("db.PIDS"), [31, 33]);
  // A container that starts later gets its own series.
  assert.deepEqual(sink.series.get("worker.MEM %"), [1.2]);
  assert.equal(sink.names().length, 9);
});

Deno.test("a key column needs whole numbers: cpu 12.5 under a cpu header is a value", () => {
  const reader = createLineReader("columns", { kind: "index" });
  const sink = new Points();
  reader.read("cpu mem", 0, sink);
  reader.read("12.5 40", 0, sink);
  assert.deepEqual(sink.names(), ["cpu", "mem"]);
});

Deno.test("docker stats by ID: an id that starts with a digit keys its row as a letter's does", () => {
  const { sink, counts } = readFixture("docker_stats_ids.txt");
  assert.deepEqual(sink.series.get("0f9e8d7c6b5a.db.CPU %"), [12.31, 10.02]);
  assert.deepEqual(sink.series.get("a1b2c3d4e5f6.web.MEM %"), [5.02, 5.03]);
  assert.deepEqual(sink.series.get("3e4d5c6b7a80.cache.CPU %"), [1, 1.1]);
  assert.deepEqual([sink.names().length, counts.points, counts.skipped], [6, 6, 0]);
  // The ID alone; an id that reads as a number (123456abcdef: 123456 and a unit) is one all the same.
  const ids = readText(
    "CONTAINER ID   CPU %     MEM %\n0f9e8d7c6b5a   1.50%     2.00%\n" +
      "a1b2c3d4e5f6   3.50%     4.00%\n123456abcdef   5.00%     6.00%\n",
  );
  assert.deepEqual(ids.sink.names(), [
    ..."0f9e8d7c6b5a a1b2c3d4e5f6 123456abcdef".split(" ").flatMap((id) => [
      `${id}.CPU %`,
      `${id}.MEM %`,
    ]),
  ]);
  assert.equal(ids.counts.skipped, 0);
  // With no header, ids in the rows before make the column one of keys.
  const bare = readText("a1b2c3d4e5f6 1.50% 2.00%\n0f9e8d7c6b5a 3.50% 4.00%\n");
  assert.deepEqual(bare.sink.series.get("0f9e8d7c6b5a.1"), [4]);
});

Deno.test("ps -eo pid,comm,pcpu,pmem: the command beside the PID keys the row, as after the numbers", () => {
  const { sink, counts } = readFixture("ps_pid_comm.txt");
  assert.deepEqual(sink.series.get("1 process_api.%CPU"), [0.5]);
  assert.deepEqual(sink.series.get("4 kworker/R-rcu_g.%MEM"), [0]);
  assert.deepEqual([sink.names().length, counts.points, counts.skipped], [14, 7, 0]);
  // The same table with the command last names the same series.
  const last = readText("  PID %CPU %MEM COMMAND\n    1  0.5  0.0 process_api\n");
  assert.deepEqual(last.sink.names(), ["1 process_api.%CPU", "1 process_api.%MEM"]);
  // A word under a header that is no key's is still a word among the numbers.
  const words = readText("  PID STATE %CPU\n    1 S      0.5\n");
  assert.deepEqual([words.sink.names(), words.counts.skipped], [[], 1]);
});

Deno.test("CSV: a key is its text as written; a column of ids keys rows whatever they look like", () => {
  assert.deepEqual(read("ID,CPU\na1,1\n1e5,2\n007,3\n").sink.names(), [
    "a1.CPU",
    "1e5.CPU",
    "007.CPU",
  ]);
  const docker = read("CONTAINER ID,CPU %\n123456789012,1\n0f9e8d7c6b5a,2\n").sink;
  assert.deepEqual(docker.names(), ["123456789012.CPU %", "0f9e8d7c6b5a.CPU %"]);
  // No header names it: ids in most rows so far keep it a key column.
  const bare = read("a1b2c3d4e5f6,1\n0f9e8d7c6b5a,2\n1e5,3\n").sink;
  assert.deepEqual(bare.names(), ["a1b2c3d4e5f6.1", "0f9e8d7c6b5a.1", "1e5.1"]);
  assert.equal(bare.refused, 0);
});

/** 20,000 fixed pseudo-random bytes/** 20,000 fixed pseudo-random bytes, as `head -c 20000 /dev/urandom` gives, but reproducible. */
function randomBytes(): Uint8Array {
  let seed = 20_000;
  return Uint8Array.from({ length: 20_000 }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed >>> 16 & 0xff;
  });
}

/** Reads `bytes` as standard input is read: split, then line by line. */
async function countLines(bytes: Uint8Array, format: FormatName) {
  const reader = createLineReader(format, { kind: "auto" });
  const sink = new Points();
  const counts: Record<LineOutcome | "lines" | "truncated", number> = {
    lines: 0,
    points: 0,
    header: 0,
    blank: 0,
    skipped: 0,
    truncated: 0,
  };
  const body = ReadableStream.from([bytes]);
  for await (const lines of splitLines(body, 64 * 1024, () => counts.truncated++)) {
    for (const line of lines) {
      counts.lines++;
      counts[reader.read(line, 0, sink)]++;
    }
  }
  return counts;
}

Deno.test("urandom: every line that did not plot is skipped, once; binary is never a header", async () => {
  const counts = await countLines(randomBytes(), "auto");
  assert.ok(counts.lines > 50, `${counts.lines} lines`);
  // Before, binary lines were held as headers (8 at first, then any without a number).
  assert.ok(counts.header <= 1, JSON.stringify(counts));
  assert.equal(
    counts.points + counts.header + counts.blank + counts.skipped + counts.truncated,
    counts.lines,
    JSON.stringify(counts),
  );
  assert.ok(counts.skipped >= counts.lines - 3, JSON.stringify(counts));
});

Deno.test("POST /s/NAME?format=pairs counts a line of words as skipped, not taken or lost", async () => {
  const token = "keyed-test-token-0123456789";
  await using server = await startTestServer({ token, source: { kind: "demo" } });
  const response = await fetch(new URL("/s/pairs?format=pairs", server.url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: "a=1 b=2\n<script>alert(1)</script>\nfoo bar\nc:3\n",
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { taken: 2, headers: 0, blank: 0, skipped: 2 });
});

Deno.test("urandom on standard input: the status counts each line that did not plot, once", async () => {
  const bytes = randomBytes();
  const newlines = bytes.filter((byte) => byte === 0x0a).length;
  const lines = bytes.at(-1) === 0x0a ? newlines : newlines + 1;
  await using server = await startTestServer({ source: { kind: "stdin" } }, {
    input: ReadableStream.from([bytes]),
  });
  await withTimeout(server.source!.ended, 10_000, "the end of standard input");
  const { skipped, truncated } = server.hub!.status;
  // At most a line or two of random bytes reads as data or a header; none is counted twice.
  assert.ok(skipped + truncated <= lines, `${skipped} skipped of ${lines}`);
  assert.ok(skipped >= lines - 3, `${skipped} skipped of ${lines}`);
  // No series is named from binary: before, a line that looked like `name=value` made one.
  assert.deepEqual(server.hub!.names, []);
});

Deno.test("a line with bytes that are not UTF-8 or control characters is skipped in any format", async () => {
  const token = "keyed-test-token-0123456789";
  await using server = await startTestServer({ token, source: { kind: "demo" } });
  const body = new Uint8Array([
    ...[0xff, 0xfe, 0x3d, 0x39, 0x33, 0x0a], // \xff\xfe=93: read as a pair before
    ...new TextEncoder().encode("ab\fc=5\na=1\n"), // a form feed hid "ab", and c=5 plotted
  ]);
  const response = await fetch(new URL("/s/binary", server.url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });
  assert.deepEqual(await response.json(), { taken: 1, headers: 0, blank: 0, skipped: 2 });
  const hub = server.streams.get("binary")!.hub;
  assert.deepEqual(hub.names, ["a"]);
  assert.match(hub.status.recentSkipped.map((skip) => skip.reason).join(), /^not text/);
});

Deno.test("a file pushed with curl -d (its newlines dropped) is answered with how to send it", async () => {
  const token = "keyed-test-token-0123456789";
  await using server = await startTestServer({ token, source: { kind: "demo" } });
  const dir = await Deno.makeTempDir();
  /** Pushes `file` with a real curl and `how` (-d, --data-binary or -T), and reads the answer. */
  const curl = async (how: string, file: string, stream = "file") => {
    const path = `${dir}/${stream}.txt`;
    await Deno.writeTextFile(path, file);
    const { stdout, code } = await new Deno.Command("curl", {
      args: ["-sS", how, how === "-T" ? path : `@${path}`, "-H", `Authorization: Bearer ${token}`]
        .concat(new URL(`/s/${stream}`, server.url).href),
    }).output();
    assert.equal(code, 0);
    return JSON.parse(new TextDecoder().decode(stdout));
  };
  try {
    const csv = "time,temperature\n2026-12-07T08:00:00Z,20.5\n2026-12-07T08:00:01Z,20.7\n";
    // curl -d runs the lines together: nothing plots, or wrong points ("1 2\n3 4" is "1 23 4").
    const flattened = await curl("-d", csv);
    assert.equal(flattened.taken, 0);
    assert.match(flattened.hint, /--data-binary @FILE or -T FILE/);
    const columns = await curl("-d", "1 2\n3 4\n", "columns");
    assert.equal(columns.taken, 1);
    assert.match(columns.hint, /as curl -d sends a file/);
    // The same files sent whole plot, and get no hint; nor does a line that is only too long.
    assert.deepEqual(await curl("--data-binary", csv), {
      taken: 2,
      headers: 1,
      blank: 0,
      skipped: 0,
    });
    assert.deepEqual(await curl("-T", "1 2\n3 4\n", "columns"), {
      taken: 2,
      headers: 0,
      blank: 0,
      skipped: 0,
    });
    const long = await curl("--data-binary", `v=${"1".repeat(70_000)}\n`, "long");
    assert.deepEqual([long.skipped, long.hint], [1, undefined]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
