/**
 * The serial source (`--serial PATH --baud N`), for boards that print lines
 * (the Arduino plotter's `temp:21.5,hum:40`, or any format liveplot reads).
 * `stty` from coreutils puts the port in raw mode at the baud rate (no native
 * module), and `cat` reads it: a child process can always be stopped, where
 * a blocking read of a terminal device in this process could not be.
 *
 * When the device goes (unplugged, a board reset) the status says "waiting
 * for PATH" and the port is reopened once it is back. The points stop for
 * that time, so the chart's time axis shows the gap; nothing is made up.
 *
 * @module
 */

import { describeError } from "../log.ts";
import { LineFeed } from "./line_feed.ts";
import { readByteStream } from "./line_splitter.ts";
import {
  endedWhen,
  type RunningSource,
  sleep,
  type SourceOptions,
  SourceStartError,
} from "./running_source.ts";
import type { SerialSpec } from "./source_spec.ts";

/** How often a missing device is looked for: quick enough for a board's reset. */
const POLL_MS = 250;
/** How long after a failed open (the device there but not ready) it is tried again. */
const RETRY_MS = 1000;
/** The read buffer: a serial line brings far less. */
const READ_BYTES = 16 * 1024;

/** Starts reading the port; throws `SourceStartError` when PATH is there but is no terminal. */
export async function startSerial(
  spec: SerialSpec,
  options: SourceOptions,
): Promise<RunningSource> {
  const { hub, log } = options;
  const abort = new AbortController();
  const feed = new LineFeed(options);
  if (await exists(spec.path)) {
    const problem = await configure(spec);
    if (problem !== undefined) throw new SourceStartError(problem);
  }
  hub.report({ state: "connecting", detail: `opening ${spec.path}` });
  log.info("source-started", { serial: spec.path, baud: spec.baud });
  let reader: Deno.ChildProcess | undefined;

  const run = async () => {
    let waiting = false;
    while (!abort.signal.aborted) {
      if (!(await exists(spec.path))) {
        if (!waiting) {
          waiting = true;
          hub.report({ state: "waiting", detail: `waiting for ${spec.path}` });
          log.info("source-waiting", { serial: spec.path });
        }
        await sleep(POLL_MS, abort.signal);
        continue;
      }
      const problem = await configure(spec);
      if (problem !== undefined) {
        if (!waiting) {
          waiting = true;
          hub.report({ state: "waiting", detail: `waiting for ${spec.path}: ${problem}` });
          log.warn("source-waiting", { serial: spec.path, error: problem });
        }
        await sleep(RETRY_MS, abort.signal);
        continue;
      }
      if (abort.signal.aborted) break;
      reader = new Deno.Command("cat", {
        args: [spec.path],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      waiting = false;
      hub.report({ state: "live", detail: null });
      log.info("source-connected", { serial: spec.path, baud: spec.baud });
      const errors = new Response(reader.stderr).text();
      // A fresh splitter each time: a line cut by the unplug is not joined to the next one,
      // and is skipped, not read as it stands.
      await feed.pumpChunks(readByteStream(reader.stdout, READ_BYTES), abort.signal, CUT_REASON);
      await reader.status;
      const why = (await errors).trim().split("\n").at(-1)?.replace(/^\S*cat: /, "").replace(
        `${spec.path}: `,
        "",
      );
      reader = undefined;
      if (abort.signal.aborted) break;
      waiting = true;
      hub.report({ state: "waiting", detail: `waiting for ${spec.path}` });
      log.info("source-waiting", { serial: spec.path, reason: why || "end of input" });
      // A port that opens and fails at once is not reopened in a tight loop.
      await sleep(POLL_MS, abort.signal);
    }
  };

  const ended = endedWhen(run(), options, { serial: spec.path }, () => abort.signal.aborted);
  return {
    ended,
    stop: async () => {
      abort.abort();
      try {
        reader?.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await ended;
    },
  };
}

/** Why the last line before an unplug, with no newline, is skipped. */
const CUT_REASON = "cut short: the device went away mid-line";

/** Puts the port in raw mode at the baud rate; returns why it could not, or undefined. */
async function configure(spec: SerialSpec): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("stty", {
      args: ["-F", spec.path, "raw", String(spec.baud), "-echo"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (output.success) return undefined;
    const message = new TextDecoder().decode(output.stderr).trim().replace(/^\S*stty: /, "")
      .replace(`${spec.path}: `, "");
    return `Cannot open serial port "${spec.path}": ${message || `stty exited ${output.code}`}`;
  } catch (error) {
    return `Cannot open serial port "${spec.path}": stty: ${describeError(error)}`;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
