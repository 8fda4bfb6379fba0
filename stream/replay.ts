/**
 * `--replay FILE [--speed N|max]`: a recording (see stream/recorder.ts) played
 * back as a source. Lines come with their recorded arrival times, which the
 * pump must use as the lines' arrivals, so x is what it was live. At speed N
 * a line is handed on when (its arrival - the session's first arrival) / N has
 * passed since the session's first line was; the time between two sessions
 * of one file is not waited. At `max` lines are handed on as fast as the file
 * is read.
 *
 * @module
 */

import { describeError } from "../log.ts";
import { splitChunks } from "./line_splitter.ts";
import { CUT_MARK, RECORDING_HEADER, SESSION_PREFIX } from "./recorder.ts";

/** Recorded lines due together, and their recorded arrival times (seconds since the epoch). */
export interface ReplayBatch {
  lines: string[];
  arrivals: number[];
}

/** How to play a recording. */
export interface ReplayOptions {
  /** A factor on the recorded pace (2 = twice as fast), or `max`. */
  speed: number | "max";
  /** Stops the replay, even in the middle of a wait. */
  signal?: AbortSignal;
  /**
   * Told of a line that is neither a comment nor `arrival<TAB>line` with a
   * believable arrival, or of a line cut short (the last without its newline, or one the
   * recorder marked), with its 1-based number (0 if unknown) and why.
   */
  onMalformed?: (lineNumber: number, line: string, reason: string) => void;
  /** The longest wait between two lines (default `MAX_REPLAY_WAIT_MS`). */
  maxWaitMs?: number;
  /** Longest recorded line read; a longer one is skipped as malformed. */
  maxLineBytes?: number;
}

/** Error thrown when a recording cannot be replayed. */
export class ReplayError extends Error {
  override name = "ReplayError";
}

/** Longest recorded line read by default. */
export const REPLAY_MAX_LINE_BYTES = 16 * 1024 * 1024;
/** A wait shorter than this is not worth a timer: the line goes with the batch. */
const MIN_WAIT_MS = 1;
/**
 * The longest wait between two lines: a longer gap (a laptop asleep, a
 * hand-edited file) plays as this, and no timer ever overflows 2^31-1 ms.
 */
export const MAX_REPLAY_WAIT_MS = 10_000;
/**
 * How far an arrival may go back within a session: the recorder's clock only
 * goes forward, so more than this is a damaged or crafted file.
 */
export const ARRIVAL_TOLERANCE_SECONDS = 1;
/** The latest arrival a Date can show (year 275760), in seconds since the epoch. */
const MAX_ARRIVAL_SECONDS = 8.64e12;
/** Bytes read to check the header: the header line and its newline, so `/dev/zero` is quick. */
const HEADER_BYTES = new TextEncoder().encode(`${RECORDING_HEADER}\n`);

/**
 * Opens `path` and checks its first line; throws `ReplayError` when it cannot
 * be read or is not a recording. The generator yields batches in file order
 * and closes the file when it ends or is returned.
 */
export async function openReplay(
  path: string,
  options: ReplayOptions,
): Promise<AsyncGenerator<ReplayBatch, void, undefined>> {
  if (options.speed !== "max" && !(options.speed > 0 && Number.isFinite(options.speed))) {
    throw new ReplayError(`Cannot replay "${path}": speed must be a positive number or "max"`);
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    // Deno opens /dev/stdin or /proc/… only with every permission, and says to give them all
    // (--allow-all), which a liveplot user cannot.
    const reason = error instanceof Deno.errors.NotCapable
      ? "liveplot replays regular files only, not devices or /proc"
      : describeError(error);
    throw new ReplayError(`Cannot replay "${path}": ${reason}`);
  }
  try {
    if (!(await readHeader(file))) throw new ReplayError("not a recording");
  } catch (error) {
    file.close();
    const reason = error instanceof ReplayError
      ? `not a recording (its first line is not "${RECORDING_HEADER}")`
      : describeError(error);
    throw new ReplayError(`Cannot replay "${path}": ${reason}`);
  }
  // The splitter drops a too long line before it is numbered: 0 says "unknown".
  const onTruncated = () => options.onMalformed?.(0, "(line too long)", "line too long");
  const end: { cut?: string } = {};
  const batches = recordedLines(
    file.readable,
    options.maxLineBytes ?? REPLAY_MAX_LINE_BYTES,
    onTruncated,
    (line) => end.cut = line,
  );
  return play([], batches, options, 1, end);
}

/**
 * The file's lines, a batch per chunk read. A last line without its newline is
 * no line yet but one cut short (a crash, a full disk): it goes to `onCut`.
 */
