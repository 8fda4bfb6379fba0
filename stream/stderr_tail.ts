/**
 * A command's standard error: each line handed on as it comes (source.ts
 * logs it as a `source-stderr` event, so liveplot's standard error stays one
 * `key=value` line per event, escaped), with the last few lines kept so the
 * page can show why a command failed.
 *
 * @module
 */

import { splitLines } from "./line_splitter.ts";

/** Lines of a command's standard error kept for the page. */
export const STDERR_LINES = 5;
/** A kept line is cut to this many characters: enough for any error message. */
export const STDERR_LINE_CHARS = 200;
/** Longest stderr line split out; past it the rest of the line is dropped, memory stays bounded. */
const STDERR_MAX_LINE_BYTES = 4096;

/** A stream's last lines, kept while it is read. */
export interface StderrTail {
  /** The last `STDERR_LINES` non-blank lines so far, newest last. */
  readonly lines: readonly string[];
  /** Settles when the stream has ended (or broken). */
  readonly done: Promise<void>;
}

/**
 * Reads `stream`, handing each non-blank line to `onLine` as it comes (cut
 * at 4 KiB) and keeping its last `STDERR_LINES`, each cut to `STDERR_LINE_CHARS`.
 */
export function tailStderr(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): StderrTail {
  const lines: string[] = [];
  const done = (async () => {
    try {
      for await (const batch of splitLines(stream, STDERR_MAX_LINE_BYTES, () => {})) {
        for (const line of batch) {
          if (line.trim() === "") continue;
          onLine(line);
          lines.push(
            line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}…` : line,
          );
          if (lines.length > STDERR_LINES) lines.shift();
        }
      }
    } catch {
      // The pipe broke: what was kept stands.
    }
  })();
  return { lines, done };
}
