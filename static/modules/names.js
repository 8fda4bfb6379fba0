/**
 * Series and stream names as the page shows them: characters that hide or
 * reorder text (controls, bidi overrides, zero-width marks) are shown as
 * `⟨U+202E⟩`, so `\u202Egnp.exe` cannot pass for "exe.png", and a name is
 * cut at `NAME_LIMIT` characters; the full name goes in a `title` (hover).
 *
 * @module
 */

/** A shown name is cut to this many characters (the legend stays readable). */
export const NAME_LIMIT = 200;

/** C0 and C1 controls, zero-width and direction marks, bidi embeddings, overrides, isolates. */
const INVISIBLE =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * `name` with every invisible or reordering character spelled out.
 * @param {string} name
 * @returns {string}
 */
export function visibleName(name) {
  return name.replace(
    INVISIBLE,
    (char) => `⟨U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`,
  );
}

/**
 * `name` as shown: visible, and at most `NAME_LIMIT` characters (code points) with "…".
 * @param {string} name
 * @returns {string}
 */
export function displayName(name) {
  const visible = visibleName(name);
  if (visible.length <= NAME_LIMIT) return visible;
  const points = Array.from(visible);
  return points.length <= NAME_LIMIT ? visible : points.slice(0, NAME_LIMIT - 1).join("") + "…";
}

/**
 * The hover text for a name: the whole name, visible, when the shown one is cut; else "".
 * @param {string} name
 * @returns {string}
 */
export function fullNameTitle(name) {
  const visible = visibleName(name);
  return displayName(name) === visible ? "" : visible;
}
