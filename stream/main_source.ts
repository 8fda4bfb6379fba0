/**
 * The command line's source (a command, standard input, a replay), started
 * into the main stream with `--record`'s recording when asked for.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { type Logger, WHOLE } from "../log.ts";
import { openRecorder, type Recorder, RecordError } from "./recorder.ts";
import type { Hub } from "./hub.ts";
import type { PointSink } from "./sink.ts";
import { type RunningSource, SourceStartError, startSource } from "./source.ts";

/** Things only the process can provide. */
export interface MainSourceOptions {
  log: Logger;
  /** Standard input, for the `stdin` source. */
  input?: ReadableStream<Uint8Array>;
  /** Told when liveplot cannot go on (a `--record-required` recording failed). */
  onFatal?: (message: string) => void;
}

/** A started source and its recording. */
export interface MainSource {
  source: RunningSource;
  recorder?: Recorder;
}

/**
 * Starts `config.source` into `sink` (and `hub`'s status); nothing for the
 * demo, which each viewer gets on its own. Throws `SourceStartError` if it cannot start.
 */
export async function startMainSource(
  config: Config,
  target: { hub: Hub; sink: PointSink },
  options: MainSourceOptions,
): Promise<MainSource | undefined> {
  const { log } = options;
  const spec = config.source;
  if (spec.kind === "demo") return undefined;
  const recorder = config.record ? await openRecording(config.record, options) : undefined;
  try {
    const source = await startSource(spec, {
      hub: target.hub,
      sink: target.sink,
      format: config.format,
      x: config.x,
      pty: config.pty,
      maxLineBytes: config.maxLineBytes,
      maxIngestRate: config.maxIngestRate,
      log,
      input: options.input,
      recorder,
    });
    return { source, recorder };
  } catch (error) {
    await recorder?.close();
    throw error;
  }
}

/**
 * Opens `--record`'s file. Failing to open it, or a later write error, stops the recording
 * with one log line and liveplot goes on; with `--record-required` liveplot stops instead.
 */
async function openRecording(
  record: { path: string; required: boolean },
  options: MainSourceOptions,
): Promise<Recorder | undefined> {
  try {
    return await openRecorder(record.path, {
      log: options.log,
      required: record.required,
      onFailure: (error) => {
        if (record.required) options.onFatal?.(error.message);
      },
    });
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    if (record.required) throw new SourceStartError(error.message);
    options.log.warn("record-failed", {
      error: error.message,
      note: "going on without recording",
    }, WHOLE);
    return undefined;
  }
}
