/**
 * The one rule for a series name, applied to what every writer hands on:
 * Unicode NFC, so `café` typed two ways is one series, and at most
 * `MAX_SERIES_NAME_CHARS` characters, so a 60 KB name cannot push the
 * legend's values off screen. The page shows control and bidi characters
 * visibly; the full name of a cut one is not kept.
 *
 * @module
 */

import type { PointSink } from "./sink.ts";

/** Longest series name kept, in characters (code points), the `…` included. */
export const MAX_SERIES_NAME_CHARS = 200;

/** `name` in NFC, cut to its first 199 characters and `…` when longer than 200. */
export function normaliseSeriesName(name: string): string {
  const normal = name.normalize("NFC");
  // Cheap test first: fewer UTF-16 units than the limit means fewer code points too.
  if (normal.length <= MAX_SERIES_NAME_CHARS) return normal;
  const characters = Array.from(normal);
  if (characters.length <= MAX_SERIES_NAME_CHARS) return normal;
  return characters.slice(0, MAX_SERIES_NAME_CHARS - 1).join("") + "…";
}

/** Spellings remembered per sink; past it a name is normalised at each point. */
const MAX_REMEMBERED_NAMES = 256;

/**
 * `sink` with every series name normalised on the way in. Used for every
 * writer (`Streams.sinkFor`): pushes and the command line's source, before
 * the hub or the backplane, so every process sees the same names.
 */
export function normalisingSink(sink: PointSink): PointSink {
  const normal = new Map<string, string>();
  // The last name and its normal form: a source's names repeat line after line.
  let lastName: string | undefined;
  let lastKept = "";
  return {
    add(name, x, y) {
      if (name !== lastName) {
        let kept = normal.get(name);
        if (kept === undefined) {
          kept = normaliseSeriesName(name);
          if (normal.size < MAX_REMEMBERED_NAMES) normal.set(name, kept);
        }
        lastName = name;
        lastKept = kept;
      }
      return sink.add(lastKept, x, y);
    },
    commit: () => sink.commit(),
    setXKind: (kind) => sink.setXKind(kind),
  };
}
