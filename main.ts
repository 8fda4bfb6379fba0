/**
 * liveplot's command line: the only module that reads flags, the
 * environment and signals, opens the browser and exits.
 *
 * ```sh
 * deno task start                      # the seed's demo
 * vmstat 1 | deno task start -- -      # plot standard input
 * deno task start -- ping -i 0.2 localhost
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import manifest from "./deno.json" with { type: "json" };
import { type Config, DEFAULTS, type LogLevel, type SourceSpec } from "./config.ts";
import { createLogger } from "./log.ts";
import { ListenError, type RunningServer, startServer } from "./server.ts";
import { SourceStartError } from "./stream/source.ts";

/** liveplot's version, from deno.json. */
export const VERSION: string = manifest.version;

/** Exit within this long of SIGINT or SIGTERM, whatever peers do. */
const EXIT_DEADLINE_MS = 2000;

export const USAGE = `Usage: liveplot [options] [- | [--] COMMAND [ARGS...]]

Streams numbers over WebSockets into a live chart in the browser.
  liveplot                  the demo: 100 random numbers per "Start Plot"
  liveplot -                plot lines read from standard input
  liveplot [--] CMD ARGS    run CMD (no shell) and plot its standard output

Options:
  -p, --port N            port to listen on; 0 picks a free one (default 8000, env PORT)
      --host NAME         address to listen on (default 127.0.0.1, env HOST)
      --no-open           do not open the browser
      --format F          input lines: "columns" (numbers, column k is series k)
                          or "sxy" (the seed's "series x y") (default columns)
      --x X               x for columns: "time" (arrival) or "index" (default time)
      --window N          points kept per series and sent to late joiners (default 200)
      --max-line BYTES    longest input line; longer ones are cut off (default 64KiB)
      --max-queue BYTES   bytes queued per viewer before it is dropped (default 1MiB)
      --max-message BYTES largest message a client may send (default 1MiB)
      --max-clients N     concurrent WebSocket clients (default 10000)
      --ping-interval S   seconds between pings; 0 disables (default 30)
      --origin URL        also allow WebSockets from this origin; "*" allows all (repeatable)
      --cert FILE         PEM certificate: serve https and wss (needs --key)
      --key FILE          PEM private key for --cert
  -q, --quiet             log warnings and errors only
  -v, --verbose           also log every connection
  -h, --help              show this help
  -V, --version           show the version`;

/** Error for a bad command line: one line, then the usage, exit 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: Config };

const VALUE_OPTIONS = new Set([
  "-p",
  "--port",
  "--host",
  "--format",
  "--x",
  "--window",
  "--max-line",
  "--max-queue",
  "--max-message",
  "--max-clients",
  "--ping-interval",
  "--origin",
  "--cert",
  "--key",
]);

/**
 * Parses the arguments and environment into a command. Options end at `--`
 * or at the first argument that is not an option, which starts the command.
 * `readFile` loads the certificate and key.
 */
