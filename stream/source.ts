/**
 * Live sources: standard input, a command whose standard output is read, a
 * replay, or (each in its own module) a serial port, MQTT, UDP or a scrape.
 * Each line is parsed and published to the hub; the hub knows nothing of
 * where its points come from, and this module knows nothing of HTTP.
 *
 * @module
 */

import type { SourceSpec } from "../config.ts";
import { boundLines, describeError } from "../log.ts";
import { LineFeed } from "./line_feed.ts";
import { readByteStream, readInto } from "./line_splitter.ts";
import { openReplay, ReplayError } from "./replay.ts";
import { STDERR_LOG_LINES_PER_SECOND, tailStderr } from "./stderr_tail.ts";
import { startScrape } from "./scrape.ts";
import { startSerial } from "./serial.ts";
import {
  endedWhen,
  type RunningSource,
  type SourceOptions,
  SourceStartError,
} from "./running_source.ts";
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

export { type RunningSource, type SourceOptions, SourceStartError } from "./running_source.ts";

/** Starts reading `spec`; throws `SourceStartError` if it cannot start. */
export async function startSource(
  spec: Exclude<SourceSpec, { kind: "demo" }>,
  options: SourceOptions,
): Promise<RunningSource> {
  if (spec.kind === "stdin") {
    const input = options.input ?? readInto(Deno.stdin, READ_BYTES);
    const feed = new LineFeed(options);
    const ended = endedWhen(feed.pumpChunks(input), options, { source: "stdin" });
    // Nothing to stop: standard input ends with liveplot.
    return { ended, stop: () => Promise.resolve() };
  }
  if (spec.kind === "replay") return await startReplay(spec.path, spec.speed, options);
  if (spec.kind === "serial") return startSerial(spec, options);
  // Loaded when asked for: they bring Node's compatibility layer (node:process, node:dgram),
  // which costs every other start about 20 ms.
  if (spec.kind === "mqtt") return await (await import("./mqtt.ts")).startMqtt(spec, options);
  if (spec.kind === "udp") return await (await import("./udp.ts")).startUdp(spec, options);
  if (spec.kind === "scrape") return startScrape(spec, options);
  return startCommand(spec.command, spec.args, spec.cwd, options);
}

async function startReplay(
  path: string,
  speed: number | "max",
  options: SourceOptions,
): Promise<RunningSource> {
  const abort = new AbortController();
  const feed = new LineFeed(options);
  let batches;
  try {
    batches = await openReplay(path, {
      speed,
      signal: abort.signal,
      maxLineBytes: options.maxLineBytes,
      // A recording is input like any other: a line that cannot be played is counted, not lost.
      onMalformed: (_lineNumber, line, reason) => feed.skip(1, line, reason),
    });
  } catch (error) {
    if (error instanceof ReplayError) throw new SourceStartError(error.message);
    throw error;
  }
  options.log.info("source-started", { replay: path, speed });
  const ended = endedWhen(
    // Stopped, its lines so far did not end with the input: the feed is told not to say so.
    feed.pump(batches, abort.signal),
    options,
    { replay: path },
    () => abort.signal.aborted,
  );
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
  cwd: string | undefined,
  options: SourceOptions,
): RunningSource {
  // Through `script` a missing command would start, print an error and exit 127:
  // look for it first, so that it is one clear line at start, as without.
  if (options.pty && findExecutable(command) === undefined) {
    const why = command.includes("/") && isFile(command) ? "not executable" : "not found";
    throw new SourceStartError(`Cannot start command "${command}": ${why}${hintFor(command)}`);
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
    const why = describeError(error);
    throw new SourceStartError(`Cannot start command "${command}": ${why}${hintFor(command)}`);
  }
  // `child=`, not `pid=`: the first pid in the log is liveplot's own.
  options.log.info("source-started", { command, child: child.pid, unbuffered: spawned.method });
  const chunks = readByteStream(child.stdout, READ_BYTES);
  const output = spawned.method === "script" ? stripTerminalControls(chunks) : chunks;
  // A noisy command cannot flood the log: its first lines a second, a count, and its last.
  const logged = boundLines(options.log, "source-stderr", STDERR_LOG_LINES_PER_SECOND, {
    child: child.pid,
  });
  const stderr = tailStderr(child.stderr, (line) => logged.write({ child: child.pid, line }));
  const stderrDone = stderr.done.then(() => logged.end());
  // Aborted by a stop: the output's end is then liveplot's doing, not the input's end.
  const stopping = new AbortController();

  const feed = new LineFeed(options);
  const ended = Promise.all([feed.pumpChunks(output, stopping.signal), child.status])
    .then(
      async ([, status]) => {
        // What the command started may hold its stderr open: its end is waited for a moment only,
        // and lines that come later (the rest of it, or a busy machine's late read) follow.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = await Promise.race([
          stderrDone.then(() => false),
          new Promise<boolean>((resolve) =>
            timer = setTimeout(() => resolve(true), STDERR_GRACE_MS)
          ),
        ]);
        clearTimeout(timer);
        // Deno already reports a signalled exit as 128 + the signal's number.
        const exitCode = status.code;
        options.hub.report({ state: "ended", exitCode, stderr: [...stderr.lines] });
        if (late) stderr.done.then(() => options.hub.report({ stderr: [...stderr.lines] }));
        if (stopping.signal.aborted) {
          options.log.info("source-stopped", { command, child: child.pid });
        } else if (exitCode === 0) {
          options.log.info("source-ended", { command, child: child.pid, code: 0, note: SERVING });
        } else {
          // A failure, seen under --quiet too, with the last thing it said.
          const said = stderr.lines.at(-1);
          options.log.warn("source-ended", {
            command,
            child: child.pid,
            code: exitCode,
            ...(said === undefined ? {} : { stderr: said }),
            note: SERVING,
          });
        }
      },
    );

  const stop = async () => {
    stopping.abort();
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

/** Said when a command ends: liveplot does not exit with it. */
const SERVING = "liveplot keeps serving what it has; Ctrl-C stops it";

/** What a command that was not found was likely meant to be, as the end of its message. */
function hintFor(command: string): string {
  if (/\s/.test(command.trim())) {
    return ` (a command line in one word: give its words apart, liveplot -- vmstat 1, or sh -c "…")`;
  }
  if (command === "help") return " (see liveplot --help)";
  return "";
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
