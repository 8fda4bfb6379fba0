/**
 * Live sources: standard input, or a command whose standard output is read.
 * Each line is parsed and published to the hub; the hub knows nothing of
 * where its points come from, and this module knows nothing of HTTP.
 *
 * @module
 */

import type { LineFormat, SourceSpec, XChoice } from "../config.ts";
import { describeError, type Logger } from "../log.ts";
import type { Hub } from "./hub.ts";
import { readByteStream, readInto, splitLines } from "./line_splitter.ts";
import { createLineReader } from "./formats/mod.ts";
import type { Recorder } from "./recorder.ts";
import { openReplay, ReplayError } from "./replay.ts";
import type { PointSink } from "./sink.ts";
import { tailStderr } from "./stderr_tail.ts";
import { findExecutable, stripTerminalControls, unbufferedCommand } from "./unbuffer.ts";

/** How long a command gets to exit after SIGTERM before it is killed: a stop is quick. */
export const KILL_GRACE_MS = 500;
/** How long a command's last stderr lines are waited for once it has exited. */
const STDERR_GRACE_MS = 200;
/** How long a command on a pseudo-terminal gets to take the hangup once `script` is gone. */
const HANGUP_GRACE_MS = 100;
/**
 * The buffer standard input or a command's output is read into, one for
 * every read: all a pipe holds. A file (`liveplot - < samples`) could be read
 * in larger reads, but they measured slower: 256 KiB reads parsed a third
 * fewer points a second, 1 MiB reads half.
 */
const READ_BYTES = 64 * 1024;

/** Options for reading a source. */
export interface SourceOptions {
  /** Where the source's status goes (and its points, unless `sink` is given). */
  hub: Hub;
  /** Where points go: the hub, or a backplane that feeds every process's hub. */
  sink?: PointSink;
  format: LineFormat;
  x: XChoice;
  /** Run a command on a pseudo-terminal, so that it writes line by line. */
  pty: boolean;
  maxLineBytes: number;
  log: Logger;
  /** Standard input, for the `stdin` source (default: `Deno.stdin`, read into one buffer). */
  input?: ReadableStream<Uint8Array>;
  /** Records every line read, with its arrival time. */
  recorder?: Recorder;
}

/** A source being read. */
export interface RunningSource {
  /** The child's process id, for a command source. */
  readonly pid?: number;
  /** Settles once the source has ended and the hub has been told. */
  readonly ended: Promise<void>;
  /** Stops the source: SIGTERM to the command, then SIGKILL after `KILL_GRACE_MS`. */
  stop(): Promise<void>;
}

/** Error thrown when a command cannot be started, or a recording cannot be replayed. */
export class SourceStartError extends Error {
  override name = "SourceStartError";
}

/**
 * One read's lines and each line's arrival time, in seconds since the epoch.
 * `arrivals` may be longer than `lines`, and a live source overwrites it with
 * the next batch's: it is read before the next batch is asked for.
 */
interface Batch {
  lines: string[];
  arrivals: ArrayLike<number>;
}

/** Starts reading `spec`; throws `SourceStartError` if it cannot start. */
export async function startSource(
  spec: Exclude<SourceSpec, { kind: "demo" }>,
  options: SourceOptions,
): Promise<RunningSource> {
  if (spec.kind === "stdin") {
    const input = options.input ?? readInto(Deno.stdin, READ_BYTES);
    const ended = pump(timed(input, options), options).then(() => {
      options.hub.report({ state: "ended", exitCode: null });
      options.log.info("source-ended", { source: "stdin" });
    });
    // Nothing to stop: standard input ends with liveplot.
    return { ended, stop: () => Promise.resolve() };
  }
  if (spec.kind === "replay") return await startReplay(spec.path, spec.speed, options);
  return startCommand(spec.command, spec.args, spec.cwd, options);
}

async function startReplay(
  path: string,
  speed: number | "max",
  options: SourceOptions,
): Promise<RunningSource> {
  const abort = new AbortController();
  let batches;
  try {
    batches = await openReplay(path, {
      speed,
      signal: abort.signal,
      maxLineBytes: options.maxLineBytes,
      // A recording is input like any other: a line that cannot be played is counted, not lost.
      onMalformed: (_lineNumber, line, reason) => {
        const { hub, log } = options;
        if (hub.status.skipped === 0) {
          log.warn("lines-skipped", { reason, note: "further ones are counted, not logged" });
        }
        hub.noteSkipped(line, reason);
        hub.report({ skipped: hub.status.skipped + 1 });
      },
    });
  } catch (error) {
    if (error instanceof ReplayError) throw new SourceStartError(error.message);
    throw error;
  }
  options.log.info("source-started", { replay: path, speed });
  const ended = pump(batches, options).then(() => {
    options.hub.report({ state: "ended", exitCode: null });
    options.log.info("source-ended", { replay: path });
  });
  return {
    ended,
    stop: async () => {
      abort.abort();
      await ended.catch(() => {});
    },
  };
}

