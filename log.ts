/**
 * Structured log lines in a stable `key=value` form, one line per event,
 * written to standard error so standard output stays free for the URL line.
 *
 * Peers decide how often warnings happen, so warnings are folded per kind:
 * the first of a kind is written, repeats within the following second are
 * counted, and one `suppressed=N` line per kind per second says how many were
 * left out. A kind is an event and, when the line has one, its `status=`: a
 * 413 and a 429 are different refusals, and one must not hide the other (the
 * summary names its status too). A status is liveplot's answer, not a peer's
 * word, so a log's size is still bounded by the number of kinds, not by what
 * clients do. Start-up warnings are never folded (`{ fold: false }`): the
 * command line makes them, not peers, and two may be of one kind (two limits
 * at odds). `info` and `error` lines are never folded: they are rare, and
 * an error means a bug worth every line. Nor are `debug` lines, which only
 * `--verbose` writes: whoever asks for every connection gets every one.
 *
 * @module
 */

import type { LogLevel } from "./config.ts";

/** Field values a log line can carry. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * Writes one line per event; `debug` lines appear only with `--verbose`.
 * Each returns whether its line was written: false when below the level, or
 * folded into the next summary (a repeat within the second).
 */
export interface Logger {
  debug(event: string, fields?: LogFields, options?: LineOptions): boolean;
  info(event: string, fields?: LogFields, options?: LineOptions): boolean;
  warn(event: string, fields?: LogFields, options?: LineOptions): boolean;
  error(event: string, fields?: LogFields, options?: LineOptions): boolean;
}

/** How one line is written. */
export interface LineOptions {
  /**
   * False for a line written whole whatever came before it: a start-up warning, which only the
   * command line makes (no peer can flood it), and of which two may be of one kind.
   */
  fold?: boolean;
}

/** Options for `createLogger`. */
export interface LoggerOptions {
  /** Fold repeated warnings (default true); tests that count every line turn it off. */
  fold?: boolean;
}

/** A line written whole, never folded: a start-up warning. */
export const WHOLE: LineOptions = Object.freeze({ fold: false });

/** How long repeats of one kind are counted before their summary line. */
export const FOLD_INTERVAL_MS = 1000;

const SEVERITY = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const THRESHOLD: Record<LogLevel, number> = { verbose: 0, normal: 1, quiet: 2 };
type Severity = keyof typeof SEVERITY;

interface Fold {
  /** The fields that tell the kind apart besides its event (its `status=`), for the summary. */
  kind: LogFields;
  suppressed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Creates a logger that drops lines below the level's threshold and folds repeats. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
  options: LoggerOptions = {},
): Logger {
  const fold = options.fold ?? true;
  // One entry per kind seen within the last second: bounded by the code's events and statuses.
  const folds = new Map<string, Fold>();
  const summarize = (key: string, severity: Severity, event: string) => {
    const state = folds.get(key);
    if (!state) return;
    if (state.suppressed === 0) {
      folds.delete(key);
      return;
    }
    write(
      formatLine(severity, event, { ...state.kind, suppressed: state.suppressed, period: "1s" }),
    );
    state.suppressed = 0;
    state.timer = startTimer(() => summarize(key, severity, event));
  };
  const emit =
    (severity: Severity) =>
    (event: string, fields: LogFields = {}, options: LineOptions = {}): boolean => {
      if (SEVERITY[severity] < THRESHOLD[level]) return false;
      if (!fold || severity !== "warn" || options.fold === false) {
        write(formatLine(severity, event, fields));
        return true;
      }
      const status = fields.status;
      const key = status === undefined ? event : `${event} ${status}`;
      const state = folds.get(key);
      if (state) {
        state.suppressed++;
        return false;
      }
      write(formatLine(severity, event, fields));
      const kind = status === undefined ? {} : { status };
      const created: Fold = { kind, suppressed: 0, timer: undefined };
      folds.set(key, created);
      created.timer = startTimer(() => summarize(key, severity, event));
      return true;
    };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}

/** Lines of one kind a source may write in any number (a command's standard error), bounded. */
export interface BoundedLines {
  /** Logs one line: at info within its second's first `perSecond`, else at debug or counted. */
  write(fields: LogFields): void;
  /** The lines have ended: the count so far, and the last line if it was left out, are written now. */
  end(): void;
}

/**
 * Bounds a kind of line that a source, not liveplot, decides the number of:
 * the first `perSecond` of each second are `info` lines; the rest are
 * `debug` lines, so `--verbose` writes every one, and otherwise they are
 * counted and one info line a second says how many were left out
 * (`suppressed=N period=1s`, with `fields`), as warnings are folded. The
 * last line left out before a count, or before the end, is written after it,
 * so the last line is always in the log. `--quiet` writes none of them.
 */
