/**
 * What a labelled pair is, and what may name one: shared by the shapes of
 * pairs (pairs.ts, colon_pairs.ts).
 *
 * @module
 */

import { X_NAMES } from "./types.ts";

/** One labelled value; `value` is NaN for an x-named field holding text (`ts=2024-…`). */
export interface Pair {
  name: string;
  value: number;
  /** The value as written, for timestamps. */
  text: string;
  /** The value is no number, though written as one (`0x10`): a point to refuse and count. */
  refused?: boolean;
}

/** Words a name may have (`Heat index`, `Approx. Altitude`): a label's, never a sentence's. */
export const MAX_NAME_WORDS = 3;

/** How a number starts: a value starting so that is not one is refused, not taken for a word. */
export const NUMBER_START = /^[-+]?\.?\d/;

/**
 * Stands for a comma between digits on a line whose commas separate pairs: it
 * makes `1,5` one value, which is no number (refused), never 1 and a stray 5.
 * (A NUL of the line's own, binary, means nothing unless the line was marked.)
 */
export const AMBIGUOUS_COMMA = "\u0000";

const LETTER = /[\p{L}_]/u;

/**
 * A word that may be (part of) a name: not number-led (`5`, `.5`, `0:03.58`)
 * and holding a letter or `_` (`temp`, `{x}`, `%Cpu(s)`; not `(29)`).
 */
export function isName(word: string): boolean {
  // Most names start with an ASCII letter: no need to look further.
  const lower = word.charCodeAt(0) | 32;
  return (lower >= 97 && lower <= 122) || (!NUMBER_START.test(word) && LETTER.test(word));
}

/** `time` with a unit becomes `time_ms`: x is called time too. */
export function withUnit(name: string, unit: string): string {
  return unit !== "" && X_NAMES.has(name) ? `${name}_${unit}` : name;
}

/** A name without the double quotes around it: `"temp (°C)"` is `temp (°C)`. */
export function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1);
  }
  return trimmed;
}
