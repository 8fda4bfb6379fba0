/**
 * What every source shares: the options it is started with, the handle it
 * returns, and the error for one that cannot start. Kept apart from
 * `source.ts` so that each source's module can use them without a cycle.
 *
 * @module
 */

import type { LineFormat, XChoice } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Hub } from "./hub.ts";
import type { Recorder } from "./recorder.ts";
import type { PointSink } from "./sink.ts";

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
  /** Lines per second a network source takes (`--max-ingest-rate`); more are dropped and counted. */
  maxIngestRate?: number;
}

/** A source being read. */
export interface RunningSource {
  /** The child's process id, for a command source. */
  readonly pid?: number;
  /** Settles once the source has ended and the hub has been told. */
  readonly ended: Promise<void>;
  /** Stops the source: a command gets SIGTERM, then SIGKILL; a network source disconnects. */
  stop(): Promise<void>;
}

/** Error thrown when a source cannot start: a command not found, a port taken, a bad recording. */
export class SourceStartError extends Error {
  override name = "SourceStartError";
}

/**
 * Settles once `finished` has, after telling the hub and the log that a
 * source with no exit code (standard input, a replay, a network source, a
 * port) ended; `where` names it in the log line (`{ udp: "127.0.0.1:9870" }`).
 * One that `stopped()` says liveplot stopped (a signal, a shutdown) is
 * `source-stopped`, as a command is; one that ended by itself `source-ended`.
 */
export async function endedWhen(
  finished: Promise<unknown>,
  { hub, log }: Pick<SourceOptions, "hub" | "log">,
  where: Record<string, string>,
  stopped: () => boolean = () => false,
): Promise<void> {
  await finished;
  hub.report({ state: "ended", exitCode: null, detail: null });
  log.info(stopped() ? "source-stopped" : "source-ended", where);
}

/** Waits `ms`, or less when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
