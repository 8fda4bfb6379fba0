/**
 * The help text: examples, flags, routes and environment, each from one table
 * that docs.ts also writes into README.md and docs/cli.md, so the three say
 * the same.
 *
 * @module
 */

import { type Flag, FLAGS } from "./flags.ts";

/** A command line and what it does. Each runs as written once `deno task install` has run. */
export interface Example {
  command: string;
  what: string;
}

/** The examples `--help`, README.md and docs/cli.md show (a test runs each, in this order). */
export const EXAMPLES: readonly Example[] = [
  { command: "vmstat 1 | liveplot -", what: "every column of vmstat, named by its header" },
  { command: "liveplot vmstat 1", what: "the same, vmstat run by liveplot (no shell)" },
  { command: "liveplot -- ping -i 0.2 localhost", what: "icmp_seq, ttl and time_ms" },
  { command: "liveplot -- iostat -x 1", what: "%user … %idle and every device's r/s … %util" },
  { command: "liveplot --window 10m mpstat 1", what: "the last ten minutes of each CPU figure" },
  { command: "liveplot --record today.lpr vmstat 1", what: "recorded line by line as it goes" },
  { command: "liveplot --replay today.lpr --speed max", what: "the same session, the same x" },
  { command: "liveplot", what: 'the demo: 100 random numbers per "Start Plot"' },
];

/** A route and what it serves. */
export interface RouteRow {
  route: string;
  what: string;
}

/** The routes liveplot answers, as `--help` lists them. */
export const ROUTES: readonly RouteRow[] = [
  { route: "/", what: "the page: the source's stream, else the demo" },
  { route: "/data", what: "WebSocket: that stream's window, then its points as they come" },
  { route: "/data.csv", what: "that stream's history as CSV" },
  { route: "/s/", what: "the streams served (HTML, or JSON for Accept: application/json)" },
  { route: "/s/NAME", what: "the page of stream NAME" },
  { route: "/s/NAME/data", what: "WebSocket: stream NAME's window and points" },
  { route: "/s/NAME.csv", what: "stream NAME's history as CSV" },
  { route: "POST /s/NAME", what: "push lines to stream NAME (Authorization: Bearer TOKEN)" },
];

/** An environment variable and what it does. */
export interface EnvironmentRow {
  name: string;
  what: string;
}

/** The environment liveplot reads: the flags' variables, the browser, the task's folder. */
export function environment(): EnvironmentRow[] {
  return [
    {
      name: "BROWSER",
      what: "the browser to open, as Python's webbrowser reads it (%s is the URL)",
    },
    ...FLAGS.filter((flag) => flag.env).map((flag) => ({
      name: flag.env as string,
      what: `--${flag.name} when the flag is not given`,
    })),
    {
      name: "INIT_CWD",
      what: "the folder relative paths resolve against (deno task sets it to yours)",
    },
  ];
}

/** Exit codes, as `--help` and docs/cli.md list them. */
export const EXIT_CODES: readonly { code: number; what: string }[] = [
  { code: 0, what: "stopped by SIGINT, SIGTERM or SIGHUP (or --help, --version)" },
  {
    code: 1,
    what: "could not start: the port, the command, or a file it names (--replay, --cert, --key, " +
      "--token-file) missing, unreadable or unusable; or, with --record-required, the recording " +
      "could not be written (without it, a warning), after a stop as on a signal",
  },
  { code: 2, what: "a bad command line: one line names the flag" },
];

function signature(flag: Flag): string {
  const long = `--${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

/** Two columns, the first padded to its widest entry. */
function columns(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join("\n");
}

/** A flag's help with its default and environment variable. */
export function flagHelp(flag: Flag): string {
  const notes = [
    flag.default ? `default ${flag.default}` : "",
    flag.env ? `env ${flag.env}` : "",
  ].filter(Boolean).join(", ");
  return notes ? `${flag.help} (${notes})` : flag.help;
}

/** The text `--help` prints. */
export function usage(): string {
  return `Usage: liveplot [options] [- | [--] COMMAND [ARGS...]]

Streams numbers over WebSockets into a live chart in the browser: the demo with
no source, standard input with -, or the output of COMMAND.

Examples:
${columns(EXAMPLES.map(({ command, what }) => [command, what]))}

Options:
${columns(FLAGS.map((flag) => [signature(flag), flagHelp(flag)]))}

Routes:
${columns(ROUTES.map(({ route, what }) => [route, what]))}

Environment:
${columns(environment().map(({ name, what }) => [name, what]))}

Exit codes:
${columns(EXIT_CODES.map(({ code, what }) => [String(code), what]))}`;
}
