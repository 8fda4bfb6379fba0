/**
 * The contract between `bench/compare.ts` and its cases: the options of a
 * run, what a case is given (`Context`), what it returns, and the figures
 * each table reports against a baseline measured in the same run.
 *
 * @module
 */

import type { Peer, Tools } from "./servers.ts";

/** The options of one bench run, parsed from the command line. */
export interface Options {
  quick: boolean;
  rounds: number;
  /** Measured window of a fan-out row. */
  measureMs: number;
  warmupMs: number;
  /** `--case` names; undefined runs every default case. */
  cases?: string[];
  /** `--server` names; undefined runs every server. */
  servers?: string[];
  cpuProfDir?: string;
  /** Also write the raw results here (`--json`). */
  json?: string;
  /** The folder the results file goes to (`latest.md`, `latest.json`). */
  out: string;
  /** Viewer processes' runtime: Bun when installed, unless `--client deno`. */
  client: "bun" | "deno";
  /** For development runs: caps every case's viewer count. */
  maxViewers: number;
}

/** What a case is given: the options, the machine's tools and servers, and where to say things. */
export interface Context {
  options: Options;
  tools: Tools;
  /** The peers that run here and were asked for, in row order. */
  peers: Peer[];
  /** Whether `--server` asks for `name` (or names no server at all). */
  wantsServer: (name: string) => boolean;
  /** A failed measurement: listed under "Failed runs"; the run goes on. */
  fail: (what: string, error: unknown) => void;
  /** Stops the case for the rest of the run with a printed reason (never a silent gap). */
  skip: (caseName: string, reason: string) => void;
  /** Progress, on standard error. */
  progress: (line: string) => void;
}

/** One figure against its baseline from the same run, and the target it is held to. */
export interface Figure {
  /** What was measured, e.g. "GET /test server CPU per op, 32 connections". */
  measure: string;
  /** Whose figure: "liveplot" unless said otherwise. */
  server: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run; absent when it could not run (see `missing`). */
  baseline?: { server: string; value: number };
  /** `value / baseline.value`. */
  ratio?: number;
  /** The target (issue 16), e.g. "≤ 1.10×", and whether this run met it. */
  target?: string;
  met?: boolean;
  /** Why there is no baseline or no verdict (e.g. "bun not found"). */
  missing?: string;
}

/** A rendered table: its Markdown lines, the figures for the results file and notes under it. */
export interface Rendered {
  lines: string[];
  figures?: Figure[];
}

/** A table several cases may add rows to; rendered once, after every round. */
export interface Table<R> {
  /** The section's heading; a function when it names a figure of the run (a count). */
  title: string | ((options: Options) => string);
  render(results: R[], context: Context): Rendered;
}

/** One case of the bench: what it measures and how one round runs. */
export interface BenchCase<R = unknown> {
  /** The `--case` name. */
  name: string;
  /** One line for `--help`. */
  about: string;
  /** Runs only when named with `--case` (long or not comparative). */
  optIn?: boolean;
  /** Measured once, after the rounds, instead of once a round. */
  once?: boolean;
  /** Runs only when `--server` names one of these, or no server at all. */
  servers?: string[];
  table: Table<R>;
  /** Measures one round; failures of single rows go to `context.fail`. */
  round(context: Context, round: number): Promise<R[]>;
}

/** Builds a figure, with its ratio and verdict when the baseline and target allow. */
export function figure(
  fields: Omit<Figure, "ratio" | "met" | "server"> & { server?: string },
  check?: (value: number, baseline: number) => boolean,
): Figure {
  const { baseline, value } = fields;
  const out: Figure = { server: "liveplot", ...fields };
  if (!Number.isFinite(value)) {
    out.missing ??= "no figure: the run failed";
    return out;
  }
  if (baseline && Number.isFinite(baseline.value) && baseline.value > 0) {
    out.ratio = value / baseline.value;
    if (check) out.met = check(value, baseline.value);
  } else if (baseline) {
    delete out.baseline;
    out.missing ??= `no figure from ${baseline.server}`;
  } else if (check && !out.missing) {
    // An absolute target (a delay in ms) needs no baseline.
    out.met = check(value, NaN);
  }
  return out;
}
