/**
 * `--record FILE`: every input line with its arrival time, appended to FILE.
 *
 * The format is plain text, one line per input line:
 *
 * ```
 * # liveplot recording v1
 * # session 2026-11-25T20:04:03.123Z
 * 1764101043.123456\t12.5 3.25
 * 1764101043.1234561\t12.6 3.5
 * ```
 *
 * The first line marks the file (written when it is new or empty); each
 * start of liveplot adds a `# session <ISO 8601 time>` comment line, so a
 * replay does not wait out the time between sessions. When the file's last
 * line was cut short (a crash, a full disk), `CUT_MARK` and a newline end it
 * first: the two stay apart, and a replay still skips the cut line, which a
 * plain newline would have made whole (`x=123` cut to `x=1` would play as 1).
 * A data line is the arrival time in seconds since the Unix
 * epoch, written exactly (JavaScript's shortest round-trip decimal: a replay
 * gets the very same x), a tab, and the line as it was read (no newline; tabs
 * in it are kept, only the first tab separates). Lines starting with `#` are comments.
 *
 * Recording never holds the stream back: lines wait in memory and are
 * written by one asynchronous loop, at most `flushIntervalMs` after they
 * arrive (so a crash of liveplot loses at most that; the file is not
 * fsynced, so a crash of the machine may lose what the OS had not written).
 * When the disk falls behind and `maxBufferedBytes` are waiting, further
 * lines are dropped and counted, with one warning. A write error (disk full,
 * permission) is logged once as one line, recording stops, and `onFailure`
 * is called: liveplot goes on serving, or with `--record-required` stops.
 *
 * @module
 */

import { describeError, type Logger } from "../log.ts";

/** The first line of every recording. */
export const RECORDING_HEADER = "# liveplot recording v1";
/** How a session line begins. */
export const SESSION_PREFIX = "# session ";
/**
 * What ends a line cut short before the next session's line: ESC \ (a terminal's string
 * terminator) and CAN. No line liveplot reads as text can end so (a control character is left
 * whatever escape sequence the line had begun: stream/escapes.ts), so a replay that skips the
 * lines ending with it skips no input that gave points live.
 */
export const CUT_MARK = "\x1b\\\x18";
/** Longest a recorded line waits in memory: well within the promised second. */
export const RECORD_FLUSH_INTERVAL_MS = 200;
/** Memory for lines the disk has not taken yet: a backstop, not a cache. */
export const RECORD_BUFFER_BYTES = 8 * 1024 * 1024;
/** Waiting text that starts a write at once rather than at the next interval. */
const EAGER_WRITE_BYTES = 1024 * 1024;

/** Error thrown when a recording cannot be opened, or passed to `onFailure` when a write fails. */
export class RecordError extends Error {
  override name = "RecordError";
}

/** How to record. */
export interface RecorderOptions {
  log: Logger;
  /** `--record-required`: only changes what the failure line says; the caller stops in `onFailure`. */
  required?: boolean;
  /** Called once when a write fails and recording has stopped. */
  onFailure?: (error: RecordError) => void;
  maxBufferedBytes?: number;
  flushIntervalMs?: number;
}

/**
 * Opens (or creates) `path` for appending; throws `RecordError` when it
 * cannot be opened or is a file that is not a recording.
 */
export async function openRecorder(path: string, options: RecorderOptions): Promise<Recorder> {
  const { firstLine, cut } = await readEnds(path);
  if (firstLine !== undefined && firstLine !== RECORDING_HEADER) {
    throw new RecordError(`Cannot record to "${path}": it is not a liveplot recording`);
  }
  let file: Deno.FsFile;
  try {
    // Only its owner may read it: it holds every input line, which --read-token guards over HTTP.
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  } catch (error) {
    throw new RecordError(`Cannot open recording "${path}": ${describe(error)}`);
  }
  const session = `${SESSION_PREFIX}${new Date().toISOString()}\n`;
  // A last line cut short (a crash, a full disk) ends here, or the session line would join it;
  // marked, so that a replay still knows it for a line cut short.
  const preamble = firstLine === undefined
    ? `${RECORDING_HEADER}\n${session}`
    : `${cut ? `${CUT_MARK}\n` : ""}${session}`;
  return new Recorder(path, file, options, preamble);
}

/** Appends lines to a recording from a bounded buffer; see the module comment. */
export class Recorder {
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #options: RecorderOptions;
  readonly #maxBufferedBytes: number;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> | undefined;
  #dropped = 0;
  #failed = false;
  #closed = false;

