/**
 * The one typed configuration that the command line (cli/) builds from flags
 * and the environment and hands to the server. Nothing below cli/ reads flags.
 *
 * @module
 */

/** Where the plotted numbers come from. */
export type SourceSpec =
  | { kind: "demo" }
  | { kind: "stdin" }
  /** `cwd`: the folder the user ran liveplot from, which the command runs in. */
  | { kind: "command"; command: string; args: string[]; cwd?: string }
  | { kind: "replay"; path: string; speed: number | "max" }
  /** A serial port (`--serial`), put in raw mode at `baud`, reopened when it comes back. */
  | { kind: "serial"; path: string; baud: number }
  /** An MQTT broker (`--mqtt`): `mqtt[s]://[user:pass@]host:port` and a topic filter. */
  | { kind: "mqtt"; broker: string; topic: string }
  /** Datagrams to `hostname:port` (`--udp`), each one or more lines. */
  | { kind: "udp"; hostname: string; port: number }
  /** A Prometheus or OpenMetrics endpoint (`--scrape`), read every `everySeconds`. */
  | { kind: "scrape"; url: string; everySeconds: number; match?: string };

/** The input formats, `auto` first: it detects the format from the lines themselves. */
export const FORMATS = ["auto", "columns", "csv", "pairs", "json", "influx", "series-x-y"] as const;

/** How input lines are read (the formats' own modules call it `FormatName`). */
export type LineFormat = typeof FORMATS[number];

/** Where x comes from: a timestamp in the data else arrival (`auto`), or forced. */
export type XChoice =
  | { kind: "auto" }
  | { kind: "time" }
  | { kind: "index" }
  | { kind: "field"; name: string };

/** A parsed value, or why the text is not one (a sentence that follows the flag or parameter name). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Reads a format name as `--format` and a push's `?format=` take it (`sxy` is `series-x-y`). */
export function parseFormat(text: string): Parsed<LineFormat> {
  if (text === "sxy") return { ok: true, value: "series-x-y" };
  if ((FORMATS as readonly string[]).includes(text)) return { ok: true, value: text as LineFormat };
  return { ok: false, reason: `must be one of ${FORMATS.join(", ")} or sxy, not "${text}"` };
}

/** Reads where x comes from as `--x` and a push's `?x=` take it: auto, time, index or a column. */
export function parseXChoice(text: string): Parsed<XChoice> {
  if (text === "auto" || text === "time" || text === "index") {
    return { ok: true, value: { kind: text } };
  }
  if (text.trim() === "") {
    return { ok: false, reason: "must be auto, time, index or a column name" };
  }
  return { ok: true, value: { kind: "field", name: text } };
}

/** How much of each series a viewer sees and gets on joining: points, or seconds of x. */
export type WindowSpec = { points: number } | { seconds: number };

/** How much liveplot logs. */
export type LogLevel = "quiet" | "normal" | "verbose";

/**
 * Where the push token came from, which decides how the push line gives it:
 * a secret liveplot did not make up is named the way the user's shell reads
 * it, never printed (cli/token.ts).
 */
export type TokenOrigin =
  | { kind: "generated" }
  | { kind: "flag" }
  /** The environment variable `name` (`LIVEPLOT_TOKEN`). */
  | { kind: "environment"; name: string }
  /** `--token-file`: `path` as the user typed it. */
  | { kind: "file"; path: string };

/** Everything the server needs to run, already validated. */
export interface Config {
  hostname: string;
  port: number;
  open: boolean;
  source: SourceSpec;
  format: LineFormat;
  x: XChoice;
  /** What of each series is shown and replayed to a viewer that joins late. */
  window: WindowSpec;
  /** A fixed y range for the page, else automatic. */
  yRange?: [number, number];
  /** Run a command on a pseudo-terminal so that it writes line by line. */
  pty: boolean;
  /** `--record FILE`: every input line appended with its arrival time; `required` stops liveplot on a write error. */
  record?: { path: string; required: boolean };
  /** Bytes of each stream's history kept beyond its window; 0 keeps the window alone. */
  historyBytes: number;
  /** The stream the command line's source feeds, and `/` and `/data` serve. */
  stream: string;
  /** Named streams held at once; past it new ones are refused. */
  maxStreams: number;
  /** Seconds a stream with no writer and no viewer is kept. */
  streamTtlSeconds: number;
  /** `redis://HOST:PORT[/DB]`: serve every stream of every process connected to it. */
  redis?: string;
  /** Several processes may listen on the same port (Linux). */
  reusePort: boolean;
  /** What `POST /s/NAME` must carry as `Authorization: Bearer TOKEN`. */
  token: string;
  /** Where the token came from: the push line printed at start gives it accordingly. */
  tokenOrigin: TokenOrigin;
  /** When set, reading (pages, data, history) needs this token too. */
  readToken?: string;
  /** Largest `Content-Length` a push may have. */
  maxBodyBytes: number;
  /** Lines per second one stream takes from pushes. */
  maxIngestRate: number;
  /** Longest input line kept, in bytes; longer ones are cut off and counted. */
  maxLineBytes: number;
  /** Bytes a viewer may have queued before it is dropped with 1013. */
  maxQueuedBytes: number;
  /** Largest message a client may send, in bytes; over it closes with 1009. */
  maxMessageBytes: number;
  /** Concurrent WebSocket clients; over it upgrades get 503. */
  maxClients: number;
  /** WebSocket clients one address may hold (loopback exempt); 0 = no limit; over it 503. */
  maxClientsPerAddress: number;
  /** Trust `Forwarded` / `X-Forwarded-*` from a reverse proxy for scheme, host and address. */
  trustProxy: boolean;
  /** Seconds between pings; a peer that does not answer is closed. 0 disables. */
  pingIntervalSeconds: number;
  /** Extra origins allowed to open WebSockets; `"*"` allows every origin. */
  origins: string[];
  /** PEM certificate and key: serve https and wss. */
  tls?: { cert: string; key: string };
  logLevel: LogLevel;
}

