/**
 * The status of a stream's source, as every viewer is told it (the page
 * shows it): whether it is live, connecting, waiting or ended and why, what
 * a command said on stderr, and what did not plot, with the last few
 * skipped lines. Sources change it with `hub.report(…)` and
 * `hub.noteSkipped(…)`.
 *
 * @module
 */

/** A skipped line and why, as the page shows it. */
export interface SkippedLine {
  line: string;
  reason: string;
}

/** The state of the source, as viewers are told it. */
export interface SourceStatus {
  /**
   * `live`: reading; `connecting`/`waiting`: a network or serial source is not
   * receiving yet or any more (`detail` says why); `ended`: the source is done.
   */
  state: "live" | "connecting" | "waiting" | "ended";
  /** Why the source is connecting or waiting ("waiting for /dev/ttyACM0"); null otherwise. */
  detail: string | null;
  exitCode: number | null;
  /** The last few lines a command wrote to stderr, newest last (shown when it fails). */
  stderr: string[];
  /** Lines that fit no format. */
  skipped: number;
  /** Lines read as a header: they name columns or fields, and give no points. */
  headers: number;
  /** Lines longer than `--max-line`. */
  truncated: number;
  /** Points refused: past the series cap, or not a finite number. */
  refused: number;
  /** The last few skipped lines, newest last. */
  recentSkipped: SkippedLine[];
  /** With `--redis`: whether the data store is reachable; null without it. */
  store: "connected" | "waiting" | null;
  /** With `--redis`: times the data store lost points (restarted without its data). */
  gaps: number;
}

/** Skipped lines kept for the page to show. */
export const RECENT_SKIPPED = 5;
/** A skipped line is shown up to this many characters. */
const SKIPPED_LINE_CHARS = 200;

/** A live source's status before anything has happened. */
export function initialStatus(): SourceStatus {
  return {
    state: "live",
    detail: null,
    exitCode: null,
    stderr: [],
    skipped: 0,
    headers: 0,
    truncated: 0,
    refused: 0,
    recentSkipped: [],
    store: null,
    gaps: 0,
  };
}

/** `status` with `line` (cut short) and why it was skipped as the newest of the recent few. */
export function withSkippedLine(status: SourceStatus, line: string, reason: string): SourceStatus {
  const recent = status.recentSkipped.slice(1 - RECENT_SKIPPED);
  recent.push({ line: line.slice(0, SKIPPED_LINE_CHARS), reason });
  return { ...status, recentSkipped: recent };
}
