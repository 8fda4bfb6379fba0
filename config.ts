/**
 * The one typed configuration that `main.ts` builds from flags and the
 * environment and hands to the server. Nothing below `main.ts` reads flags.
 *
 * @module
 */

/** Where the plotted numbers come from. */
export type SourceSpec =
  | { kind: "demo" }
  | { kind: "stdin" }
  | { kind: "command"; command: string; args: string[] };

/** How input lines are read: numeric columns, or the seed's `series x y`. */
export type LineFormat = "columns" | "sxy";

/** What x means for column input: arrival time, or the sample count. */
export type XAxis = "time" | "index";

/** How much liveplot logs. */
export type LogLevel = "quiet" | "normal" | "verbose";

/** Everything the server needs to run, already validated. */
export interface Config {
  hostname: string;
  port: number;
  open: boolean;
  source: SourceSpec;
  format: LineFormat;
  xAxis: XAxis;
  /** Points kept per series and replayed to a viewer that joins late. */
  window: number;
  /** Longest input line kept, in bytes; longer ones are cut off and counted. */
  maxLineBytes: number;
  /** Bytes a viewer may have queued before it is dropped with 1013. */
  maxQueuedBytes: number;
  /** Largest message a client may send, in bytes; over it closes with 1009. */
  maxMessageBytes: number;
  /** Concurrent WebSocket clients; over it upgrades get 503. */
  maxClients: number;
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
  format: "columns",
  xAxis: "time",
  // The seed plotted the last 200 points.
  window: 200,
  // A finite backstop against one endless line, far above any real sample line.
  maxLineBytes: 64 * 1024,
  // About 10 s of a busy stream for a tab in the background; past that the
  // viewer is better served by reconnecting and taking the window afresh.
  maxQueuedBytes: 1024 * 1024,
  // liveplot's own clients send nothing large; 1 MiB leaves room for /echo use.
  maxMessageBytes: 1024 * 1024,
  // A runaway backstop, not a capacity plan: each client costs tens of KiB.
  maxClients: 10_000,
  // Deno's own default idle timeout; finds dead peers within a minute.
  pingIntervalSeconds: 30,
  origins: [],
  logLevel: "normal",
};