export function parseCommandLine(
  args: readonly string[],
  env: (name: string) => string | undefined,
  readFile: (path: string) => string,
): Command {
  const { options, rest } = splitOptions(args);
  let parsed;
  try {
    parsed = parseArgs({
      args: options,
      strict: true,
      allowPositionals: true,
      options: {
        port: { type: "string", short: "p" },
        host: { type: "string" },
        "no-open": { type: "boolean" },
        format: { type: "string" },
        x: { type: "string" },
        window: { type: "string" },
        "max-line": { type: "string" },
        "max-queue": { type: "string" },
        "max-message": { type: "string" },
        "max-clients": { type: "string" },
        "ping-interval": { type: "string" },
        origin: { type: "string", multiple: true },
        cert: { type: "string" },
        key: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const source = parseSource([...positionals, ...rest]);
  if (values.quiet && values.verbose) {
    throw new UsageError("Use --quiet or --verbose, not both");
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  const logLevel: LogLevel = values.quiet ? "quiet" : values.verbose ? "verbose" : "normal";
  const config: Config = {
    hostname: values.host ?? env("HOST") ?? DEFAULTS.hostname,
    port: parseInteger(
      "--port",
      values.port ?? env("PORT"),
      DEFAULTS.port,
      0,
      65535,
    ),
    open: !values["no-open"],
    source,
    format: parseChoice(
      "--format",
      values.format,
      ["columns", "sxy"],
      DEFAULTS.format,
    ),
    xAxis: parseChoice("--x", values.x, ["time", "index"], DEFAULTS.xAxis),
    window: parseInteger(
      "--window",
      values.window,
      DEFAULTS.window,
      1,
      100_000,
    ),
    maxLineBytes: parseBytes(
      "--max-line",
      values["max-line"],
      DEFAULTS.maxLineBytes,
    ),
    maxQueuedBytes: parseBytes(
      "--max-queue",
      values["max-queue"],
      DEFAULTS.maxQueuedBytes,
    ),
    maxMessageBytes: parseBytes(
      "--max-message",
      values["max-message"],
      DEFAULTS.maxMessageBytes,
    ),
    maxClients: parseInteger(
      "--max-clients",
      values["max-clients"],
      DEFAULTS.maxClients,
      1,
      1e7,
    ),
    pingIntervalSeconds: parseInteger(
      "--ping-interval",
      values["ping-interval"],
      DEFAULTS.pingIntervalSeconds,
      0,
      86_400,
    ),
    origins: (values.origin ?? []).map(parseOrigin),
    tls: values.cert !== undefined && values.key !== undefined
      ? {
        cert: readPem("--cert", values.cert, readFile),
        key: readPem("--key", values.key, readFile),
      }
      : undefined,
    logLevel,
  };
  if (config.hostname === "") throw new UsageError("--host must not be empty");
  return { kind: "serve", config };
}

const FLAG_OPTIONS = new Set([
  "--no-open",
  "-q",
  "--quiet",
  "-v",
  "--verbose",
  "-h",
  "--help",
  "-V",
  "--version",
]);

/**
 * Splits options from the source words. A leading `--` followed by one of
 * liveplot's own options or `-` is dropped: it is what `deno task start --
 * --port 0` passes along, not the start of a command.
 */
function splitOptions(
  given: readonly string[],
): { options: string[]; rest: string[] } {
  const next = given[1]?.split("=")[0] ?? "";
  const args =
    given[0] === "--" && (next === "-" || VALUE_OPTIONS.has(next) || FLAG_OPTIONS.has(next))
      ? given.slice(1)
      : given;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      return { options: args.slice(0, i), rest: args.slice(i + 1) };
    }
    if (arg === "-" || !arg.startsWith("-")) {
      return { options: args.slice(0, i), rest: args.slice(i) };
    }
    if (VALUE_OPTIONS.has(arg)) i++;
  }
  return { options: [...args], rest: [] };
}

function parseSource(words: string[]): SourceSpec {
  const [first, ...args] = words;
  if (first === undefined) return { kind: "demo" };
  if (first === "-") {
    if (args.length > 0) {
      throw new UsageError(`Unexpected argument after "-": "${args[0]}"`);
    }
    return { kind: "stdin" };
  }
  if (first === "") throw new UsageError("The command must not be empty");
  return { kind: "command", command: first, args };
}

function parseInteger(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max}, not "${text}"`,
    );
  }
  return value;
}

function parseChoice<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!choices.includes(text as T)) {
    throw new UsageError(
      `${flag} must be one of ${choices.join(", ")}, not "${text}"`,
    );
  }
  return text as T;
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
};

/** Parses `65536`, `64KiB`, `64k`, `1MiB` or `1m` into bytes. */
export function parseBytes(
  flag: string,
  text: string | undefined,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? "?"];
  const value = match && unit ? Number(match[1]) * unit : NaN;
  if (!(value >= 1 && value <= 1024 ** 3)) {
    throw new UsageError(
      `${flag} must be a size from 1 byte to 1GiB (like 65536 or 64KiB), not "${text}"`,
    );
  }
  return value;
}

function parseOrigin(text: string): string {
  if (text === "*") return text;
  try {
    const url = new URL(text);
    if (url.origin !== "null") return url.origin;
  } catch {
    // Reported below.
  }
  throw new UsageError(
    `--origin must be a URL like http://example.com:8080 or "*", not "${text}"`,
  );
}

function readPem(
  flag: string,
  path: string,
  readFile: (path: string) => string,
): string {
  try {
    return readFile(path);
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound ? "not found" : String(error);
    throw new UsageError(`Cannot read ${flag} file "${path}": ${detail}`);
  }
}

/** The command that opens `url`: `BROWSER` first, as in Python's webbrowser. */
export function browserCommands(
  url: string,
  os: string,
  browserEnv?: string,
): string[][] {
  if (browserEnv) {
    return browserEnv.split(os === "windows" ? ";" : ":").filter(Boolean).map(
      (entry) => {
        const words = entry.trim().split(/\s+/);
        return words.some((word) => word.includes("%s"))
          ? words.map((word) => word.replaceAll("%s", url))
          : [...words, url];
      },
    );
  }
  if (os === "darwin") return [["open", url]];
  // An empty title argument, so that start does not take the URL for one.
  if (os === "windows") return [["cmd", "/c", "start", "", url]];
  return [["xdg-open", url]];
}

/** Tries each opener in turn; returns false when none worked. */
export async function openBrowser(url: string): Promise<boolean> {
  for (
    const [command, ...args] of browserCommands(
      url,
      Deno.build.os,
      Deno.env.get("BROWSER"),
    )
  ) {
    try {
      const status = await new Deno.Command(command as string, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn().status;
      if (status.success) return true;
    } catch {
      // Not installed, or not permitted: try the next one.
    }
  }
  return false;
}

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  // A backstop: one failed promise must never take the server down for everyone.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    log.error("unhandled-rejection", { error: String(event.reason) });
  });
  let server: RunningServer;
  try {
    server = await startServer(config, { log });
  } catch (error) {
    if (error instanceof SourceStartError || error instanceof ListenError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }

  const stop = () => {
    setTimeout(() => Deno.exit(0), EXIT_DEADLINE_MS).unref?.();
    server.shutdown().then(() => Deno.exit(0));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // SIGTERM cannot be listened for on Windows.
    }
  }

  console.log(`liveplot listening on ${server.url.href}`);
  console.log(`liveplot ${VERSION}, Deno ${Deno.version.deno}`);

  if (config.open) {
    const browsable = new URL(server.url);
    if (["0.0.0.0", "[::]"].includes(browsable.hostname)) {
      browsable.hostname = "localhost";
    }
    if (!(await openBrowser(browsable.href))) {
      console.error(`Cannot open a browser: open ${browsable.href} yourself`);
    }
  }
}

if (import.meta.main) {
  let command: Command;
  try {
    command = parseCommandLine(
      Deno.args,
      (name) => Deno.env.get(name),
      Deno.readTextFileSync,
    );
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`liveplot: ${error.message}`);
    console.error(USAGE);
    Deno.exit(1);
  }
  if (command.kind === "help") console.log(USAGE);
  else if (command.kind === "version") console.log(`liveplot ${VERSION}`);
  else await serve(command.config);
}
