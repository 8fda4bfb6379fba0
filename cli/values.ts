/**
 * Parsers for flag values: each turns the text a user typed into a typed
 * value or throws a `UsageError` whose one line names what was given. The
 * flag table (flags.ts) pairs each flag with one of these.
 *
 * @module
 */

import { BackplaneUrlError, parseRedisUrl } from "../backplane/backplane.ts";
import {
  type LineFormat,
  type Parsed,
  parseFormat as parseFormatText,
  parseXChoice as parseXChoiceText,
  type WindowSpec,
  type XChoice,
} from "../config.ts";
import { isStreamName, RESERVED_NAMES_TEXT, reservedBecause } from "../stream/stream_name.ts";

/** Error for a bad command line: one line, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Error for a start that failed in a way the user can fix, the command line being right: a
 * file it names cannot be read or used (`--cert`, `--key`, `--token-file`), the port, the
 * command, the replay. Its message is the one line; exit 1.
 */
export class StartError extends Error {
  override name = "StartError";
}

/** Parses a whole number from `min` to `max`; `label` names where it came from in the error. */
export function parseInteger(text: string, label: string, min: number, max: number): number {
  const value = Number(text);
  // Digits only: " 80" is a quoting slip, not a port (Number would take it as 80).
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${label} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses `65536`, `64KiB`, `64k`, `1MiB` or `1m` into bytes, from `min` to 64 GiB. */
export function parseBytes(text: string, label: string, min = 1): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "?"];
  const value = match && unit ? Number(match[1]) * unit : NaN;
  if (!(value >= min && value <= 64 * 1024 ** 3)) {
    throw new UsageError(
      `${label} must be a size from ${min} bytes to 64GiB (like 65536 or 64KiB), not "${text}"`,
    );
  }
  return value;
}

const DURATION_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Parses `--window`: a point count (`200`) or a duration (`60s`, `10m`, `1h`). */
export function parseWindow(text: string): WindowSpec {
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

/**
 * Parses `--y-range MIN:MAX`; `auto` is no fixed range. Both ends must be finite: JSON
 * carries an infinite end to the page as null.
 */
export function parseRange(text: string): [number, number] | undefined {
  if (text === "auto") return undefined;
  const [low, high, ...extra] = text.split(":").map((part) => part.trim());
  const min = Number(low);
  const max = Number(high);
  if (
    extra.length > 0 || low === "" || high === "" || !(min < max) || !Number.isFinite(min) ||
    !Number.isFinite(max)
  ) {
    throw new UsageError(
      `--y-range must be MIN:MAX, finite numbers with MIN below MAX, like 0:100, not "${text}"`,
    );
  }
  return [min, max];
}

/** Parses `--format` (the one rule is config.ts's, which a push's `?format=` uses too). */
export function parseFormat(text: string): LineFormat {
  return orUsageError("--format", parseFormatText(text));
}

/** Parses `--x`: auto, time, index, or the name of a column or field. */
export function parseXChoice(text: string): XChoice {
  return orUsageError("--x", parseXChoiceText(text));
}

/** A parsed value, or a usage error naming the flag. */
function orUsageError<T>(flag: string, parsed: Parsed<T>): T {
  if (!parsed.ok) throw new UsageError(`${flag} ${parsed.reason}`);
  return parsed.value;
}

/** Parses `--speed`: a positive factor on the recorded pace, or `max`. */
export function parseSpeed(text: string): number | "max" {
  if (text === "max") return "max";
  const speed = Number(text);
  if (!(speed > 0 && speed <= 1e6) || text.trim() === "") {
    throw new UsageError(`--speed must be a positive number or max, not "${text}"`);
  }
  return speed;
}

/** Parses `--stream`: a stream name as the URL `/s/NAME` takes it, and not one the routes keep. */
export function parseStreamName(text: string): string {
  const reserved = reservedBecause(text);
  if (reserved !== undefined) {
    throw new UsageError(
      `--stream "${text}" is reserved: ${reserved} (reserved: ${RESERVED_NAMES_TEXT})`,
    );
  }
  if (!isStreamName(text)) {
    throw new UsageError(
      `--stream must be 1 to 64 letters, digits, "-", "_" or ".", not "${text}"`,
    );
  }
  return text;
}

/** Parses `--redis`: a `redis://HOST:PORT[/DB]` URL. */
export function parseRedis(text: string): string {
  try {
    return parseRedisUrl(text).href;
  } catch (error) {
    if (error instanceof BackplaneUrlError) throw new UsageError(error.message);
    throw error;
  }
}

/** Parses `--origin`: a URL's origin, or `*`. */
export function parseOrigin(text: string): string {
  if (text === "*") return text;
  try {
    const url = new URL(text);
    if (url.origin !== "null") return url.origin;
  } catch {
    // Reported below.
  }
  throw new UsageError(`--origin must be a URL like http://example.com:8080 or "*", not "${text}"`);
}

/** Tokens shorter than this are accepted with a warning: they can be guessed. */
export const MIN_TOKEN_CHARS = 16;

/**
 * Parses a token: surrounding whitespace (a token file's newline) is dropped,
 * and a blank one is refused, since it could never match a Bearer header; so
 * is one with a character past printable ASCII, which a header cannot carry
 * as itself (a read token too: it is also sent as Bearer).
 */
export function parseToken(text: string, label: string): string {
  const token = text.trim();
  if (token === "") throw new UsageError(`${label} must not be blank`);
  if (/\s/.test(token)) throw new UsageError(`${label} must not contain whitespace`);
  if (/[^\x21-\x7e]/.test(token)) {
    throw new UsageError(
      `${label} must be printable ASCII only: an Authorization header cannot carry other characters`,
    );
  }
  return token;
}

/** Parses a file's name: an empty one would be the folder itself ("is a directory"). */
export function parseFileName(text: string, label: string): string {
  if (text === "") throw new UsageError(`${label} must name a file, not ""`);
  return text;
}

/**
 * Parses a non-empty host name or address to listen on, written as a URL
 * writes it (`LOCALHOST` → `localhost`, `127.1` and `2130706433` →
 * `127.0.0.1`, `0:0:0:0:0:0:0:1` → `::1`), so that every spelling of
 * loopback is known as one and gets the Host check (handlers/policy.ts).
 */
export function parseHost(text: string, label: string): string {
  if (text.trim() === "") throw new UsageError(`${label} must not be empty`);
  const literal = text.includes(":") && !text.startsWith("[") ? `[${text}]` : text;
  const hostname = URL.parse(`http://${literal}/`)?.hostname;
  return hostname === undefined || hostname === "" ? text : hostname.replace(/^\[(.*)\]$/, "$1");
}
