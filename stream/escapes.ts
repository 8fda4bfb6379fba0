/**
 * Terminal escape sequences in a line of text, removed before it is read:
 * ESP-IDF's coloured log over a serial port (`\x1b[0;32mI (121) app:
 * temp=21.5\x1b[0m`), `docker stats` clearing the screen before each table
 * (`\x1b[2J\x1b[H`), a coloured `grep` in a pipe. Any source's lines may hold
 * them, so every line read goes through `readableText` (stream/line_feed.ts)
 * whatever its source. A command's output under `script` has had them removed
 * from its bytes already (stream/unbuffer.ts), with a terminal's `\r`.
 *
 * Removed: CSI (`ESC [` parameters, intermediates and a final byte: colours,
 * cursor moves, erasing), strings (`ESC ]` OSC, `ESC P` DCS, `ESC X`, `ESC ^`,
 * `ESC _`) up to BEL or `ESC \`, and the short ones (`ESC 7`, `ESC =`,
 * `ESC ( B`). A sequence cut by the line's end is removed to it. Other control
 * characters stay, and the line is then no text.
 *
 * @module
 */

import { isText } from "./formats/headers.ts";

/** One escape sequence, with any ESC just before it. */
const SEQUENCE = new RegExp(
  String.raw`\x1b+(?:` + [
    // CSI: parameter bytes, intermediate bytes, a final byte.
    String.raw`\[[0-?]*[ -/]*(?:[@-~]|$)`,
    // OSC, DCS, SOS, PM, APC: a string up to BEL or ESC \ (another ESC does not end it).
    String.raw`[\]PX^_](?:[^\x07\x1b]|\x1b(?!\\))*(?:\x07|\x1b\\|$)`,
    // The short ones: ESC 7, ESC =, and ESC ( B after intermediate bytes.
    String.raw`[ -/]*(?:[0-~]|$)`,
  ].join("|") + ")",
  "g",
);

/** `line` without its escape sequences: `line` itself when it holds no ESC. */
export function withoutEscapes(line: string): string {
  return line.includes("\x1b") ? line.replace(SEQUENCE, "") : line;
}

/**
 * `line` as text to read: itself when it is text (most lines: one test),
 * else without its escape sequences when that leaves text, else undefined
 * (binary, or control characters besides escapes).
 */
export function readableText(line: string): string | undefined {
  if (isText(line)) return line;
  const stripped = withoutEscapes(line);
  return stripped !== line && isText(stripped) ? stripped : undefined;
}
