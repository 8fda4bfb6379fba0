/**
 * `deno task bench`: liveplot against the servers a user would pick instead,
 * and against a bare `Deno.serve` baseline, every figure measured in the same
 * run.
 *
 * This file is the driver: it parses the flags, finds which peers run here
 * (a missing one is a printed note, never a silent row), runs the cases of
 * `cases/mod.ts` round by round, prints one Markdown report and writes it as
 * the results file docs cite (`bench/results/latest.md`, and `latest.json`
 * with the date, the machine and each figure against its baseline). The
 * cases live in `cases/`, one a file; shared helpers in `lib/`.
 *
 * Loopback only; every run is bounded in time and stops by itself.
 *
 * Usage: deno run -A bench/compare.ts [--quick] [--rounds N] [--case NAME]…
 *   [--server NAME]… [--measure S] [--cpu-prof DIR] [--json FILE] [--out DIR]
 *   [--client bun|deno] [--viewers MAX (development: caps every case)]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CASES } from "./cases/mod.ts";
import type { BenchCase, Context, Figure, Options, Rendered, Table } from "./lib/case.ts";
import { fmt } from "./lib/format.ts";
import { machineSummary } from "./lib/proc.ts";
import { commandOutput } from "./lib/process.ts";
import { profileSummary } from "./lib/profile.ts";
import { BENCH, type Peer, peers, type Tools } from "./lib/servers.ts";

/** A bad flag or case name: one line for the user, exit 2. */
export class UsageError extends Error {}

const SERVER_NAMES = ["liveplot", "liveplot-text", "bun", "nchan", "deno", "node", "redis"];

/** The usage text, with every case and what it measures. */
export function usage(): string {
  const cases = CASES.map((c) => `  ${c.name.padEnd(16)} ${c.about}${c.optIn ? " (opt-in)" : ""}`);
  return [
    "Usage: deno task bench [--quick] [--rounds N] [--case NAME]… [--server NAME]… " +
    "[--measure S] [--cpu-prof DIR] [--json FILE] [--out DIR] [--client bun|deno] [--viewers MAX]",
    "",
    "Cases (all but opt-in ones by default):",
    ...cases,
    "",
    `Servers: ${SERVER_NAMES.join(", ")}`,
  ].join("\n");
}

function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new UsageError(`Invalid --${flag} "${text}": a positive number`);
  return value;
}

/** The options of a run from its arguments; throws `UsageError` on a bad one. */
export function parseOptions(args: string[]): Options & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        rounds: { type: "string" },
        case: { type: "string", multiple: true },
        server: { type: "string", multiple: true },
        measure: { type: "string" },
        "cpu-prof": { type: "string" },
        json: { type: "string" },
        out: { type: "string" },
        viewers: { type: "string" },
        client: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  for (const name of values.case ?? []) {
    if (!CASES.some((c) => c.name === name)) {
      throw new UsageError(`Unknown case "${name}": one of ${CASES.map((c) => c.name).join(", ")}`);
    }
  }
  for (const name of values.server ?? []) {
    if (!SERVER_NAMES.includes(name)) {
      throw new UsageError(`Unknown server "${name}": one of ${SERVER_NAMES.join(", ")}`);
    }
  }
  const client = values.client ?? "bun";
  if (client !== "bun" && client !== "deno") {
    throw new UsageError(`Invalid --client "${client}": bun or deno`);
  }
  const quick = values.quick;
  return {
    help: values.help,
    quick,
    rounds: positive("rounds", values.rounds, quick ? 1 : 3),
    measureMs: positive("measure", values.measure, quick ? 2 : 5) * 1000,
    warmupMs: quick ? 1000 : 1500,
    cases: values.case,
    servers: values.server,
    cpuProfDir: values["cpu-prof"],
    json: values.json,
    out: values.out ?? `${BENCH}results`,
    client,
    maxViewers: positive("viewers", values.viewers, Infinity),
  };
}

