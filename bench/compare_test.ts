/**
 * `deno task bench:check`: the bench itself, run for real in short windows.
 * liveplot and the bare-Deno peer must both deliver with ratios, every peer
 * must be a row or a printed note, the results file must carry the date, the
 * machine and each figure against its baseline from the same run, and a bad
 * flag must get one line and exit 2.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CASES } from "./cases/mod.ts";
import { parseOptions, selectCases, UsageError } from "./compare.ts";
import type { Figure } from "./lib/case.ts";
import { cpuSeconds } from "./lib/proc.ts";
import { cpuUsage } from "node:process";

const COMPARE = new URL("../bench/compare.ts", import.meta.url).pathname;

/** Runs the driver with a short window; returns its stdout, stderr and exit code. */
async function bench(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", COMPARE, ...args],
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

/** Runs a quick bench into a temporary results folder; returns its report and results file. */
async function quickBench(args: string[]) {
  const out = await Deno.makeTempDir({ prefix: "liveplot-bench-check-" });
  try {
    const run = await bench(["--quick", "--measure", "1", "--out", out, ...args]);
    assert.equal(run.code, 0, run.err);
    const report = await Deno.readTextFile(`${out}/latest.md`);
    const results = JSON.parse(await Deno.readTextFile(`${out}/latest.json`)) as {
      date: string;
      machine: { cores: number; cpu: string };
      cases: string[];
      figures: Figure[];
      errors: string[];
    };
    return { ...run, report, results };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/** The table row of `server` (the first cell may name the case). */
function row(out: string, server: string): string[] | undefined {
  const line = out.split("\n").find((text) => text.split("|")[2]?.trim() === server);
  return line?.split("|").map((cell) => cell.trim());
}

Deno.test("bench compare: liveplot and the bare-Deno peer both deliver, with ratios", async () => {
  const { out, report, results } = await quickBench(
    ["--case", "1x100000", "--server", "liveplot", "--server", "liveplot-text", "--server", "deno"],
  );
  const live = row(out, "liveplot");
  const text = row(out, "liveplot-text");
  const bare = row(out, "deno");
  assert.ok(live && text && bare, out);
  // columns: case, server, p50, p99, max, delivered, CPU, …
  for (const cells of [live, text, bare]) {
    assert.match(cells[3]!, /^[\d.,]+ \([\d.,]+×\)$/, out);
    assert.ok(Number(cells[6]!.replace("%", "")) > 50, `delivered: ${cells[6]}\n${out}`);
    assert.match(cells[7]!, /^\d+\.\d{3} \([\d.,]+×\)$/, out);
  }
  assert.match(live[7]!, /\(1\.00×\)$/);
  assert.doesNotMatch(out, /## Failed runs/);
  // The report printed is the results file, and its figures carry their baselines.
  assert.ok(report.includes(out.trim().split("\n").at(-1)!), report);
  assert.match(results.date, /^\d{4}-\d\d-\d\dT/);
  assert.ok(results.machine.cores > 0 && results.machine.cpu, JSON.stringify(results.machine));
  assert.deepEqual(results.cases, ["1x100000"]);
  const byDeno = results.figures.find((f) =>
    f.server === "liveplot" && f.baseline?.server === "deno"
  );
  assert.ok(byDeno && byDeno.ratio! > 0 && byDeno.target === "≤ 1.50×", JSON.stringify(results));
  assert.equal(typeof byDeno.met, "boolean");
  // Text viewers are rows of their own, with their own target.
  const textByDeno = results.figures.find((f) =>
    f.server === "liveplot-text" && f.baseline?.server === "deno"
  );
  assert.ok(textByDeno && textByDeno.target === "≤ 1.75×", JSON.stringify(results.figures));
  // Bun was not asked for: its comparison says so instead of pretending.
  const byBun = results.figures.find((f) => f.measure.includes("vs bun"));
  assert.ok(byBun && !byBun.baseline && byBun.missing === "bun not run (--server)", out);
  assert.match(out, /## Against baselines/);
  assert.match(out, /\| – \(bun not run \(--server\)\) \|/);
});

Deno.test("bench compare: every peer is a row or a printed note, never silent", async () => {
  const { out } = await quickBench(["--case", "1x100000-w2000"]);
  for (const peer of ["bun", "deno", "liveplot"]) {
    assert.ok(
      row(out, peer) !== undefined || out.includes(`- ${peer}: skipped (`),
      `${peer} is neither a row nor a note:\n${out}`,
    );
  }
});

Deno.test("bench compare: start-up is measured against bare Deno in the same run", async () => {
  const { out, results } = await quickBench(["--case", "startup"]);
  const startup = results.figures.find((f) => f.measure.startsWith("Start-up"));
  assert.ok(startup, out);
  assert.equal(startup.baseline?.server, "bare Deno.serve");
  assert.ok(startup.value > 0 && startup.baseline.value > 0, out);
  assert.ok(Math.abs(startup.ratio! - startup.value / startup.baseline.value) < 1e-9);
  assert.deepEqual(results.errors, []);
  assert.match(out, /^\| liveplot \| [\d,]+ \| 3 \| [\d.]+× \|$/m, out);
});

Deno.test("bench compare: a bad flag or case gets one line and exit 2", async () => {
  for (const args of [["--case", "nope"], ["--server", "nope"], ["--rounds", "0"], ["--bogus"]]) {
    const { code, out, err } = await bench(args);
    assert.equal(code, 2, `${args.join(" ")}: ${err}`);
    assert.equal(out, "");
    assert.equal(err.trim().split("\n").length, 1, err);
    assert.match(err, /\(see --help\)$/m);
  }
  assert.throws(() => parseOptions(["--client", "node"]), UsageError);
});

Deno.test("bench registry: names are unique and the default run leaves out opt-in cases", () => {
  const names = CASES.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  const defaults = selectCases(parseOptions([])).map((c) => c.name);
  for (const name of ["1000x1000", "redis", "routes", "startup", "ingest", "page", "idle"]) {
    assert.ok(defaults.includes(name), name);
  }
  assert.ok(!defaults.includes("history"));
  assert.deepEqual(selectCases(parseOptions(["--case", "history"])).map((c) => c.name), [
    "history",
  ]);
  // A --server without liveplot leaves out the cases that only measure liveplot.
  const bunOnly = selectCases(parseOptions(["--server", "bun"])).map((c) => c.name);
  assert.ok(!bunOnly.includes("routes") && bunOnly.includes("idle"), bunOnly.join());
});

Deno.test("bench proc: CPU seconds agree with the process's own count, finer than a tick", () => {
  const own = () => {
    const { user, system } = cpuUsage();
    return (user + system) / 1e6;
  };
  const [read0, own0] = [cpuSeconds([Deno.pid]), own()];
  // Busy until the process's own count says 0.2 s more went by (a busy machine only slows it).
  while (own() - own0 < 0.2) {
    // Spinning.
  }
  const [read, ownSpent] = [cpuSeconds([Deno.pid]) - read0, own() - own0];
  assert.ok(Math.abs(read - ownSpent) < 0.03, `read ${read} s, the process counted ${ownSpent} s`);
  // Not in whole 10 ms ticks, as /proc/PID/stat counts.
  assert.notEqual(Math.round(read * 1e6) % 10_000, 0, `${read} s is a whole number of ticks`);
  assert.equal(cpuSeconds([2 ** 22 + 1]), 0, "a process that is gone counts nothing");
});
