/**
 * Every flag liveplot takes, declared once. The table drives the parser
 * (`node:util` parseArgs options), the usage text and README.md's list of
 * flags (`deno task docs` writes it; a test checks it is current).
 *
 * @module
 */

/** One flag: its names, the value it takes, and what it means. */
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
  },
  {
    name: "host",
    value: "NAME",
    env: "HOST",
    default: "127.0.0.1",
    help: "address to listen on; exposing it is an explicit choice",
  },
  { name: "no-open", help: "do not open the browser" },
  {
    name: "format",
    value: "F",
    default: "auto",
    help: "input lines: auto, columns, csv, pairs, json, influx or series-x-y (alias sxy)",
  },
  {
    name: "x",
    value: "X",
    default: "auto",
    help: "x: auto (a timestamp in the data, else arrival), time, index, or a column/field NAME",
  },
  {
    name: "window",
    value: "N|DURATION",
    default: "200",
    help: "points (200) or seconds (60s, 10m) of each series shown and sent to a late joiner",
  },
  {
    name: "y-range",
    value: "MIN:MAX",
    default: "auto",
    help: "fix the page's y range",
  },
  {
    name: "history",
    value: "BYTES",
    default: "256MiB",
    help:
      "history kept per stream for scrollback and export; oldest dropped first; 0 keeps the window",
  },
  {
    name: "record",
    value: "FILE",
    help: "append every input line with its arrival time to FILE (see Recording)",
  },
  {
    name: "record-required",
    help: "stop liveplot when the recording cannot be written, instead of going on without it",
  },
  {
    name: "replay",
    value: "FILE",
    help: "play a recording back as the source, with the x values it had live",
  },
  {
    name: "speed",
    value: "N|max",
    default: "1",
    help: "replay speed: a factor on the recorded pace, or max for as fast as it reads",
  },
  {
    name: "serial",
    value: "PATH",
    help: "read lines from a serial port (raw mode, via stty); waits and reopens when unplugged",
  },
  {
    name: "baud",
    value: "N",
    default: "9600",
    help: "the serial port's baud rate",
  },
  {
    name: "mqtt",
    value: "URL",
    help: "subscribe to mqtt[s]://[USER:PASS@]HOST[:PORT]/TOPIC (+ and # work); a series per topic",
  },
  {
    name: "udp",
    value: "[HOST:]PORT",
    help:
      "read datagrams of lines on PORT (host 127.0.0.1 unless given); over --max-ingest-rate dropped",
  },
  {
    name: "scrape",
    value: "URL",
    help: "read a Prometheus/OpenMetrics endpoint: gauges, counters as rates, histogram means",
  },
  {
    name: "every",
    value: "DURATION",
    default: "1s",
    help: "how often --scrape reads its URL",
  },
  {
    name: "match",
    value: "REGEX",
    help: "with --scrape, only the metrics whose series name matches",
  },
  {
    name: "stream",
    value: "NAME",
    default: "default",
    help: "the stream the source feeds and / serves (letters, digits, - _ .)",
  },
  {
    name: "max-streams",
    value: "N",
    default: "500",
    help: "named streams held at once; past it new ones are refused",
  },
  {
    name: "stream-ttl",
    value: "S",
    default: "600",
    help: "seconds a stream with no writer and no viewer is kept",
  },
  {
    name: "no-pty",
    help: "run the command on a plain pipe, not a pseudo-terminal (see Buffering)",
  },
  {
    name: "max-line",
    value: "BYTES",
    default: "64KiB",
    help: "longest input line kept; longer ones are cut off and counted",
  },
  {
    name: "max-queue",
    value: "BYTES",
    default: "1MiB",
    help: "bytes queued for one viewer, past its join window, before it is dropped with 1013",
  },
  {
    name: "max-message",
    value: "BYTES",
    default: "1MiB",
    help: "largest message a client may send; over it the socket closes with 1009",
  },
  {
    name: "max-clients",
    value: "N",
    default: "10000",
    help: "concurrent WebSocket clients; over it upgrades get 503 and Retry-After",
  },
  {
    name: "max-clients-per-ip",
    value: "N",
    default: "128",
    help: "WebSocket clients one address may hold (loopback exempt); over it 503; 0 = no limit",
  },
  {
    name: "ping-interval",
    value: "S",
    default: "30",
    help: "seconds between pings; a peer that does not answer is closed; 0 = never",
  },
  {
    name: "origin",
    value: "URL",
    multiple: true,
    default: "own origin",
    help: "also accept WebSockets from this origin (repeatable); * accepts all",
  },
  {
    name: "trust-proxy",
    help: "take scheme, host and client address from Forwarded / X-Forwarded-* (behind a proxy)",
  },
  {
    name: "token",
    value: "TOKEN",
    env: "LIVEPLOT_TOKEN",
    default: "random",
    help:
      "what POST /s/NAME needs as Authorization: Bearer TOKEN; made up and printed if not given",
  },
  {
    name: "read-token",
    value: "TOKEN",
    default: "none",
    help: "also require a token to read pages, data and history (?token= or Bearer)",
  },
  {
    name: "max-body",
    value: "BYTES",
    default: "16MiB",
    help: "largest Content-Length of a push; a streamed (chunked) body has no limit",
  },
  {
    name: "max-ingest-rate",
    value: "N",
    default: "100000",
    help: "lines per second one stream takes from pushes; past it 429 and Retry-After",
  },
  {
    name: "redis",
    value: "URL",
    default: "none",
    help: "redis://HOST:PORT[/DB]: every process connected to it serves every stream",
  },
  {
    name: "reuse-port",
    help: "let several liveplot processes listen on the same port (Linux), with --redis",
  },
  { name: "cert", value: "FILE", help: "PEM certificate: serve https and wss (needs --key)" },
  { name: "key", value: "FILE", help: "PEM private key for --cert" },
  { name: "quiet", short: "q", help: "log warnings and errors only" },
  { name: "verbose", short: "v", help: "also log every WebSocket connection" },
  { name: "help", short: "h", help: "print this help" },
  { name: "version", short: "V", help: "print the version" },
];