  /** Use `openRecorder`; `preamble` is the header and session lines. */
  constructor(path: string, file: Deno.FsFile, options: RecorderOptions, preamble: string) {
    this.path = path;
    this.#file = file;
    this.#options = options;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? RECORD_BUFFER_BYTES;
    this.#queue(preamble);
  }

  /** Lines dropped because the disk fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once a write has failed: nothing more is recorded. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Records one read's lines; `arrivals[i]` is line i's arrival, seconds since the epoch. */
  record(lines: readonly string[], arrivals: ArrayLike<number>): void {
    if (this.#failed || this.#closed || lines.length === 0) return;
    let text = "";
    for (let index = 0; index < lines.length; index++) {
      text += `${arrivals[index]}\t${lines[index]}\n`;
    }
    if (this.#pendingBytes + text.length > this.#maxBufferedBytes) {
      if (this.#dropped === 0) {
        this.#options.log.warn("record-dropping", {
          file: this.path,
          note: "the disk is slower than the input: lines are dropped and counted",
        });
      }
      this.#dropped += lines.length;
      return;
    }
    this.#queue(text);
  }

  #queue(text: string): void {
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    if (this.#writing) return;
    if (this.#pendingBytes >= EAGER_WRITE_BYTES) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#writing = this.#drain();
    } else if (this.#timer === undefined) {
      const interval = this.#options.flushIntervalMs ?? RECORD_FLUSH_INTERVAL_MS;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#writing ??= this.#drain();
      }, interval);
    }
  }

  /** Writes everything waiting now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing) await this.#writing;
    if (this.#pending.length > 0 && !this.#failed) {
      this.#writing = this.#drain();
      await this.#writing;
    }
  }

  /** Writes what waits and closes the file; later lines are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (!this.#failed) this.#file.close();
    if (this.#dropped > 0) {
      this.#options.log.warn("record-dropped", { file: this.path, lines: this.#dropped });
    }
  }

  /** The one write loop: takes all that waits, writes it, again until nothing waits. */
  async #drain(): Promise<void> {
    const encoder = new TextEncoder();
    try {
      while (this.#pending.length > 0 && !this.#failed) {
        const bytes = encoder.encode(this.#pending.join(""));
        this.#pending = [];
        this.#pendingBytes = 0;
        let offset = 0;
        while (offset < bytes.length) offset += await this.#file.write(bytes.subarray(offset));
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#writing = undefined;
    }
  }

  #fail(cause: unknown): void {
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#file.close();
    } catch {
      // Already unusable.
    }
    const error = new RecordError(`Cannot write recording "${this.path}": ${describe(cause)}`);
    this.#options.log.error("record-failed", {
      error: error.message,
      note: this.#options.required
        ? "stopping: --record-required"
        : "liveplot goes on without recording",
    });
    this.#options.onFailure?.(error);
  }
}

/**
 * The first line of an existing, non-empty regular file (undefined when there is none), and
 * whether its last byte is not a newline: its last line was cut short.
 */
async function readEnds(path: string): Promise<{ firstLine?: string; cut: boolean }> {
  let file: Deno.FsFile;
  try {
    // Only a regular file has a first line worth checking (not /dev/full, a FIFO).
    if (!(await Deno.stat(path)).isFile) return { cut: false };
    file = await Deno.open(path, { read: true });
  } catch {
    // Absent (created on open) or unreadable (the open for appending says why).
    return { cut: false };
  }
  try {
    const buffer = new Uint8Array(RECORDING_HEADER.length + 2);
    const count = await file.read(buffer);
    if (!count) return { cut: false };
    const firstLine = new TextDecoder().decode(buffer.subarray(0, count)).split(/\r?\n/)[0];
    await file.seek(-1, Deno.SeekMode.End);
    const last = new Uint8Array(1);
    const cut = (await file.read(last)) === 1 && last[0] !== 0x0a;
    return { firstLine, cut };
  } catch (error) {
    throw new RecordError(`Cannot open recording "${path}": ${describe(error)}`);
  } finally {
    file.close();
  }
}

function describe(error: unknown): string {
  // Opening for append creates the file: only its directory can be missing.
  if (error instanceof Deno.errors.NotFound) return "no such directory";
  // Deno's own words ask for --allow-all, which a liveplot user cannot give.
  if (error instanceof Deno.errors.NotCapable) return NOT_A_REGULAR_FILE;
  return describeError(error);
}

/** Why `/dev/stdout` or `/proc/…` cannot be opened: Deno opens them only with every permission. */
const NOT_A_REGULAR_FILE = "liveplot records to regular files only, not devices or /proc";
