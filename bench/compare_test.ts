import assert from "node:assert/strict";

const COMPARE = new URL("../bench/compare.ts", import.meta.url).pathname;

/** Runs `deno task bench` with a short window; returns its table output. */
async function runBench(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", COMPARE, "--quick", "--measure", "1", ...args],
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return out;
}

/** The table row of `server` (the first cell may name the case). */
function row(out: string, server: string): string[] | undefined {
  const line = out.split("\n").find((text) => text.split("|")[2]?.trim() === server);
  return line?.split("|").map((cell) => cell.trim());
}

Deno.test("bench compare: liveplot and the bare-Deno peer both deliver, with ratios", async () => {
  const out = await runBench(["--case", "1x100000", "--server", "liveplot", "--server", "deno"]);
  const live = row(out, "liveplot");
  const bare = row(out, "deno");
  assert.ok(live && bare, out);
  // columns: case, server, p50, p99, max, delivered, CPU, RSS, …
  for (const cells of [live, bare]) {
    assert.match(cells[3]!, /^[\d.,]+ \([\d.,]+×\)$/, out);
    assert.ok(Number(cells[6]!.replace("%", "")) > 50, `delivered: ${cells[6]}\n${out}`);
    assert.match(cells[7]!, /^\d+\.\d{3} \([\d.,]+×\)$/, out);
  }
  assert.match(live[7]!, /\(1\.00×\)$/);
  assert.doesNotMatch(out, /## Failed runs/);
});

Deno.test("bench compare: every peer is a row or a printed note, never silent", async () => {
  const out = await runBench(["--case", "1x100000-w2000"]);
  for (const peer of ["bun", "deno", "liveplot"]) {
    assert.ok(
      row(out, peer) !== undefined || out.includes(`- ${peer}: skipped (`),
      `${peer} is neither a row nor a note:\n${out}`,
    );
  }
});
