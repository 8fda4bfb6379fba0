/**
 * Turns input lines into points. Three shapes are understood:
 *
 * - columns: `1 2.5 -3` is one sample, column k is series k; a line of words
 *   before the first sample names the columns (vmstat's header), and a
 *   repeated header line is recognised and skipped;
 * - pairs: `icmp_seq=1 ttl=64 time=0.04 ms` plots each `name=number` token
 *   as series `name` (ping, logfmt), other tokens on the line are ignored;
 * - sxy (`--format sxy`): the seed's own `series x y` lines.
 *
 * Anything else is reported as skipped; the caller counts it.
 *
 * @module
 */

import type { LineFormat, XAxis } from "../config.ts";

/** One point as it travels on the wire: `series x y`, x and y as text. */
export interface Point {
  series: string;
  x: string;
  y: string;
}

/** What one line turned out to be. */
export type ParsedLine =
  | { kind: "points"; points: Point[] }
  | { kind: "names"; names: Map<string, string> }
  | { kind: "header" }
  | { kind: "skipped" };

/** Parses one line; `nowSeconds` is the arrival time used when x is time. */
export type LineParser = (line: string, nowSeconds: number) => ParsedLine;

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const PAIR = /^([A-Za-z_][\w.:-]*)=([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[A-Za-z%]*,?$/;
const WHITESPACE = /\s+/;

/** Returns true when `token` is a plain decimal number (no hex, no NaN). */
export function isNumber(token: string): boolean {
  return NUMBER.test(token);
}

/** Creates a parser; it keeps the state headers and `--x index` need. */
export function createLineParser(format: LineFormat, xAxis: XAxis): LineParser {
  return format === "sxy" ? parseSeriesXY : createColumnParser(xAxis);
}

function parseSeriesXY(line: string): ParsedLine {
  const tokens = tokenize(line);
  if (tokens.length !== 3) return { kind: "skipped" };
  const [series, x, y] = tokens as [string, string, string];
  if (!isNumber(x) || !isNumber(y)) return { kind: "skipped" };
  return { kind: "points", points: [{ series, x, y }] };
}

function createColumnParser(xAxis: XAxis): LineParser {
  const headers = new Set<string>();
  let seenSample = false;
  let index = 0;

  return (line, nowSeconds) => {
    const tokens = tokenize(line);
    if (tokens.length === 0) return { kind: "skipped" };
    const x = () => {
      seenSample = true;
      return String(xAxis === "index" ? index++ : nowSeconds);
    };

    if (tokens.every(isNumber)) {
      const at = x();
      return {
        kind: "points",
        points: tokens.map((y, column) => ({
          series: String(column),
          x: at,
          y,
        })),
      };
    }

    const pairs = tokens.flatMap((token) => {
      const match = PAIR.exec(token);
      return match ? [[match[1] as string, match[2] as string] as const] : [];
    });
    if (pairs.length > 0) {
      const at = x();
      return {
        kind: "points",
        points: pairs.map(([series, y]) => ({ series, x: at, y })),
      };
    }

    if (tokens.some(isNumber)) return { kind: "skipped" };
    const key = tokens.join(" ");
    if (seenSample) {
      return headers.has(key) ? { kind: "header" } : { kind: "skipped" };
    }
    headers.add(key);
    return {
      kind: "names",
      names: new Map(tokens.map((name, column) => [String(column), name])),
    };
  };
}

function tokenize(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === "" ? [] : trimmed.split(WHITESPACE);
}
