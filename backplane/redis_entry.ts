/**
 * How one batch is written as a Redis stream entry and read back. Fields:
 * `w` the writer's id, `q` its sequence number (for deduplication), `k` what
 * x means, `n` the series names as a JSON array, `p` the points as
 * `INDEX X Y` triples separated by spaces, numbers in their shortest
 * round-trip form. Plain text, so `redis-cli XRANGE` shows what was sent.
 *
 * @module
 */

import type { XKind } from "../stream/sink.ts";
import type { Batch } from "./backplane.ts";

/** A batch waiting to be sent; `sequence` is fixed when it is first sent. */
export interface Outgoing {
  stream: string;
  xKind: XKind | undefined;
  names: string[];
  nameIndex: Map<string, number>;
  series: number[];
  xs: number[];
  ys: number[];
  /** Estimated size, for the queue's bound. */
  bytes: number;
  sequence: number | undefined;
}

/** A decoded entry, with who wrote it. */
export interface DecodedEntry {
  batch: Batch;
  writer: string;
  sequence: number;
}

const X_KINDS = new Set<string>(["time", "index", "number"]);

/** The field/value list of an entry for `outgoing`, for `XADD`. */
export function encodeEntry(outgoing: Outgoing, writerId: string): string[] {
  const parts: string[] = new Array(outgoing.xs.length * 3);
  for (let i = 0; i < outgoing.xs.length; i++) {
    parts[i * 3] = String(outgoing.series[i]);
    parts[i * 3 + 1] = String(outgoing.xs[i]);
    parts[i * 3 + 2] = String(outgoing.ys[i]);
  }
  return [
    "w",
    writerId,
    "q",
    String(outgoing.sequence),
    "k",
    outgoing.xKind ?? "",
    "n",
    JSON.stringify(outgoing.names),
    "p",
    parts.join(" "),
  ];
}

/** A decoder of raw entries; `undefined` for an entry liveplot did not write. */
export function createBatchDecoder(): (
  id: string,
  fields: readonly string[],
  epoch: string,
  gap: boolean,
) => DecodedEntry | undefined {
  return (id, fields, epoch, gap) => {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      values.set(fields[i] as string, fields[i + 1] as string);
    }
    const writer = values.get("w");
    const sequence = Number(values.get("q"));
    const points = values.get("p");
    let names: unknown;
    try {
      names = JSON.parse(values.get("n") ?? "null");
    } catch {
      return undefined;
    }
    if (!writer || !Number.isSafeInteger(sequence) || points === undefined) return undefined;
    if (!Array.isArray(names) || !names.every((name) => typeof name === "string")) {
      return undefined;
    }
    const numbers = points === "" ? [] : points.split(" ");
    const count = Math.floor(numbers.length / 3);
    const series = new Uint16Array(count);
    const xs = new Float64Array(count);
    const ys = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const index = Number(numbers[i * 3]);
      if (!(index >= 0 && index < names.length)) return undefined;
      series[i] = index;
      xs[i] = Number(numbers[i * 3 + 1]);
      ys[i] = Number(numbers[i * 3 + 2]);
    }
    const kind = values.get("k") ?? "";
    const xKind = X_KINDS.has(kind) ? kind as XKind : undefined;
    return {
      writer,
      sequence,
      batch: { id, epoch, xKind, names, series, xs, ys, gap },
    };
  };
}