async function* recordedLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  onTruncated: () => void,
  onCut: (line: string) => void,
): AsyncGenerator<string[]> {
  for await (const lines of splitChunks(chunks, maxLineBytes, onTruncated, onCut)) {
    yield lines.text();
  }
}

/**
 * Why a line cut short is skipped: the file's last line without its newline, or a line the
 * recorder ended with `CUT_MARK` when it recorded to the file again.
 */
export const CUT_SHORT = "cut short: a crash or a full disk ended the recording mid-line";

async function* play(
  firstLines: string[],
  batches: AsyncGenerator<string[]>,
  options: ReplayOptions,
  firstLineNumber: number,
  end: { cut?: string },
): AsyncGenerator<ReplayBatch, void, undefined> {
  const { speed, signal } = options;
  const maxWaitMs = Math.min(options.maxWaitMs ?? MAX_REPLAY_WAIT_MS, MAX_REPLAY_WAIT_MS);
  let lineNumber = firstLineNumber;
  let originReal = NaN;
  let originRecorded = NaN;
  let lastArrival = -Infinity;
  let lines: string[] = [];
  let arrivals: number[] = [];
  const take = (): ReplayBatch => {
    const batch = { lines, arrivals };
    lines = [];
    arrivals = [];
    return batch;
  };
  try {
    let pendingLines: string[] | undefined = firstLines;
    while (!signal?.aborted) {
      const chunk: string[] = pendingLines ?? await nextLines(batches);
      pendingLines = undefined;
      if (chunk === END) {
        // Skipped, and said, unless nothing of it could be played anyway (a comment, a lone \r).
        if (end.cut && !end.cut.startsWith("#")) {
          options.onMalformed?.(lineNumber + 1, end.cut, CUT_SHORT);
        }
        break;
      }
      for (const line of chunk) {
        lineNumber++;
        if (line.endsWith(CUT_MARK)) {
          // Cut short, then another session recorded after it: skipped as the last line is.
          const cut = line.slice(0, -CUT_MARK.length);
          if (!cut.startsWith("#")) options.onMalformed?.(lineNumber, cut, CUT_SHORT);
          continue;
        }
        if (line.startsWith("#")) {
          if (line.startsWith(SESSION_PREFIX)) {
            originReal = NaN;
            lastArrival = -Infinity;
          }
          continue;
        }
        const tab = line.indexOf("\t");
        const arrival = tab > 0 ? Number(line.slice(0, tab)) : NaN;
        const problem = !Number.isFinite(arrival)
          ? "no arrival time"
          : arrival < 0 || arrival > MAX_ARRIVAL_SECONDS
          ? "arrival time out of range"
          : arrival < lastArrival - ARRIVAL_TOLERANCE_SECONDS
          ? "arrival time goes back"
          : undefined;
        if (problem) {
          if (line !== "") options.onMalformed?.(lineNumber, line, problem);
          continue;
        }
        lastArrival = Math.max(lastArrival, arrival);
        if (speed !== "max") {
          if (Number.isNaN(originReal)) {
            originReal = performance.now();
            originRecorded = arrival;
          }
          let wait = originReal + (arrival - originRecorded) * 1000 / speed - performance.now();
          const shortened = wait > maxWaitMs;
          if (shortened) wait = maxWaitMs;
          if (wait >= MIN_WAIT_MS) {
            if (lines.length > 0) yield take();
            await sleep(wait, signal);
            if (signal?.aborted) return;
          }
          if (shortened) {
            // The timeline starts again from this line, as played: later lines
            // keep their pace after the shortened gap, however late its timer fired.
            originReal = performance.now();
            originRecorded = arrival;
          }
        }
        lines.push(line.slice(tab + 1));
        arrivals.push(arrival);
      }
      if (lines.length > 0) yield take();
    }
  } finally {
    await batches.return(undefined);
  }
}

const END: string[] = [];

/** Reads no more than the header line and its newline; true when they are a recording's. */
async function readHeader(file: Deno.FsFile): Promise<boolean> {
  const header = new Uint8Array(HEADER_BYTES.length);
  let filled = 0;
  while (filled < header.length) {
    const count = await file.read(header.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  // A recording with no line yet may lack the header's newline.
  const expected = filled === HEADER_BYTES.length - 1
    ? HEADER_BYTES.length - 1
    : HEADER_BYTES.length;
  return filled === expected &&
    header.subarray(0, filled).every((byte, i) => byte === HEADER_BYTES[i]);
}

async function nextLines(batches: AsyncGenerator<string[]>): Promise<string[]> {
  const next = await batches.next();
  return next.done ? END : next.value;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
