/**
 * Structured log lines in a stable `key=value` form, one line per event,
 * written to standard error so standard output stays free for the URL line.
 *
 * @module
 */

import type { LogLevel } from "./config.ts";

/** Field values a log line can carry. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes one line per event; `debug` lines appear only with `--verbose`. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const SEVERITY = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const THRESHOLD: Record<LogLevel, number> = { verbose: 0, normal: 1, quiet: 2 };

/** Creates a logger that drops lines below the level's threshold. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
): Logger {
  const emit = (severity: keyof typeof SEVERITY) => (event: string, fields: LogFields = {}) => {
    if (SEVERITY[severity] < THRESHOLD[level]) return;
    write(formatLine(severity, event, fields));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
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
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}