/** Chunks' lines, each with its own arrival time from an `ArrivalClock`. */
async function* timed(
  chunks: AsyncIterable<Uint8Array>,
  { maxLineBytes, hub }: SourceOptions,
): AsyncGenerator<Batch> {
  const clock = new ArrivalClock();
  const onTruncated = () => hub.report({ truncated: hub.status.truncated + 1 });
  // One array for every batch, grown to the most lines a read has brought.
  let arrivals = new Float64Array(1024);
  for await (const lines of splitLines(chunks, maxLineBytes, onTruncated)) {
    if (lines.length === 0) continue;
    if (lines.length > arrivals.length) {
      arrivals = new Float64Array(Math.max(lines.length, arrivals.length * 2));
    }
    clock.begin(lines.length, Date.now() / 1000);
    for (let i = 0; i < lines.length; i++) arrivals[i] = clock.next();
    yield { lines, arrivals };
  }
}

function startCommand(
  command: string,
  args: string[],
  cwd: string | undefined,
  options: SourceOptions,
): RunningSource {
  // Through `script` a missing command would start, print an error and exit 127:
  // look for it first, so that it is one clear line at start, as without.
  if (options.pty && findExecutable(command) === undefined) {
    const why = command.includes("/") && isFile(command) ? "not executable" : "not found";
    throw new SourceStartError(`Cannot start command "${command}": ${why}`);
  }
  const spawned = options.pty
    ? unbufferedCommand(command, args)
    : { command, args, method: "none", env: {} };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(spawned.command, {
      args: spawned.args,
      cwd,
      stdin: "null",
      stdout: "piped",
      // Passed through to liveplot's, and its last lines kept for the page.
      stderr: "piped",
      // Its own process group, so that stopping it also stops what it started.
      detached: true,
      // Python block-buffers a pipe; this makes `print` reach us at once.
      env: { PYTHONUNBUFFERED: "1", ...spawned.env },
    }).spawn();
  } catch (error) {
    throw new SourceStartError(`Cannot start command "${command}": ${describeError(error)}`);
  }
  // `child=`, not `pid=`: the first pid in the log is liveplot's own.
  options.log.info("source-started", { command, child: child.pid, unbuffered: spawned.method });
  const chunks = readByteStream(child.stdout, READ_BYTES);
  const output = spawned.method === "script" ? stripTerminalControls(chunks) : chunks;
  const stderr = tailStderr(child.stderr, Deno.stderr);
  let stopping = false;

  const ended = Promise.all([pump(timed(output, options), options), child.status]).then(
    async ([, status]) => {
      // What the command started may hold its stderr open: its end is waited for a moment only.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stderr.done,
        new Promise((resolve) => timer = setTimeout(resolve, STDERR_GRACE_MS)),
      ]);
      clearTimeout(timer);
      // Deno already reports a signalled exit as 128 + the signal's number.
      const exitCode = status.code;
      options.hub.report({ state: "ended", exitCode, stderr: [...stderr.lines] });
      if (stopping) options.log.info("source-stopped", { command, child: child.pid });
      else options.log.info("source-ended", { command, child: child.pid, code: exitCode });
    },
  );

  const stop = async () => {
    stopping = true;
    const exited = child.status.then(() => true);
    // `script` runs the command in a session of its own. Signalled, script itself waits two
    // seconds before it exits; the command, signalled alone, ends at once and script with it.
    const commands = spawned.method === "script" ? await childrenOf(child.pid) : [];
    const groups = [child.pid, ...commands];
    if (commands.length > 0) kill(child, commands, "SIGTERM");
    // The command could not be found (no /proc, no pgrep): ending script at once closes its
    // terminal, whose hangup ends the command.
    else if (spawned.method === "script") kill(child, groups, "SIGKILL");
    else kill(child, groups, "SIGTERM");
    const timer = new Promise<false>((resolve) => {
      const id = setTimeout(() => resolve(false), KILL_GRACE_MS);
      exited.then(() => clearTimeout(id));
    });
    if (!(await Promise.race([exited, timer]))) {
      options.log.warn("source-killed", { command, child: child.pid });
      kill(child, groups, "SIGKILL");
    } else if (groups.length > 1) {
      // The terminal's hangup ends most commands; one that ignores it is not left behind.
      await delay(HANGUP_GRACE_MS);
      kill(child, groups.slice(1), "SIGKILL");
    }
    await ended.catch(() => {});
  };
  return { pid: child.pid, ended, stop };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The least step between two lines' arrival times, in seconds: 1 µs. */
