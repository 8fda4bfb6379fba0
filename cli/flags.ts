/**
 * Every flag liveplot takes, declared once: each row carries its names, the
 * value it takes, its environment variable, its default as a user reads it,
 * one line of help, and the parser that turns its text into typed settings.
 * The table drives the parser (command_line.ts), the usage text and the
 * generated flag tables (usage.ts).
 *
 * @module
 */

import type { Config } from "../config.ts";
import { SWEEP_INTERVAL_MS } from "../stream/registry.ts";
import {
  parseBytes,
  parseFileName,
  parseFormat,
  parseHost,
  parseInteger,
  parseOrigin,
  parseRange,
  parseRedis,
  parseSpeed,
  parseStreamName,
  parseToken,
  parseWindow,
  parseXChoice,
} from "./values.ts";

/**
 * What the flags say, before they are checked together: the `Config` fields
 * they set, and those that need more than one flag (or a file) to become one.
 */
export interface Given extends Partial<Config> {
  replay?: string;
  /** The source flags' text, checked together by stream/source_spec.ts. */
  serial?: string;
  baud?: string;
  mqtt?: string;
  udp?: string;
  scrape?: string;
  every?: string;
  match?: string;
  speed?: number | "max";
  recordPath?: string;
  recordRequired?: boolean;
  certPath?: string;
  keyPath?: string;
  tokenFile?: string;
  quiet?: boolean;
  verbose?: boolean;
  help?: boolean;
  version?: boolean;
}

/** One flag: its names, the value it takes, what it means and how its value is read. */
export interface Flag {
  /** The long name, without `--`. */
  name: string;
  /** The one-letter name, without `-`. */
  short?: string;
  /** What the value looks like in the usage (`N`, `BYTES`); absent for a switch. */
  value?: string;
  /** Given more than once, every value counts. */
  multiple?: boolean;
  /** The environment variable read when the flag is absent. */
  env?: string;
  /** The default as a user reads it. */
  default?: string;
  /** One line: what it does. */
  help: string;
  /**
   * Turns the flag's text (empty for a switch) into settings; `label` names
   * where the text came from (`--port`, or `The environment variable PORT`).
   */
  parse: (text: string, label: string) => Given;
}