/** Options for `node:util` parseArgs, from the table. */
export function parseArgsOptions(): Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
> {
  return Object.fromEntries(FLAGS.map((flag) => [flag.name, {
    type: flag.value ? "string" as const : "boolean" as const,
    ...(flag.short ? { short: flag.short } : {}),
    ...(flag.multiple ? { multiple: true } : {}),
  }]));
}

/** The spellings of flags that take a value: `--port`, `-p`. */
export function valueFlagSpellings(): Set<string> {
  return new Set(FLAGS.filter((flag) => flag.value).flatMap(spellings));
}

/** The spellings of switches: `--no-open`, `-q`. */
export function switchSpellings(): Set<string> {
  return new Set(FLAGS.filter((flag) => !flag.value).flatMap(spellings));
}

function spellings(flag: Flag): string[] {
  return flag.short ? [`-${flag.short}`, `--${flag.name}`] : [`--${flag.name}`];
}

function signature(flag: Flag): string {
  const long = `--${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

/** The option lines of the usage text. */
export function usageOptions(): string {
  const width = Math.max(...FLAGS.map((flag) => signature(flag).length)) + 2;
  return FLAGS.map((flag) => {
    const notes = [
      flag.default ? `default ${flag.default}` : "",
      flag.env ? `env ${flag.env}` : "",
    ].filter(Boolean).join(", ");
    const help = notes ? `${flag.help} (${notes})` : flag.help;
    return `  ${signature(flag).padEnd(width)}${help}`;
  }).join("\n");
}

/** README.md's flag table, as `deno fmt` lays it out. */
export function markdownTable(): string {
  const rows = FLAGS.map((flag) =>
    [
      (flag.short ? `\`-${flag.short}\`, ` : "") +
      `\`--${flag.name}${flag.value ? ` ${flag.value}` : ""}\``,
      flag.default ?? "",
      flag.help + (flag.env ? ` (env \`${flag.env}\`; the flag wins)` : ""),
    ].map((cell) => cell.replaceAll("|", "\\|"))
  );
  const header = ["flag", "default", "meaning"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}

/** Marks the start of the generated table in README.md. */
export const README_START = "<!-- flags: written by `deno task docs` from flags.ts -->";
/** Marks its end. */
export const README_END = "<!-- end of flags -->";

/** Returns `readme` with the flag table between its markers replaced by the current one. */
export function withFlagTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end < start) throw new Error("README.md has no flag table markers");
  return `${readme.slice(0, start + README_START.length)}\n\n${markdownTable()}\n\n${
    readme.slice(end)
  }`;
}

if (import.meta.main) {
  const path = new URL("./README.md", import.meta.url);
  await Deno.writeTextFile(path, withFlagTable(await Deno.readTextFile(path)));
}