export const MIN_ARRIVAL_STEP_SECONDS = 1e-6;
/** The most a read's lines are spread apart, in seconds: 1 ms. */
export const MAX_ARRIVAL_STEP_SECONDS = 1e-3;

/**
 * Gives every line its own arrival time, strictly increasing: the lines of
 * one read end at the read's time, spaced evenly over the time since the
 * previous read but never more than 1 ms apart, and always at least 1 µs
 * after the line before (so a burst of 100,000 lines runs ahead of the clock
 * by at most 0.1 s until the source pauses).
 */
export class ArrivalClock {
  #previousRead = -Infinity;
  #last = -Infinity;
  #next = 0;
  #step = 0;

  /** Starts a read of `count` lines at `now` (seconds since the epoch). */
  begin(count: number, now: number): void {
    // The first read has no interval before it: its lines get the least step.
    const since = this.#previousRead === -Infinity ? 0 : now - this.#previousRead;
    this.#step = count > 1 ? Math.min(since / count, MAX_ARRIVAL_STEP_SECONDS) : 0;
    if (!(this.#step >= 0)) this.#step = 0;
    this.#next = now - (count - 1) * this.#step;
    this.#previousRead = now;
  }

  /** The next line's arrival time. */
  next(): number {
    const candidate = this.#next;
    this.#next += this.#step;
    const arrival = Math.max(candidate, this.#last + MIN_ARRIVAL_STEP_SECONDS);
    this.#last = arrival;
    return arrival;
  }
}

async function pump(batches: AsyncIterable<Batch>, options: SourceOptions): Promise<void> {
  const { hub, format, x, log, recorder } = options;
  const sink = options.sink ?? hub;
  const reader = createLineReader(format, x);
  let skipped = 0;
  let detected = false;
  let warnedTruncated = false;
  try {
    for await (const { lines, arrivals } of batches) {
      recorder?.record(lines, arrivals);
      const skippedBefore = skipped;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        if (reader.read(line, arrivals[i] as number, sink) !== "skipped") continue;
        skipped++;
        hub.noteSkipped(line, reader.skipReason);
      }
      sink.commit();
      if (!detected && reader.detected) {
        detected = true;
        hub.setFormat(reader.detected.format);
        log.info("format-detected", { ...reader.detected });
      }
      if (skipped !== skippedBefore) {
        if (skippedBefore === 0) {
          log.warn("lines-skipped", {
            reason: reader.skipReason,
            note: "further ones are counted, not logged",
          });
        }
        // Added to the count, which replay's malformed lines also add to.
        hub.report({ skipped: hub.status.skipped + skipped - skippedBefore });
      }
      if (!warnedTruncated && hub.status.truncated > 0) {
        warnedTruncated = true;
        log.warn("lines-cut-off", {
          limit: options.maxLineBytes,
          note: "further ones are counted, not logged",
        });
      }
    }
  } catch (error) {
    log.warn("source-read-failed", { error: String(error) });
  }
}

/** Signals each process group in `groups` (the command alone on Windows). */
function kill(child: Deno.ChildProcess, groups: number[], signal: Deno.Signal): void {
  if (Deno.build.os === "windows") {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
    return;
  }
  for (const group of groups) {
    try {
      Deno.kill(-group, signal);
    } catch {
      // Nothing left in that group to signal.
    }
  }
}

/**
 * The children of process `pid`: from /proc (Linux, which Deno lets only
 * `--allow-all` read), else from `pgrep -P`, else none.
 */
async function childrenOf(pid: number): Promise<number[]> {
  const parse = (text: string) => text.trim().split(/\s+/).filter(Boolean).map(Number);
  try {
    return parse(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`));
  } catch {
    // Not Linux, or not permitted: ask pgrep.
  }
  try {
    const { stdout } = await new Deno.Command("pgrep", {
      args: ["-P", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return parse(new TextDecoder().decode(stdout));
  } catch {
    return [];
  }
}
