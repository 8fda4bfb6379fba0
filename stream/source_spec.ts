/**
 * The addresses of the network and device sources, checked before anything
 * starts: `--serial PATH --baud N`, `--mqtt URL`, `--udp [HOST:]PORT` and
 * `--scrape URL --every D --match REGEX`. A bad one throws
 * `SourceAddressError` with one line that names the flag and what it wants;
 * the command line turns it into a usage error.
 *
 * @module
 */

import type { SourceSpec } from "../config.ts";

/** Error for a source address that cannot work, with the one line to print. */
export class SourceAddressError extends Error {
  override name = "SourceAddressError";
}

/** The serial source. */
export type SerialSpec = Extract<SourceSpec, { kind: "serial" }>;
/** The MQTT source. */
export type MqttSpec = Extract<SourceSpec, { kind: "mqtt" }>;
/** The UDP source. */
export type UdpSpec = Extract<SourceSpec, { kind: "udp" }>;
/** The Prometheus scrape source. */
export type ScrapeSpec = Extract<SourceSpec, { kind: "scrape" }>;

/** The Arduino IDE's default, and what `Serial.begin(9600)` in its examples uses. */
export const DEFAULT_BAUD = 9600;
/** The rates `stty` takes on Linux; any other is refused before the port is touched. */
const BAUD_RATES: ReadonlySet<number> = new Set([
  50,
  75,
  110,
  134,
  150,
  200,
  300,
  600,
  1200,
  1800,
  2400,
  4800,
  9600,
  19200,
  38400,
  57600,
  115200,
  230400,
  460800,
  500000,
  576000,
  921600,
  1000000,
  1152000,
  1500000,
  2000000,
  2500000,
  3000000,
  3500000,
  4000000,
]);
/** MQTT's registered ports: plain and over TLS. */
const MQTT_PORT = 1883;
const MQTTS_PORT = 8883;
/** The fastest and slowest scrapes: faster only loads the target; slower is no live chart. */
const MIN_EVERY_SECONDS = 0.1;
const MAX_EVERY_SECONDS = 3600;

/** The source flags, each with the flags that only go with it. */
const SOURCE_FLAGS: Record<string, string[]> = {
  serial: ["baud"],
  mqtt: [],
  udp: [],
  scrape: ["every", "match"],
};

/**
 * The source the flags `--serial`, `--mqtt`, `--udp` or `--scrape` give, if
 * any, from each flag's value (`value("baud")`). `other` names another source
 * given on the command line (`--replay`, a command); only one may be.
 */
export function parseSourceFlags(
  value: (name: string) => string | undefined,
  other: string | undefined,
): SourceSpec | undefined {
  const given = Object.keys(SOURCE_FLAGS).filter((name) => value(name) !== undefined);
  for (const [name, companions] of Object.entries(SOURCE_FLAGS)) {
    const stray = companions.find((companion) => value(companion) !== undefined);
    if (stray && !given.includes(name)) {
      throw new SourceAddressError(`--${stray} goes with --${name}`);
    }
  }
  const [first, second] = given;
  if (first === undefined) return undefined;
  if (second !== undefined || other !== undefined) {
    throw new SourceAddressError(
      `--${first} is the source: give no other source with it (${second ? `--${second}` : other})`,
    );
  }
  const text = value(first) as string;
  if (first === "serial") return parseSerialSpec(text, value("baud"));
  if (first === "mqtt") return parseMqttUrl(text);
  if (first === "udp") return parseUdpAddress(text);
  return parseScrapeSpec(text, value("every"), value("match"));
}

/** Checks `--serial PATH [--baud N]`. */
export function parseSerialSpec(path: string, baud?: string): SerialSpec {
  if (path.trim() === "") {
    throw new SourceAddressError("--serial must name a device, like /dev/ttyACM0");
  }
  let rate = DEFAULT_BAUD;
  if (baud !== undefined) {
    rate = Number(baud);
    if (!/^\d+$/.test(baud.trim()) || !BAUD_RATES.has(rate)) {
      throw new SourceAddressError(
        `--baud must be a rate stty takes, like 9600 or 115200, not "${baud}"`,
      );
    }
  }
  return { kind: "serial", path, baud: rate };
}

/**
 * Checks `--mqtt mqtt://[user:pass@]host[:port]/TOPIC-FILTER` (or `mqtts://`):
 * the topic filter is the path, `+` and `#` as MQTT has them (`#` written
 * `%23` or as is). The broker's URL keeps the user and password.
 */
