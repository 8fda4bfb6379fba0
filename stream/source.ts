/**
 * Live sources: standard input, a command whose standard output is read, a
 * replay, or (each in its own module) a serial port, MQTT, UDP or a scrape.
 * Each line is parsed and published to the hub; the hub knows nothing of
 * where its points come from, and this module knows nothing of HTTP.
 *
 * @module
 */

import type { SourceSpec } from "../config.ts";
import { describeError } from "../log.ts";
import { LineFeed, timedLines } from "./line_feed.ts";
import { readByteStream, readInto } from "./line_splitter.ts";
import { startMqtt } from "./mqtt.ts";
import { openReplay, ReplayError } from "./replay.ts";
import { startScrape } from "./scrape.ts";
import { startSerial } from "./serial.ts";
import { startUdp } from "./udp.ts";
import { type RunningSource, type SourceOptions, SourceStartError } from "./running_source.ts";
import { findExecutable, stripTerminalControls, unbufferedCommand } from "./unbuffer.ts";

/** How long a command gets to exit after SIGTERM before it is killed. */
export const KILL_GRACE_MS = 1000;
/** How long a command on a pseudo-terminal gets to take the hangup once `script` is gone. */
const HANGUP_GRACE_MS = 100;
/**
 * The buffer standard input or a command's output is read into, one for
 * every read: all a pipe holds. A file (`liveplot - < samples`) could be read
 * in larger reads, but they measured slower: 256 KiB reads parsed a third
 * fewer points a second, 1 MiB reads half.
 */
const READ_BYTES = 64 * 1024;

export { type RunningSource, type SourceOptions, SourceStartError } from "./running_source.ts";

/** Starts reading `spec`; throws `SourceStartError` if it cannot start. */
export async function startSource(
  spec: Exclude<SourceSpec, { kind: "demo" }>,
  options: SourceOptions,
): Promise<RunningSource> {
  if (spec.kind === "stdin") {
    const input = options.input ?? readInto(Deno.stdin, READ_BYTES);
    const ended = new LineFeed(options).pump(timedLines(input, options)).then(() => {
      options.hub.report({ state: "ended", exitCode: null });
      options.log.info("source-ended", { source: "stdin" });
    });
    // Nothing to stop: standard input ends with liveplot.
    return { ended, stop: () => Promise.resolve() };
  }
  if (spec.kind === "replay") return await startReplay(spec.path, spec.speed, options);
  if (spec.kind === "serial") return startSerial(spec, options);
  if (spec.kind === "mqtt") return await startMqtt(spec, options);
  if (spec.kind === "udp") return await startUdp(spec, options);
  if (spec.kind === "scrape") return startScrape(spec, options);
  return startCommand(spec.command, spec.args, options);
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
    });
  } catch (error) {
    if (error instanceof ReplayError) throw new SourceStartError(error.message);
    throw error;
  }
  options.log.info("source-started", { replay: path, speed });
  const ended = new LineFeed(options).pump(batches).then(() => {
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

function startCommand(
  command: string,
  args: string[],
  options: SourceOptions,
): RunningSource {
  // Through `script` a missing command would start, print an error and exit 127:
  // look for it first, so that it is one clear line at start, as without.
  if (options.pty && !command.includes("/") && findExecutable(command) === undefined) {
    throw new SourceStartError(`Cannot start command "${command}": not found`);
  }
  const spawned = options.pty
    ? unbufferedCommand(command, args)
    : { command, args, method: "none", env: {} };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(spawned.command, {
      args: spawned.args,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
      // Its own process group, so that stopping it also stops what it started.
      detached: true,
      // Python block-buffers a pipe; this makes `print` reach us at once.
      env: { PYTHONUNBUFFERED: "1", ...spawned.env },
    }).spawn();
  } catch (error) {
    throw new SourceStartError(`Cannot start command "${command}": ${describeError(error)}`);
  }
  options.log.info("source-started", { command, pid: child.pid, unbuffered: spawned.method });
  const chunks = readByteStream(child.stdout, READ_BYTES);
  const output = spawned.method === "script" ? stripTerminalControls(chunks) : chunks;

  const ended = Promise.all([new LineFeed(options).pump(timedLines(output, options)), child.status])
    .then(
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
    // `script` runs the command in a session of its own: its group is signalled too.
    const groups = [child.pid, ...(spawned.method === "script" ? childrenOf(child.pid) : [])];
    // Even after the command exits, what it started may still run.
    kill(child, groups, "SIGTERM");
    const timer = new Promise<false>((resolve) => {
      const id = setTimeout(() => resolve(false), KILL_GRACE_MS);
      exited.then(() => clearTimeout(id));
    });
    if (!(await Promise.race([exited, timer]))) {
      options.log.warn("source-killed", { command, pid: child.pid });
      kill(child, groups, "SIGKILL");
    } else if (groups.length > 1) {
      // The terminal's hangup ends most commands; one that ignores it is not left behind.
      await new Promise((resolve) => setTimeout(resolve, HANGUP_GRACE_MS));
      kill(child, groups.slice(1), "SIGKILL");
    }
    await ended.catch(() => {});
  };
  return { pid: child.pid, ended, stop };
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

/** The children of process `pid` (Linux; elsewhere none are found). */
function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