/** The cases a run measures, in registry order. */
export function selectCases(options: Options): BenchCase<unknown>[] {
  return CASES.filter((c) => options.cases ? options.cases.includes(c.name) : !c.optIn).filter((
    c,
  ) => !c.servers || !options.servers || c.servers.some((name) => options.servers!.includes(name)));
}

/** What the machine has: versions of the peers' runtimes and why a peer cannot run. */
async function findTools(options: Options) {
  const bun = await commandOutput("bun", ["--version"]);
  const node = await commandOutput("node", ["--version"]);
  let nodeWsMissing = node ? undefined : "node not found";
  if (node) {
    try {
      await Deno.stat(`${BENCH}peers/node_modules/ws/package.json`);
    } catch {
      nodeWsMissing = "ws not installed in bench/peers/node_modules";
    }
  }
  const nginx = await commandOutput("nginx", ["-v"]);
  const hardLimit = Number(await commandOutput("sh", ["-c", "ulimit -Hn"]));
  const tools: Tools = { bun, nodeWsMissing, cpuProfDir: options.cpuProfDir };
  return { tools, node, nginx, hardLimit };
}

/** One report section per table, in the order tables first appear among the cases. */
function renderTables(
  cases: BenchCase<unknown>[],
  results: Map<Table<unknown>, unknown[]>,
  context: Context,
): { sections: string[]; figures: Figure[] } {
  const sections: string[] = [];
  const figures: Figure[] = [];
  for (const table of new Set(cases.map((c) => c.table))) {
    const rows = results.get(table) ?? [];
    if (rows.length === 0) continue;
    const title = typeof table.title === "string" ? table.title : table.title(context.options);
    const rendered: Rendered = table.render(rows, context);
    sections.push(`## ${title}\n\n${rendered.lines.join("\n")}`);
    figures.push(...(rendered.figures ?? []));
  }
  return { sections, figures };
}

/** The figures against their baselines, as one table. */
export function baselineTable(figures: Figure[]): string {
  const value = (n: number, unit: string) => `${fmt(n, unit === "s" ? 3 : undefined)} ${unit}`;
  const rows = figures.map((f) => {
    const base = f.baseline
      ? `${value(f.baseline.value, f.unit)} (${f.baseline.server})`
      : `– (${f.missing ?? "no baseline"})`;
    const met = f.met === undefined ? "–" : f.met ? "yes" : "NO";
    const ratio = f.ratio === undefined ? "–" : `${fmt(f.ratio, 2)}×`;
    return `| ${f.measure} | ${f.server} | ${value(f.value, f.unit)} | ${base} | ${ratio} | ` +
      `${f.target ?? "–"} | ${met} |`;
  });
  return [
    "| measure | server | figure | baseline (same run) | ratio | target | met |",
    "|---|---|--:|--:|--:|---|:-:|",
    ...rows,
  ].join("\n");
}

