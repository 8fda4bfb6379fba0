/**
 * The stream-name rule: what `/s/NAME`, `--stream` and a push may call a
 * stream, and the names the routes keep for themselves.
 *
 * @module
 */

/** Names a stream may have: letters, digits, `-`, `_` and `.`, at most 64. */
const STREAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Names the routes under `/s/NAME` use for themselves, so no stream may have them. */
const RESERVED_STREAM_NAMES: readonly string[] = ["data", "range", ".", ".."];
/** The reserved names in words: `"data", "range", "." and "..", and names ending in ".csv"`. */
export const RESERVED_NAMES_TEXT = `${
  RESERVED_STREAM_NAMES.slice(0, -1).map((name) => `"${name}"`).join(", ")
} and "${RESERVED_STREAM_NAMES.at(-1)}", and names ending in ".csv"`;

/** Why `name` cannot name a stream, or undefined when it can. */
export function streamNameProblem(name: string): string | undefined {
  if (!STREAM_NAME.test(name)) {
    return "Stream names are letters, digits, '-', '_' and '.', at most 64 characters";
  }
  if (RESERVED_STREAM_NAMES.includes(name)) {
    return `Stream name "${name}" is reserved: /s/NAME/${name} is a route`;
  }
  if (name.endsWith(".csv")) {
    return `Stream names cannot end in ".csv": /s/NAME.csv is stream NAME's CSV export`;
  }
  return undefined;
}

/**
 * Why `name`, a stream name's letters, is kept for the routes (`/s/NAME/data is a route`), or
 * undefined when it is not.
 */
export function reservedBecause(name: string): string | undefined {
  if (!STREAM_NAME.test(name)) return undefined;
  if (name === "." || name === "..") return `a URL's path reads "${name}" as a folder`;
  if (RESERVED_STREAM_NAMES.includes(name)) return `/s/NAME/${name} is a route`;
  if (name.endsWith(".csv")) return `/s/NAME.csv is stream NAME's CSV export`;
  return undefined;
}

/** Returns true when `name` is a valid stream name. */
export function isStreamName(name: string): boolean {
  return streamNameProblem(name) === undefined;
}
