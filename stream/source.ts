/**
 * Live sources: standard input, or a command whose standard output is read.
 * Each line is parsed and published to the hub; the hub knows nothing of
 * where its points come from, and this module knows nothing of HTTP.
 *
 * @module
 */

import type { LineFormat, SourceSpec, XAxis } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Hub } from "./hub.ts";
import { splitLines } from "./line_splitter.ts";
import { createLineParser, type Point } from "./parse_line.ts";

/** How long a command gets to exit after SIGTERM before it is killed. */
export const KILL_GRACE_MS = 1000;

/** Options for reading a source. */
export interface SourceOptions {
  hub: Hub;
  format: LineFormat;
  xAxis: XAxis;
  maxLineBytes: number;
  log: Logger;
  /** Standard input, for the `stdin` source. */
  input?: ReadableStream<Uint8Array>;
}

/** A source being read. */
export interface RunningSource {
  /** The child's process id, for a command source. */
  readonly pid?: number;
  /** Settles once the source has ended and the hub has been told. */
  readonly ended: Promise<void>;
  /** Stops the source: SIGTERM, then SIGKILL after `KILL_GRACE_MS`. */
  stop(): Promise<void>;
}

/** Error thrown when a command cannot be started. */
export class SourceStartError extends Error {
  override name = "SourceStartError";
}

/** Starts reading `spec`; throws `SourceStartError` if a command cannot start. */
export function startSource(
  spec: Exclude<SourceSpec, { kind: "demo" }>,
  options: SourceOptions,
): RunningSource {
  if (spec.kind === "stdin") {
    const input = options.input ?? Deno.stdin.readable;
    const ended = pump(input, options).then(() => {
      options.hub.report({ state: "ended", exitCode: null });
      options.log.info("source-ended", { source: "stdin" });
    });
    // Nothing to stop: standard input ends with liveplot, and its reader holds the lock.
    return { ended, stop: () => Promise.resolve() };
  }
  return startCommand(spec.command, spec.args, options);
}

function startCommand(
  command: string,
  args: string[],
  options: SourceOptions,
): RunningSource {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
      // Its own process group, so that stopping it also stops what it started.
      detached: true,
      // Python block-buffers a pipe; this makes `print` reach us at once.
      env: { PYTHONUNBUFFERED: "1" },
    }).spawn();
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound
      ? "not found"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new SourceStartError(`Cannot start command "${command}": ${detail}`);
  }
  options.log.info("source-started", { command, pid: child.pid });

  const ended = Promise.all([pump(child.stdout, options), child.status]).then(
    ([, status]) => {
      // Deno already reports a signalled exit as 128 + the signal's number.
      const exitCode = status.code;
      options.hub.report({ state: "ended", exitCode });
      options.log.info("source-ended", {
        command,
        pid: child.pid,
        code: exitCode,
      });
    },
  );

  const stop = async () => {
    const exited = child.status.then(() => true);
    // Even after the command exits, what it started may still run.
    kill(child, "SIGTERM");
    const timer = new Promise<false>((resolve) => {
      const id = setTimeout(() => resolve(false), KILL_GRACE_MS);
      exited.then(() => clearTimeout(id));
    });
    if (!(await Promise.race([exited, timer]))) {
      options.log.warn("source-killed", { command, pid: child.pid });
      kill(child, "SIGKILL");
    }
    await ended.catch(() => {});
  };
  return { pid: child.pid, ended, stop };
}

async function pump(
  readable: ReadableStream<Uint8Array>,
  { hub, format, xAxis, maxLineBytes, log }: SourceOptions,
): Promise<void> {
  const parse = createLineParser(format, xAxis);
  let skipped = 0;
  let truncated = 0;
  let reported = { skipped, truncated };
  const onTruncated = () => truncated++;
  try {
    for await (const lines of splitLines(readable, maxLineBytes, onTruncated)) {
      const now = Date.now() / 1000;
      const points: Point[] = [];
      for (const line of lines) {
        const parsed = parse(line, now);
        if (parsed.kind === "points") points.push(...parsed.points);
        else if (parsed.kind === "names") hub.rename(parsed.names);
        else if (parsed.kind === "skipped") skipped++;
      }
      // Points of series past MAX_SERIES are refused: counted like bad lines.
      if (points.length > 0) skipped += hub.publish(points);
      if (skipped === reported.skipped && truncated === reported.truncated) continue;
      if (reported.skipped === 0 && skipped > 0) {
        log.warn("lines-skipped", { note: "further ones are counted, not logged" });
      }
      if (reported.truncated === 0 && truncated > 0) {
        log.warn("lines-cut-off", {
          limit: maxLineBytes,
          note: "further ones are counted, not logged",
        });
      }
      reported = { skipped, truncated };
      hub.report(reported);
    }
  } catch (error) {
    log.warn("source-read-failed", { error: String(error) });
  }
}

/** Signals the command's whole process group (the command alone on Windows). */
function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    if (Deno.build.os === "windows") child.kill(signal);
    else Deno.kill(-child.pid, signal);
  } catch {
    // Nothing left in the group to signal.
  }
}