/** The flags, in the order the usage lists them. */
export const FLAGS: readonly Flag[] = [
  {
    name: "port",
    short: "p",
    value: "N",
    env: "PORT",
    default: "8000",
    help: "port to listen on; 0 picks a free one",
    parse: (text, label) => ({ port: parseInteger(text, label, 0, 65535) }),
  },
  {
    name: "host",
    value: "NAME",
    env: "HOST",
    default: "127.0.0.1",
    help: "address to listen on; exposing it is an explicit choice",
    parse: (text, label) => ({ hostname: parseHost(text, label) }),
  },
  { name: "no-open", help: "do not open the browser", parse: () => ({ open: false }) },
  {
    name: "format",
    value: "F",
    default: "auto",
    help: "input lines: auto, columns, csv, pairs, json, influx or series-x-y (alias sxy)",
    parse: (text) => ({ format: parseFormat(text) }),
  },
  {
    name: "x",
    value: "X",
    default: "auto",
    help: "x: auto (a timestamp in the data, else arrival), time, index, or a column/field NAME",
    parse: (text) => ({ x: parseXChoice(text) }),
  },
  {
    name: "window",
    value: "N|DURATION",
    default: "60s (demo: 200)",
    help: "points (500) or a duration (60s, 10m) of each series shown and sent to a late joiner",
    parse: (text) => ({ window: parseWindow(text) }),
  },
  {
    name: "y-range",
    value: "MIN:MAX",
    default: "auto",
    help: "fix the page's y range",
    parse: (text) => ({ yRange: parseRange(text) }),
  },
  {
    name: "history",
    value: "BYTES",
    default: "256MiB",
    help:
      "history kept per stream for scrollback and export; oldest dropped first; 0 keeps the window",
    parse: (text, label) => ({ historyBytes: parseBytes(text, label, 0) }),
  },
  {
    name: "record",
    value: "FILE",
    help: "append every input line with its arrival time to FILE, to --replay later",
    parse: (text, label) => ({ recordPath: parseFileName(text, label) }),
  },
  {
    name: "record-required",
    help: "stop liveplot when the recording cannot be written, instead of going on without it",
    parse: () => ({ recordRequired: true }),
  },
  {
    name: "replay",
    value: "FILE",
    help: "play a recording back as the source, with the x values it had live",
    parse: (text, label) => ({ replay: parseFileName(text, label) }),
  },
  {
    name: "speed",
    value: "N|max",
    default: "1",
    help: "replay speed: a factor on the recorded pace, or max for as fast as it reads",
    parse: (text) => ({ speed: parseSpeed(text) }),
  },
  {
    name: "serial",
    value: "PATH",
    help: "read lines from a serial port (raw mode, via stty); waits and reopens when unplugged",
    parse: (text) => ({ serial: text }),
  },
  {
    name: "baud",
    value: "N",
    default: "9600",
    help: "the serial port's baud rate",
    parse: (text) => ({ baud: text }),
  },
  {
    name: "mqtt",
    value: "URL",
    help: "subscribe to mqtt[s]://[USER:PASS@]HOST[:PORT]/TOPIC (+ and # work); a series per topic",
    parse: (text) => ({ mqtt: text }),
  },
  {
    name: "udp",
    value: "[HOST:]PORT",
    help:
      "read datagrams of lines on PORT (host 127.0.0.1 unless given); over --max-ingest-rate dropped",
    parse: (text) => ({ udp: text }),
  },
  {
    name: "scrape",
    value: "URL",
    help: "read a Prometheus/OpenMetrics endpoint: gauges, counters as rates, histogram means",
    parse: (text) => ({ scrape: text }),
  },
  {
    name: "every",
    value: "DURATION",
    default: "1s",
    help: "how often --scrape reads its URL",
    parse: (text) => ({ every: text }),
  },
  {
    name: "match",
    value: "REGEX",
    help: "with --scrape, only the metrics whose series name matches",
    parse: (text) => ({ match: text }),
  },
  {
    name: "stream",
    value: "NAME",
    default: "default",
    help: "the stream the source feeds and / serves (letters, digits, - _ .; not data, range, " +
      "., .. or NAME.csv)",
    parse: (text) => ({ stream: parseStreamName(text) }),
  },
  {
    name: "max-streams",
    value: "N",
    default: "500",
    help: "named streams held at once; past it new ones are refused",
    parse: (text, label) => ({ maxStreams: parseInteger(text, label, 1, 100_000) }),
  },
  {
    name: "stream-ttl",
    value: "S",
    default: "600",
    help: "seconds a stream with no writer and no viewer is kept (looked at every " +
      `${SWEEP_INTERVAL_MS / 1000} s)`,
    parse: (text, label) => ({ streamTtlSeconds: parseInteger(text, label, 1, 30 * 86_400) }),
  },
  {
    name: "no-pty",
    help:
      "run the command on a plain pipe, not a pseudo-terminal (which makes it write line by line)",
    parse: () => ({ pty: false }),
  },
  {
    name: "max-line",
    value: "BYTES",
    default: "64KiB",
    help: "longest input line read; longer ones are skipped whole and counted",
    parse: (text, label) => ({ maxLineBytes: parseBytes(text, label) }),
  },
  {
    name: "max-queue",
    value: "BYTES",
    default: "1MiB",
    help: "bytes queued for one viewer, past its join window, before it is dropped with 1013",
    parse: (text, label) => ({ maxQueuedBytes: parseBytes(text, label) }),
  },
  {
    name: "max-message",
    value: "BYTES",
    default: "1MiB",
    help: "largest message a client may send; over it the socket closes with 1009",
    parse: (text, label) => ({ maxMessageBytes: parseBytes(text, label) }),
  },
  {
    name: "max-clients",
    value: "N",
    default: "10000",
    help: "concurrent WebSocket clients; over it upgrades get 503 and Retry-After",
    parse: (text, label) => ({ maxClients: parseInteger(text, label, 1, 1e7) }),
  },
  {
    name: "max-clients-per-ip",
    value: "N",
    default: "128",
    help: "WebSocket clients one address may hold (loopback exempt); over it 503; 0 = no limit",
    parse: (text, label) => ({ maxClientsPerAddress: parseInteger(text, label, 0, 1e7) }),
  },
  {
    name: "ping-interval",
    value: "S",
    default: "30",
    help: "seconds between pings; a peer that does not answer is closed; 0 = never",
    parse: (text, label) => ({ pingIntervalSeconds: parseInteger(text, label, 0, 86_400) }),
  },
  {
    name: "origin",
    value: "URL",
    multiple: true,
    default: "own origin",
    help: "also accept WebSockets from this origin (repeatable); * accepts all",
    parse: (text) => ({ origins: [parseOrigin(text)] }),
  },
  {
    name: "trust-proxy",
    help: "take scheme, host and client address from Forwarded / X-Forwarded-* (behind a proxy)",
    parse: () => ({ trustProxy: true }),
  },
  {
    name: "token",
    value: "TOKEN",
    env: "LIVEPLOT_TOKEN",
    default: "random",
    help:
      "what POST /s/NAME needs as Authorization: Bearer TOKEN; made up and printed if not given",
    parse: (text, label) => ({ token: parseToken(text, label) }),
  },
  {
    name: "token-file",
    value: "FILE",
    help: "read the push token from FILE, so every process of a deployment shares it",
    parse: (text, label) => ({ tokenFile: parseFileName(text, label) }),
  },
  {
    name: "read-token",
    value: "TOKEN",
    env: "LIVEPLOT_READ_TOKEN",
    default: "none",
    help: "also require a token for pages, data, history and /echo (?token= or Bearer)",
    parse: (text, label) => ({ readToken: parseToken(text, label) }),
  },
  {
    name: "max-body",
    value: "BYTES",
    default: "16MiB",
    help: "largest Content-Length of a push; a streamed (chunked) body has no limit",
    parse: (text, label) => ({ maxBodyBytes: parseBytes(text, label) }),
  },
  {
    name: "max-ingest-rate",
    value: "N",
    default: "100000",
    help: "lines per second one stream takes from pushes; past it 429 and Retry-After",
    parse: (text, label) => ({ maxIngestRate: parseInteger(text, label, 1, 1e9) }),
  },
  {
    name: "redis",
    value: "URL",
    default: "none",
    help: "redis://HOST:PORT[/DB]: every process connected to it serves every stream",
    parse: (text) => ({ redis: parseRedis(text) }),
  },
  {
    name: "reuse-port",
    help: "let several liveplot processes listen on the same port (Linux), with --redis",
    parse: () => ({ reusePort: true }),
  },
  {
    name: "cert",
    value: "FILE",
    help: "PEM certificate: serve https and wss (needs --key)",
    parse: (text, label) => ({ certPath: parseFileName(text, label) }),
  },
  {
    name: "key",
    value: "FILE",
    help: "PEM private key for --cert",
    parse: (text, label) => ({ keyPath: parseFileName(text, label) }),
  },
  {
    name: "quiet",
    short: "q",
    help: "log warnings and errors only",
    parse: () => ({ quiet: true }),
  },
  {
    name: "verbose",
    short: "v",
    help: "also log every WebSocket connection",
    parse: () => ({ verbose: true }),
  },
  { name: "help", short: "h", help: "print this help", parse: () => ({ help: true }) },
  { name: "version", short: "V", help: "print the version", parse: () => ({ version: true }) },
];

/** The flag spelled `spelling` (`--port`, `-p`), if there is one. */
export function findFlag(spelling: string): Flag | undefined {
  if (spelling.startsWith("--")) return FLAGS.find((flag) => flag.name === spelling.slice(2));
  return FLAGS.find((flag) => flag.short !== undefined && `-${flag.short}` === spelling);
}
