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
import { BackplaneUrlError, parseRedisUrl } from "./backplane/backplane.ts";
import {
  type Config,
  DEFAULTS,
  FORMATS,
  type LineFormat,
  type SourceSpec,
  type WindowSpec,
  type XChoice,
} from "./config.ts";
import {
  FLAGS,
  parseArgsOptions,
  switchSpellings,
  usageOptions,
  valueFlagSpellings,
} from "./flags.ts";
import { curlExample, generateToken } from "./handlers/token.ts";
import { createLogger, describeError } from "./log.ts";
import { ListenError, type RunningServer, startServer } from "./server.ts";
import { isStreamName } from "./stream/registry.ts";
import { SourceStartError } from "./stream/source.ts";
import { parseSourceFlags, SourceAddressError } from "./stream/source_spec.ts";

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
${usageOptions()}`;

/** Error for a bad command line: one line, then the usage, exit 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: Config };

const VALUE_FLAGS = valueFlagSpellings();
const SWITCHES = switchSpellings();
const SHORT_VALUE_FLAGS = new Set(
  FLAGS.filter((flag) => flag.value && flag.short).map((flag) => flag.short),
);

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
      options: parseArgsOptions(),
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const text = (name: string) => values[name] as string | undefined;
  const on = (name: string) => values[name] === true;

  const replay = text("replay");
  const sourceWords = [...parsed.positionals, ...rest];
  if (replay !== undefined && sourceWords.length > 0) {
    throw new UsageError("--replay is the source: give no other source with it");
  }
  if (text("speed") !== undefined && replay === undefined) {
    throw new UsageError("--speed goes with --replay");
  }
  if (on("record-required") && text("record") === undefined) {
    throw new UsageError("--record-required goes with --record");
  }
  // --serial, --mqtt, --udp and --scrape: their checks live with the sources (source_spec.ts).
  let device: SourceSpec | undefined;
  try {
    const other = replay !== undefined
      ? "--replay"
      : sourceWords.length > 0
      ? "a command"
      : undefined;
    device = parseSourceFlags(text, other);
  } catch (error) {
    if (error instanceof SourceAddressError) throw new UsageError(error.message);
    throw error;
  }
  const source: SourceSpec = device ??
    (replay === undefined
      ? parseSource(sourceWords)
      : { kind: "replay", path: replay, speed: parseSpeed(text("speed")) });
  if (on("quiet") && on("verbose")) throw new UsageError("Use --quiet or --verbose, not both");
  if ((text("cert") === undefined) !== (text("key") === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  const cert = text("cert");
  const token = fromFlagOrEnv(text("token"), "LIVEPLOT_TOKEN", env)?.text;
  const key = text("key");
  const config: Config = {
    hostname: fromFlagOrEnv(text("host"), "HOST", env)?.text ?? DEFAULTS.hostname,
    port: parseInteger("port", fromFlagOrEnv(text("port"), "PORT", env), DEFAULTS.port, 0, 65535),
    open: !on("no-open"),
    source,
    format: parseFormat(text("format")),
    x: parseX(text("x")),
    window: parseWindow(text("window")),
    yRange: parseRange(text("y-range")),
    pty: !on("no-pty"),
    record: text("record") === undefined
      ? undefined
      : { path: text("record") as string, required: on("record-required") },
    historyBytes: parseBytes("--history", text("history"), DEFAULTS.historyBytes, 0),
    stream: parseStreamName(text("stream")),
    maxStreams: parseInteger("max-streams", text("max-streams"), DEFAULTS.maxStreams, 1, 100_000),
    streamTtlSeconds: parseInteger(
      "stream-ttl",
      text("stream-ttl"),
      DEFAULTS.streamTtlSeconds,
      1,
      30 * 86_400,
    ),
    maxLineBytes: parseBytes("--max-line", text("max-line"), DEFAULTS.maxLineBytes),
    maxQueuedBytes: parseBytes("--max-queue", text("max-queue"), DEFAULTS.maxQueuedBytes),
    maxMessageBytes: parseBytes("--max-message", text("max-message"), DEFAULTS.maxMessageBytes),
    maxClients: parseInteger("max-clients", text("max-clients"), DEFAULTS.maxClients, 1, 1e7),
    maxClientsPerAddress: parseInteger(
      "max-clients-per-ip",
      text("max-clients-per-ip"),
      DEFAULTS.maxClientsPerAddress,
      0,
      1e7,
    ),
    trustProxy: on("trust-proxy"),
    pingIntervalSeconds: parseInteger(
      "ping-interval",
      text("ping-interval"),
      DEFAULTS.pingIntervalSeconds,
      0,
      86_400,
    ),
    origins: ((values.origin as string[] | undefined) ?? []).map(parseOrigin),
    tls: cert !== undefined && key !== undefined
      ? { cert: readPem("--cert", cert, readFile), key: readPem("--key", key, readFile) }
      : undefined,
    redis: text("redis") === undefined ? undefined : parseRedis(text("redis") as string),
    reusePort: on("reuse-port"),
    token: token ?? generateToken(),
    tokenGenerated: token === undefined,
    readToken: text("read-token"),
    maxBodyBytes: parseBytes("--max-body", text("max-body"), DEFAULTS.maxBodyBytes),
    maxIngestRate: parseInteger(
      "max-ingest-rate",
      text("max-ingest-rate"),
      DEFAULTS.maxIngestRate,
      1,
      1e9,
    ),
    logLevel: on("quiet") ? "quiet" : on("verbose") ? "verbose" : "normal",
  };
  if (config.token === "" || config.readToken === "") {
    throw new UsageError("A token must not be empty");
  }
  if (config.hostname === "") throw new UsageError("--host must not be empty");
  return { kind: "serve", config };
}

/** A flag's value, else its environment variable's, labelled with where it came from. */
function fromFlagOrEnv(
  flag: string | undefined,
  name: string,
  env: (name: string) => string | undefined,
): { text: string; from: string } | undefined {
  if (flag !== undefined) return { text: flag, from: "" };
  const value = env(name);
  return value === undefined ? undefined : { text: value, from: name };
}

/**
 * Splits options from the source words. A leading `--` followed by one of
 * liveplot's own options or `-` is dropped: it is what `deno task start --
 * --port 0` passes along, not the start of a command.
 */
function splitOptions(given: readonly string[]): { options: string[]; rest: string[] } {
  const next = given[1]?.split("=")[0] ?? "";
  const args = given[0] === "--" && (next === "-" || VALUE_FLAGS.has(next) || SWITCHES.has(next))
    ? given.slice(1)
    : given;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return { options: args.slice(0, i), rest: args.slice(i + 1) };
    if (arg === "-" || !arg.startsWith("-")) {
      return { options: args.slice(0, i), rest: args.slice(i) };
    }
    if (VALUE_FLAGS.has(arg) || takesNextAsValue(arg)) i++;
  }
  return { options: [...args], rest: [] };
}

/** A group of short switches ending in one that takes a value: `-qp 0`. */
function takesNextAsValue(arg: string): boolean {
  if (!/^-[A-Za-z]{2,}$/.test(arg)) return false;
  return SHORT_VALUE_FLAGS.has(arg.at(-1) as string);
}

function parseSource(words: string[]): SourceSpec {
  const [first, ...args] = words;
  if (first === undefined) return { kind: "demo" };
  if (first === "-") {
    if (args.length > 0) throw new UsageError(`Unexpected argument after "-": "${args[0]}"`);
    return { kind: "stdin" };
  }
  if (first === "") throw new UsageError("The command must not be empty");
  return { kind: "command", command: first, args };
}

function parseInteger(
  name: string,
  given: string | { text: string; from: string } | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (given === undefined) return fallback;
  const { text, from } = typeof given === "string" ? { text: given, from: "" } : given;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    const what = from ? `The environment variable ${from}` : `--${name}`;
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function parseRedis(text: string): string {
  try {
    return parseRedisUrl(text).href;
  } catch (error) {
    if (error instanceof BackplaneUrlError) throw new UsageError(error.message);
    throw error;
  }
}

function parseSpeed(text: string | undefined): number | "max" {
  if (text === undefined) return 1;
  if (text === "max") return "max";
  const speed = Number(text);
  if (!(speed > 0 && speed <= 1e6) || text.trim() === "") {
    throw new UsageError(`--speed must be a positive number or max, not "${text}"`);
  }
  return speed;
}

function parseStreamName(text: string | undefined): string {
  if (text === undefined) return DEFAULTS.stream;
  if (!isStreamName(text)) {
    throw new UsageError(
      `--stream must be 1 to 64 letters, digits, "-", "_" or ".", not "${text}"`,
    );
  }
  return text;
}

function parseFormat(text: string | undefined): LineFormat {
  if (text === undefined) return DEFAULTS.format;
  if (text === "sxy") return "series-x-y";
  if (!FORMATS.includes(text as LineFormat)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")} or sxy, not "${text}"`);
  }
  return text as LineFormat;
}

