/**
 * A backplane writer: a `PointSink` that gathers one read's points as
 * parallel arrays and hands them on as one batch at `commit()`, refusing
 * what the hub would refuse (non-finite numbers, series past the cap) and
 * telling `onRefused` (the local hub counts them and logs the cap, as it
 * does for its own points).
 * Engine-agnostic: the engine decides what "hand on" means.
 *
 * @module
 */

import { MAX_SERIES, type XKind } from "../stream/sink.ts";
import type { BackplaneWriter, Refused } from "./backplane.ts";
import type { Outgoing } from "./redis_entry.ts";

/** A writer for `stream`: gathers one read's points, and hands them to `send` on commit. */
export function createWriter(
  stream: string,
  send: (outgoing: Outgoing) => boolean,
  onRefused: Refused = () => {},
): BackplaneWriter {
  const known = new Set<string>();
  let xKind: XKind | undefined;
  let pending = emptyOutgoing(stream, xKind);
  const counts = { sent: 0, lost: 0 };
  return {
    counts,
    add(name, x, y) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        onRefused(name, false);
        return false;
      }
      if (!known.has(name)) {
        if (known.size >= MAX_SERIES) {
          onRefused(name, true);
          return false;
        }
        known.add(name);
      }
      pending.series.push(nameIndexIn(pending, name));
      pending.xs.push(x);
      pending.ys.push(y);
      pending.bytes += 24;
      return true;
    },
    commit() {
      if (pending.xs.length === 0) return;
      const outgoing = pending;
      pending = emptyOutgoing(stream, xKind);
      if (send(outgoing)) counts.sent += outgoing.xs.length;
      else counts.lost += outgoing.xs.length;
    },
    setXKind(kind) {
      xKind = kind;
      pending.xKind = kind;
    },
  };
}

/** A batch with no points yet. */
export function emptyOutgoing(stream: string, xKind: XKind | undefined): Outgoing {
  return {
    stream,
    xKind,
    names: [],
    nameIndex: new Map(),
    series: [],
    xs: [],
    ys: [],
    bytes: 64,
    sequence: undefined,
  };
}

/** Appends `source`'s points to `target` (not yet sent), mapping series names. */
export function mergeInto(target: Outgoing, source: Outgoing): void {
  target.xKind = source.xKind ?? target.xKind;
  const remap = source.names.map((name) => nameIndexIn(target, name));
  for (let i = 0; i < source.xs.length; i++) {
    target.series.push(remap[source.series[i] as number] as number);
    target.xs.push(source.xs[i] as number);
    target.ys.push(source.ys[i] as number);
  }
  target.bytes += source.xs.length * 24;
}

/** The index of series `name` in a batch, added (and its bytes counted) on first use. */
function nameIndexIn(outgoing: Outgoing, name: string): number {
  let index = outgoing.nameIndex.get(name);
  if (index === undefined) {
    index = outgoing.names.length;
    outgoing.names.push(name);
    outgoing.nameIndex.set(name, index);
    outgoing.bytes += name.length + 4;
  }
  return index;
}
