/**
 * A command's standard error: passed through to liveplot's own as it comes,
 * with the last few lines kept so the page can show why a command failed.
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

/** Where the stream is copied to: liveplot's standard error. */
export interface Writer {
  /** Writes some of `bytes`; resolves to how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** A stream's last lines, kept while it is read. */
export interface StderrTail {
  /** The last `STDERR_LINES` non-blank lines so far, newest last. */
  readonly lines: readonly string[];
  /** Settles when the stream has ended (or broken). */
  readonly done: Promise<void>;
}

/**
 * Copies `stream` to `out` as it arrives, keeping its last `STDERR_LINES`
 * non-blank lines, each cut to `STDERR_LINE_CHARS`.
 */
export function tailStderr(stream: ReadableStream<Uint8Array>, out: Writer): StderrTail {
  const lines: string[] = [];
  async function* passedThrough(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      try {
        // A pipe may take part of a chunk at a time.
        for (let written = 0; written < chunk.length;) {
          written += await out.write(chunk.subarray(written));
        }
      } catch {
        // liveplot's own stderr is gone: the lines are still kept for the page.
      }
      yield chunk;
    }
  }
  const done = (async () => {
    try {
      for await (const batch of splitLines(passedThrough(), STDERR_MAX_LINE_BYTES, () => {})) {
        for (const line of batch) {
          if (line.trim() === "") continue;
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