/** Defaults, each with the reason it is what it is. */
export const DEFAULTS: Config = {
  // Loopback only: exposing a data stream to the network is an explicit choice.
  hostname: "127.0.0.1",
  // The seed's port.
  port: 8000,
  open: true,
  source: { kind: "demo" },
  format: "auto",
  x: { kind: "auto" },
  // The seed plotted the last 200 points. In-process uses (the tests) keep it; the command line
  // gives every stream a minute instead (cli/command_line.ts, LIVE_WINDOW).
  window: { points: 200 },
  // Most programs block-buffer a pipe; a terminal makes them write each line.
  pty: true,
  // A working day of a busy stream (16 bytes a point: 16M points) in a laptop's spare memory.
  historyBytes: 256 * 1024 * 1024,
  stream: "default",
  // A dashboard of dozens of sources, with room to spare; each stream costs at least 64 KiB a series.
  maxStreams: 500,
  // Long enough to reconnect a writer without losing the stream's history.
  streamTtlSeconds: 600,
  reusePort: false,
  // Replaced at start by a random one unless --token or LIVEPLOT_TOKEN gives it.
  token: "",
  tokenOrigin: { kind: "generated" },
  // A file of samples posted at once; a longer feed streams its body (chunked) instead.
  maxBodyBytes: 16 * 1024 * 1024,
  // Generous: a hundred fast sensors; it stops a runaway writer before it costs the others.
  maxIngestRate: 100_000,
  // A finite backstop against one endless line, far above any real sample line.
  maxLineBytes: 64 * 1024,
  // About 10 s of a busy stream for a tab in the background; past that the
  // viewer is better served by reconnecting and taking the window afresh.
  maxQueuedBytes: 1024 * 1024,
  // liveplot's own clients send nothing large; 1 MiB leaves room for /echo use.
  maxMessageBytes: 1024 * 1024,
  // A runaway backstop, not a capacity plan: each client costs tens of KiB.
  maxClients: 10_000,
  // An office behind one NAT address: 50 people with two tabs each, and room
  // to spare; one address still needs 79 of its peers to fill --max-clients.
  maxClientsPerAddress: 128,
  // Forwarding headers are whatever the client says unless a proxy sets them.
  trustProxy: false,
  // Deno's own default idle timeout; finds dead peers within a minute.
  pingIntervalSeconds: 30,
  origins: [],
  logLevel: "normal",
};

/**
 * Says, one sentence each, where limits do not make sense together; liveplot
 * starts anyway and logs each once.
 */
export function checkLimits(config: Config): string[] {
  const problems: string[] = [];
  if (config.maxMessageBytes > config.maxQueuedBytes) {
    problems.push(
      "--max-message is larger than --max-queue: an /echo client sending one such message is " +
        "closed before its echo is read",
    );
  }
  if (config.maxLineBytes > config.maxQueuedBytes) {
    problems.push(
      "--max-line is larger than --max-queue: a viewer may be dropped for one long line's points",
    );
  }
  if (config.pingIntervalSeconds === 0) {
    problems.push(
      "--ping-interval 0: a peer that vanishes from a quiet stream keeps its slot until the system notices",
    );
  }
  if (
    "points" in config.window && config.window.points > 100_000 && config.maxQueuedBytes < 1 << 20
  ) {
    problems.push(
      "--window is large for --max-queue: the join window is not counted, but every later frame is",
    );
  }
  if (config.reusePort && config.redis === undefined) {
    problems.push(
      "--reuse-port without --redis: the processes sharing the port each keep streams of their own",
    );
  }
  return problems;
}