export function boundLines(
  log: Logger,
  event: string,
  perSecond: number,
  fields: LogFields = {},
): BoundedLines {
  let written = 0;
  let suppressed = 0;
  let held: LogFields | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const close = () => {
    clearTimeout(timer);
    timer = undefined;
    written = 0;
    if (suppressed > 0) log.info(event, { ...fields, suppressed, period: "1s" });
    if (held) log.info(event, held);
    suppressed = 0;
    held = undefined;
  };
  return {
    write(line) {
      timer ??= startTimer(close);
      if (written++ < perSecond) {
        log.info(event, line);
        return;
      }
      if (log.debug(event, line)) return;
      if (held) suppressed++;
      held = line;
    },
    end: close,
  };
}

/** A timer that never keeps the process alive by itself. */
function startTimer(callback: () => void): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, FOLD_INTERVAL_MS);
  Deno.unrefTimer(timer);
  return timer;
}

/** Formats one line: `level=info event=start key=value ...`, quoting as needed. */
function formatLine(
  severity: string,
  event: string,
  fields: LogFields,
): string {
  const parts = [`level=${severity}`, `event=${event}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(String(value))}`);
  }
  return parts.join(" ");
}

function formatValue(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  // JSON escapes C0 controls; the rest a terminal or an editor would act on is escaped the same way.
  return JSON.stringify(value).replace(
    UNSAFE_CHARACTERS,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Controls (C0, DEL, C1), bidi marks and overrides, line and paragraph separators. */
const UNSAFE = String.raw`\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069`;
const UNSAFE_CHARACTERS = new RegExp(`[${UNSAFE}]`, "g");
/** A value written as it is: no space, quote, `=`, backslash or unsafe character. */
const PLAIN_VALUE = new RegExp(String.raw`^[^\s"=\\${UNSAFE}]+$`);

/** Messages that say only that something failed: their error's `cause` says why. */
const GENERIC_MESSAGES = new Set(["fetch failed"]);
/** How many causes deep a generic message is looked behind: a chain may be long, or a cycle. */
const MAX_CAUSE_DEPTH = 4;
/** Node's error codes (npm clients: MQTT, Redis), in the words a fetch's cause gives. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  EADDRINUSE: "the port is already in use",
  EADDRNOTAVAIL: "no such address on this machine",
  EACCES: "permission denied",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
};

/**
 * The detail of a failure, as a message's last part after the colon:
 * `not found`, `permission denied`, `is a directory`, `connection refused`
 * for Node's `ECONNREFUSED`, or the error's own message. An error that says
 * only something generic (fetch's `fetch failed`) is described by its cause
 * instead: `connection refused`.
 */
export function describeError(error: unknown): string {
  let described = error;
  let depth = 0;
  while (
    described instanceof Error && GENERIC_MESSAGES.has(described.message) &&
    described.cause instanceof Error && depth < MAX_CAUSE_DEPTH
  ) {
    described = described.cause;
    depth++;
  }
  if (described instanceof Deno.errors.NotFound) return "not found";
  if (described instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (described instanceof Deno.errors.IsADirectory) return "is a directory";
  if (!(described instanceof Error)) return String(described);
  const code = (described as { code?: unknown }).code;
  if (typeof code === "string" && Object.hasOwn(CODE_WORDS, code)) return CODE_WORDS[code]!;
  // Deno's file errors end with the call and path (`…(os error 30): open '/x'`): the caller
  // names the path already.
  const message = described.message.replace(OS_ERROR_CALL, "$1");
  if (depth === 0) return message;
  return lastDetail(message) || (error as Error).message;
}

/** `Read-only file system (os error 30): open '/tmp/rec.lpr'` → its first part. */
const OS_ERROR_CALL = /(\(os error \d+\)): \w+ '.*'$/;

/**
 * The precise end of a cause's `context: context: detail` message, which is
 * how Deno's fetch words its chain: `error sending request for url (…):
 * client error (Connect): tcp connect error: Connection refused (os error
 * 111)` is `connection refused`. A last part of one word (`UnknownIssuer`)
 * keeps the part before it (`invalid peer certificate: UnknownIssuer`).
 */
function lastDetail(message: string): string {
  const parts = (message.split("\n")[0] ?? "").split(": ");
  const last = parts.at(-1) ?? "";
  const detail = (/\s/.test(last) ? last : parts.slice(-2).join(": "))
    .replace(/\s*\(os error \d+\)$/, "");
  // Mid-sentence after the colon: `Connection refused` → `connection refused`, but `HTTP` stays.
  return /^[A-Z][a-z]/.test(detail) ? detail[0]!.toLowerCase() + detail.slice(1) : detail;
}
