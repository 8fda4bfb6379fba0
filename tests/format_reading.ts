/**
 * What the format tests share: a small real sink with the sink contract's
 * rules, and `read`, which feeds a text to a real line reader line by line.
 *
 * @module
 */

import {
  createLineReader,
  type FormatName,
  type LineOutcome,
  type XChoice,
} from "../stream/formats/mod.ts";
import { MAX_SERIES, type PointSink, type XKind } from "../stream/sink.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
/** 2026-11-25T20:00:00Z: arrival of the first line in these tests. */
export const ARRIVAL = 1_795_636_800;
/** The series cap every sink keeps. */
export { MAX_SERIES };

/** A small real sink with the contract's rules: 64 series, finite x and y, refusals counted. */
export class TestSink implements PointSink {
  series = new Map<string, [number, number][]>();
  kinds: XKind[] = [];
  refused = 0;
  add(name: string, x: number, y: number): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.#refuse();
    let points = this.series.get(name);
    if (!points) {
      if (this.series.size >= MAX_SERIES) return this.#refuse();
      this.series.set(name, points = []);
    }
    points.push([x, y]);
    return true;
  }
  commit(): void {}
  setXKind(kind: XKind): void {
    this.kinds.push(kind);
  }
  #refuse(): false {
    this.refused++;
    return false;
  }
  names(): string[] {
    return [...this.series.keys()];
  }
  ys(name: string): number[] {
    return (this.series.get(name) ?? []).map(([, y]) => y);
  }
  xs(name: string): number[] {
    return (this.series.get(name) ?? []).map(([x]) => x);
  }
}

/** Reads `text` line by line, one second apart from ARRIVAL. */
export function read(
  text: string,
  format: FormatName | "sxy" = "auto",
  x: XChoice = { kind: "auto" },
  start = ARRIVAL,
) {
  const reader = createLineReader(format, x);
  const sink = new TestSink();
  const outcomes: LineOutcome[] = [];
  const reasons: string[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, index) => {
    const outcome = reader.read(line, start + index, sink);
    outcomes.push(outcome);
    if (outcome === "skipped") reasons.push(reader.skipReason);
  });
  return { sink, outcomes, reasons, detected: reader.detected };
}

/** The text of `tests/fixtures/PATH`. */
export function fixture(path: string): string {
  return Deno.readTextFileSync(`${FIXTURES}${path}`);
}