function parseX(text: string | undefined): XChoice {
  if (text === undefined || text === "auto") return DEFAULTS.x;
  if (text === "time" || text === "index") return { kind: text };
  if (text.trim() === "") throw new UsageError("--x must be auto, time, index or a column name");
  return { kind: "field", name: text };
}

const DURATION_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Parses `--window`: a point count (`200`) or a duration (`60s`, `10m`, `1h`). */
export function parseWindow(text: string | undefined): WindowSpec {
  if (text === undefined) return DEFAULTS.window;
  const match = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(text.trim());
  const amount = Number(match?.[1]);
  const unit = match?.[2] ?? "";
  if (match && unit === "" && Number.isInteger(amount) && amount >= 1 && amount <= 1_000_000) {
    return { points: amount };
  }
  const seconds = amount * (DURATION_SECONDS[unit] ?? NaN);
  if (match && seconds > 0 && seconds <= 7 * 86_400) return { seconds };
  throw new UsageError(
    `--window must be a point count from 1 to 1000000 or a duration like 60s, 10m or 1h, not "${text}"`,
  );
}

function parseRange(text: string | undefined): [number, number] | undefined {
  if (text === undefined || text === "auto") return undefined;
  const [low, high, ...extra] = text.split(":").map((part) => part.trim());
  const min = Number(low);
  const max = Number(high);
  if (extra.length > 0 || low === "" || high === "" || !(min < max) || !Number.isFinite(max)) {
    throw new UsageError(`--y-range must be MIN:MAX with MIN below MAX, like 0:100, not "${text}"`);
  }
  return [min, max];
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses `65536`, `64KiB`, `64k`, `1MiB` or `1m` into bytes. */
export function parseBytes(
  flag: string,
  text: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? "?"];
  const value = match && unit ? Number(match[1]) * unit : NaN;
  if (!(value >= min && value <= 64 * 1024 ** 3)) {
    throw new UsageError(
      `${flag} must be a size from ${min} bytes to 64GiB (like 65536 or 64KiB), not "${text}"`,
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
  throw new UsageError(`--origin must be a URL like http://example.com:8080 or "*", not "${text}"`);
}

function readPem(flag: string, path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read ${flag} file "${path}": ${describeError(error)}`);
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
    server = await startServer(config, {
      log,
      onFatal: (message) => {
        console.error(message);
        Deno.exit(1);
      },
    });
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
  if (config.tokenGenerated) {
    console.log(`Push a stream with: ${curlExample(server.url, config.token)}`);
  }

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
