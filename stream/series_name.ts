/**
 * The one rule for a series name, applied where a hub first meets a name:
 * Unicode NFC, so `café` typed two ways is one series, and at most
 * `MAX_SERIES_NAME_CHARS` characters, so a 60 KB name cannot push the
 * legend's values off screen. The page shows control and bidi characters
 * visibly; the full name of a cut one is not kept.
 *
 * @module
 */

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