export function parseMqttUrl(text: string): MqttSpec {
  const fail = (why: string): never => {
    throw new SourceAddressError(
      `--mqtt must be mqtt://[USER:PASS@]HOST[:PORT]/TOPIC (or mqtts://), ${why}: "${
        redact(text)
      }"`,
    );
  };
  const match = /^(mqtts?):\/\/([^/?#]*)\/(.*)$/s.exec(text.trim());
  if (!match) return fail("not");
  const [, scheme, authority, rawTopic] = match as unknown as [string, string, string, string];
  let url: URL;
  try {
    url = new URL(`${scheme === "mqtts" ? "https" : "http"}://${authority}/`);
  } catch {
    const host = authority.replace(/^.*@/, "");
    const port = /^[^:]+:([^:\]]+)$|^\[.*\]:(.+)$/.exec(host);
    return fail(port ? "with a port from 1 to 65535" : "a host is needed");
  }
  if (url.hostname === "") fail("a host is needed");
  let topic: string;
  try {
    topic = decodeURIComponent(rawTopic);
  } catch {
    return fail("the topic is not valid percent-encoding");
  }
  if (topic === "") fail("a topic filter is needed (# for every topic)");
  const levels = topic.split("/");
  const wildcardMisplaced = levels.some((level, index) =>
    (level.includes("#") && (level !== "#" || index !== levels.length - 1)) ||
    (level.includes("+") && level !== "+")
  );
  if (wildcardMisplaced) fail("+ must be a whole level and # the last one");
  const port = url.port === "" ? (scheme === "mqtts" ? MQTTS_PORT : MQTT_PORT) : Number(url.port);
  const credentials = url.username === ""
    ? ""
    : `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  return {
    kind: "mqtt",
    broker: `${scheme}://${credentials}${url.host.replace(/:\d+$/, "")}:${port}`,
    topic,
  };
}

/** Checks `--udp [HOST:]PORT`; the host is loopback unless given, as the listener's is. */
export function parseUdpAddress(text: string): UdpSpec {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s]+):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new SourceAddressError(
      `--udp must be [HOST:]PORT with a port from 1 to 65535, like 9870 or 0.0.0.0:9870, not "${text}"`,
    );
  }
  const host = match[1] ?? "127.0.0.1";
  return { kind: "udp", hostname: host.replace(/^\[|\]$/g, ""), port };
}

/** Checks `--scrape URL [--every DURATION] [--match REGEX]`. */
export function parseScrapeSpec(url: string, every?: string, match?: string): ScrapeSpec {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new SourceAddressError(
      `--scrape must be an http:// or https:// URL, like http://127.0.0.1:9100/metrics, not "${
        redact(url)
      }"`,
    );
  }
  const seconds = every === undefined ? 1 : durationSeconds(every);
  if (!(seconds >= MIN_EVERY_SECONDS && seconds <= MAX_EVERY_SECONDS)) {
    throw new SourceAddressError(
      `--every must be a duration from 100ms to 1h, like 1s, 500ms or 1m, not "${every}"`,
    );
  }
  if (match !== undefined) {
    try {
      new RegExp(match);
    } catch (error) {
      throw new SourceAddressError(
        `--match must be a regular expression: ${(error as Error).message}`,
      );
    }
  }
  return { kind: "scrape", url: parsed.href, everySeconds: seconds, match };
}

/** What a source is, for the page's title and the log: never with a password. */
export function describeSource(spec: SourceSpec): string | undefined {
  switch (spec.kind) {
    case "demo":
      return undefined;
    case "stdin":
      return "standard input";
    case "command":
      return [spec.command, ...spec.args].join(" ");
    case "replay":
      return `replay of ${spec.path}`;
    case "serial":
      return `${spec.path} at ${spec.baud} baud`;
    case "mqtt":
      return `${redact(spec.broker)}/${spec.topic}`;
    case "udp":
      return `udp ${
        spec.hostname.includes(":") ? `[${spec.hostname}]` : spec.hostname
      }:${spec.port}`;
    case "scrape":
      return `scrape of ${redact(spec.url)}`;
  }
}

/** `mqtt://user:pass@host` → `mqtt://user:***@host` (and `http://` for `--scrape`). */
export function redact(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
}

function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return NaN;
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] ?? "s"] as number;
  return Number(match[1]) * scale;
}