/** Runs the bench with `options`; returns the report, which it also writes to `options.out`. */
export async function runBench(options: Options): Promise<string> {
  const { tools, node, nginx, hardLimit } = await findTools(options);
  const machine = machineSummary();
  const started = new Date();
  const notes: string[] = [];
  const available: Peer[] = [];
  for (const peer of peers(tools)) {
    if (options.servers && !options.servers.includes(peer.name)) continue;
    const missing = await peer.missing();
    if (missing) notes.push(`${peer.name}: skipped (${missing}; see \`deno task bench:setup\`)`);
    else available.push(peer);
  }
  const cases = selectCases(options);
  if (options.cpuProfDir) await Deno.mkdir(options.cpuProfDir, { recursive: true });
  if (options.maxViewers < Infinity) notes.push(`viewers capped at ${options.maxViewers}`);
  if (hardLimit < 10_500 && cases.some((c) => c.name === "10000x100")) {
    notes.push(`open-file hard limit ${hardLimit}: 10,000 viewers may fail to connect`);
  }
  const viewers = tools.bun && options.client === "bun" ? "Bun" : "Deno";
  const header = [
    `# liveplot comparison bench, ${started.toISOString().slice(0, 16).replace("T", " ")} UTC` +
    (options.quick ? " (quick)" : ""),
    "",
    `${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, load average at start ` +
    `${machine.load}; Deno ${Deno.version.deno}, Bun ${tools.bun ?? "–"}, ${nginx ?? "nginx –"}, ` +
    `Node ${node ?? "–"}. Viewers: ${viewers} WebSocket clients in 1–4 processes. ` +
    `${options.rounds} round(s), ${options.measureMs / 1000} s measured after ` +
    `${options.warmupMs / 1000} s warm-up per row; medians over rounds; (×) = ratio to liveplot. ` +
    `Cases: ${cases.map((c) => c.name).join(", ")}.`,
    "",
    ...notes.map((note) => `- ${note}`),
  ].join("\n");
  console.log(header);

  const errors: string[] = [];
  const skipped = new Map<string, string>();
  const context: Context = {
    options,
    tools,
    peers: available,
    wantsServer: (name) => !options.servers || options.servers.includes(name),
    fail: (what, error) => {
      const message = `${what}: ${error instanceof Error ? error.message : error}`;
      errors.push(message);
      console.error(`failed: ${message}`);
    },
    skip: (name, reason) => skipped.set(name, reason),
    progress: (line) => console.error(line),
  };
  const results = new Map<Table<unknown>, unknown[]>();
  const measure = async (benchCase: BenchCase<unknown>, round: number) => {
    if (skipped.has(benchCase.name)) return;
    try {
      const rows = await benchCase.round(context, round);
      results.set(benchCase.table, [...(results.get(benchCase.table) ?? []), ...rows]);
    } catch (error) {
      // Cases report their rows' failures themselves; this is one that escaped.
      context.fail(`${benchCase.name} round ${round + 1}`, error);
    }
  };
  for (let round = 0; round < options.rounds; round++) {
    for (const benchCase of cases.filter((c) => !c.once)) await measure(benchCase, round);
  }
  for (const benchCase of cases.filter((c) => c.once)) await measure(benchCase, 0);

  const { sections, figures } = renderTables(cases, results, context);
  const tail: string[] = [];
  if (sections.length === 0) tail.push("(no rows)");
  tail.push(...sections);
  if (figures.length > 0) {
    tail.push(
      `## Against baselines from the same run (targets: issue 16)\n\n${baselineTable(figures)}`,
    );
  }
  if (skipped.size > 0) {
    tail.push([...skipped].map(([name, reason]) => `- ${name}: skipped (${reason})`).join("\n"));
  }
  if (errors.length > 0) tail.push(`## Failed runs\n\n${errors.map((e) => `- ${e}`).join("\n")}`);
  if (options.cpuProfDir) {
    tail.push(
      `## liveplot CPU profile\n\n${(await profileSummary(options.cpuProfDir)).join("\n")}`,
    );
  }
  const body = tail.join("\n\n");
  console.log(`\n${body}`);
  const report = `${header}\n\n${body}\n`;

  const json = JSON.stringify(
    {
      date: started.toISOString(),
      quick: options.quick,
      machine,
      versions: { deno: Deno.version.deno, bun: tools.bun, node, nginx },
      rounds: options.rounds,
      measureMs: options.measureMs,
      cases: cases.map((c) => c.name),
      notes,
      figures,
      results: Object.fromEntries(
        [...results].map(([table, rows]) => [
          typeof table.title === "string" ? table.title : table.title(options),
          rows,
        ]),
      ),
      skipped: Object.fromEntries(skipped),
      errors,
    },
    null,
    2,
  ) + "\n";
  await Deno.mkdir(options.out, { recursive: true });
  await Deno.writeTextFile(`${options.out}/latest.md`, report);
  await Deno.writeTextFile(`${options.out}/latest.json`, json);
  if (options.json) await Deno.writeTextFile(options.json, json);
  console.error(`results: ${options.out}/latest.md, latest.json`);
  return report;
}

if (import.meta.main) {
  let options;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message} (see --help)`);
    Deno.exit(2);
  }
  if (options.help) {
    console.log(usage());
    Deno.exit(0);
  }
  await runBench(options);
}
