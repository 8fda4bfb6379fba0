/**
 * A command's standard error: each line handed on as it comes (source.ts
 * logs it as a `source-stderr` event, so liveplot's standard error stays one
 * `key=value` line per event, escaped), with the last few lines kept so the
 * page can show why a command failed.
 *
 * @module
 */

/**
 * Lines of a command's standard error logged whole each second (`source-stderr`): a traceback's
 * worth; past it they are counted, or written as debug lines with `--verbose` (log.ts `boundLines`).
 */
export const STDERR_LOG_LINES_PER_SECOND = 50;
/** Lines of a command's standard error kept for the page. */
export const STDERR_LINES = 5;
/** A kept line is cut to this many characters: enough for any error message. */
export const STDERR_LINE_CHARS = 200;
/**
 * Longest stderr line handed on whole; a longer one is handed on cut here, with its length
 * (`…(2000000 bytes)`), so memory stays bounded and the line is never lost.
 */
export const STDERR_MAX_LINE_BYTES = 4096;

/** A stream's last lines, kept while it is read. */
export interface StderrTail {
  /** The last `STDERR_LINES` non-blank lines so far, newest last. */
  readonly lines: readonly string[];
  /** Settles when the stream has ended (or broken). */
  readonly done: Promise<void>;
}

/**
 * Reads `stream`, handing each non-blank line to `onLine` as it comes (cut
 * at 4 KiB, with its length) and keeping its last `STDERR_LINES`, each cut to
 * `STDERR_LINE_CHARS`.
 */
export function tailStderr(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): StderrTail {
  const lines: string[] = [];
  const done = (async () => {
    try {
      for await (const line of boundedLines(stream)) {
        if (line.trim() === "") continue;
        onLine(line);
        lines.push(
          line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}…` : line,
        );
        if (lines.length > STDERR_LINES) lines.shift();
      }
    } catch {
      // The pipe broke: what was kept stands.
    }
  })();
  return { lines, done };
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;

/**
 * The lines of `stream` (`\r\n` or `\n`; the last may have none), each over
 * `STDERR_MAX_LINE_BYTES` cut there, at a character's start, and marked with
 * its length in bytes. Only the first bytes of a line are kept.
 */
async function* boundedLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  // One byte more than the bound: the `\r` of a `\r\n`, or the byte that says where to cut.
  const kept = new Uint8Array(STDERR_MAX_LINE_BYTES + 1);
  let keptBytes = 0;
  let total = 0;
  let last = 0;
  const finish = (): string => {
    const bytes = total - (last === RETURN ? 1 : 0);
    total = 0;
    if (bytes <= STDERR_MAX_LINE_BYTES) return decoder.decode(kept.subarray(0, bytes));
    let cut = STDERR_MAX_LINE_BYTES;
    // Not inside a character: back to the start of the one the bound falls in.
    while (cut > 0 && (kept[cut]! & 0xc0) === 0x80) cut--;
    return `${decoder.decode(kept.subarray(0, cut))}…(${bytes} bytes)`;
  };
  for await (const chunk of stream) {
    let from = 0;
    while (from <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const end = newline === -1 ? chunk.length : newline;
      if (end > from) {
        if (total === 0) keptBytes = 0;
        const piece = chunk.subarray(from, Math.min(end, from + kept.length - keptBytes));
        kept.set(piece, keptBytes);
        keptBytes += piece.length;
        total += end - from;
        last = chunk[end - 1]!;
      }
      if (newline === -1) break;
      if (total === 0) last = 0;
      yield finish();
      from = newline + 1;
    }
  }
  if (total > 0) yield finish();
}
