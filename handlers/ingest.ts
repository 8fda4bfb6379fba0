/**
 * `POST /s/NAME` (or `PUT`, which is what `curl -T -` sends): lines of any
 * input format appended to stream NAME, creating it. The body is read as it
 * arrives, so `vmstat 1 | curl -sT - …` streams for hours; each chunk's lines
 * are committed as they come (stream/push_feed.ts), and the answer, at the
 * end of the body, counts every line once:
 * `{"taken":N,"headers":H,"blank":B,"skipped":M}`.
 *
 * The guards, in order: 405 another method; 403 a foreign `Origin` whatever
 * the token, so no web page can write cross-site; 401 a missing or wrong
 * token (logged once per address per minute: policy.ts OncePerAddress); 400
 * a bad or reserved name (`range`, `x.csv`: stream/registry.ts); 413 a
 * `Content-Length` over `--max-body` (a streamed body has none and is
 * allowed); 429 a stream over `--max-ingest-rate` lines/s; 400 a bad
 * `format` or `x`; 507 or 503 when the stream cannot take points (too many
 * streams, or the backplane waiting for its data store); 408 a body that
 * sends nothing for the listener's idle timeout. All but 408 leave the body
 * unread: the listener reads out one declared up to 64 MiB so the client
 * gets its answer whole, or ends the connection (listener.ts). 401, 408,
 * 413, 429 and 503 also say `Connection: close`, so the client sends
 * nothing more on it (Deno itself does not act on the header). A refusal in the middle of a
 * body ends it with that status and the counts so far: every line counted as
 * taken has been handed on, none after it was. 403, 408, 413 and 429 are
 * logged as `ingest-refused`, naming the client.
 *
 * @module
 */

import {
  type LineFormat,
  type Parsed,
  parseFormat,
  parseXChoice,
  type XChoice,
} from "../config.ts";
import { describeError, type LogFields, type Logger } from "../log.ts";
import type { LineReader } from "../stream/formats/types.ts";
import type { PushCounts } from "../stream/push_feed.ts";
import type { StreamWriter } from "../stream/registry.ts";
import { streamNameProblem } from "../stream/stream_name.ts";
import {
  bearerToken,
  type Client,
  clientFields,
  isAllowedOrigin,
  OncePerAddress,
  type OriginPolicy,
  tokensEqual,
} from "./policy.ts";
import { json } from "./respond.ts";
import { PEER_GONE } from "./websocket.ts";

/** Streams remembered for their rates; past it the full buckets are forgotten. */
const MAX_REMEMBERED = 10_000;

/** What the ingest route needs of the registry (`Streams` has it). */
export interface IngestStreams {
  /** A seat on stream `name`, created if new; undefined past `--max-streams`. */
  openWriter(name: string): IngestWriter | undefined;
}

/** One writer's seat on a stream, for the length of one request. */
export type IngestWriter = Pick<
  StreamWriter,
  "sink" | "blocked" | "readerFor" | "close" | "detected" | "skipped" | "cutOff" | "headers"
>;

/** Seconds a writer is asked to wait while the backplane cannot take points. */
export const BLOCKED_RETRY_AFTER_SECONDS = 5;

/** Everything `createIngestHandler` is given. */
export interface IngestOptions {
  /** The write token. */
  token: string;
  /** Origins allowed besides the server's own, as for WebSockets. */
  policy: OriginPolicy;
  streams: IngestStreams;
  /** The format of a push without `?format=` (`--format`). */
  format: LineFormat;
  /** Where x comes from in a push without `?x=` (`--x`). */
  x: XChoice;
  /** Largest `Content-Length` taken, in bytes. */
  maxBodyBytes: number;
  /** Lines per second per stream, across all its writers; a second's worth may come at once. */
  maxIngestRate: number;
  maxLineBytes: number;
  log: Logger;
}

/** Where a request came from, as the router knows it. */
export interface IngestRequestInfo {
  /** The stream's name, from the path. */
  name: string;
  /** Who sent it: behind a trusted proxy, the forwarded client (policy.ts `identifyClient`). */
  client: Client;
}

/** The route's handler; it resolves when the body has been read to its end. */
export type IngestHandler = (request: Request, info: IngestRequestInfo) => Promise<Response>;

/** Builds the handler; rate buckets and the 401 log memory live as long as it does. */
export function createIngestHandler(options: IngestOptions): IngestHandler {
  const { log } = options;
  const buckets = new Map<string, Bucket>();
  const unauthorizedLogged = new OncePerAddress();

  const logUnauthorized = (client: Client, reason: string) => {
    unauthorizedLogged.log(client.address, () =>
      log.warn("ingest-unauthorized", {
        remote: client.address,
        via: client.via,
        reason,
        note: "logged once a minute",
      }));
  };

  const bucketFor = (name: string): Bucket => {
    let bucket = buckets.get(name);
    if (!bucket) {
      if (buckets.size >= MAX_REMEMBERED) pruneFull(buckets, options.maxIngestRate);
      bucket = { tokens: options.maxIngestRate, updated: performance.now() };
      buckets.set(name, bucket);
    }
    refill(bucket, options.maxIngestRate);
    return bucket;
  };

  return async (request, pushed) => {
    const { name, client } = pushed;
    if (request.method !== "POST" && request.method !== "PUT") {
      return json(405, { error: "Use POST (or PUT) to send lines" }, { allow: "POST, PUT" });
    }
    const origin = request.headers.get("origin");
    if (origin !== null && !isAllowedOrigin(origin, request, options.policy)) {
      logRefused(log, 403, pushed, { reason: "origin", origin });
      return json(403, { error: "Origin not allowed: pages cannot write to liveplot" });
    }
    const token = bearerToken(request);
    if (!tokensEqual(token, options.token)) {
      logUnauthorized(client, token === undefined ? "no token" : "wrong token");
      return json(
        401,
        { error: "Missing or wrong token: send Authorization: Bearer TOKEN" },
        // The body is not read here: the listener reads out or drops it (listener.ts).
        { "www-authenticate": 'Bearer realm="liveplot"', connection: "close" },
      );
    }
    const problem = streamNameProblem(name);
    if (problem) return json(400, { error: problem });
    const length = request.headers.get("content-length");
    if (length !== null && Number(length) > options.maxBodyBytes) {
      logRefused(log, 413, pushed, { length, limit: options.maxBodyBytes });
      return json(413, {
        error: `Body of ${length} bytes is over the limit of ${options.maxBodyBytes}; ` +
          "stream it (chunked) instead",
      }, { connection: "close" });
    }
    const bucket = bucketFor(name);
    if (bucket.tokens < 1) {
      logRefused(log, 429, pushed, NO_LINES);
      return tooFast(bucket, options.maxIngestRate, NO_LINES);
    }
    const params = new URL(request.url).searchParams;
    const format = parseFormat(params.get("format") ?? options.format);
    if (!format.ok) return json(400, { error: `format ${format.reason}` });
    const x: Parsed<XChoice> = params.has("x")
      ? parseXChoice(params.get("x") ?? "")
      : { ok: true, value: options.x };
    if (!x.ok) return json(400, { error: `x ${x.reason}` });
    const opened = options.streams.openWriter(name);
    if (!opened) {
      return json(507, { error: "Too many streams: try again later", ...NO_LINES });
    }
    try {
      const early = opened.blocked();
      if (early) return blocked(early, NO_LINES);
      const reading = await loadReading();
      const reader = opened.readerFor(format.value, x.value, reading.createLineReader);
      return await readBody(request, reading, reader, opened, bucket, options, pushed);
    } finally {
      opened.close();
    }
  };
}

/**
 * The one `ingest-refused` line of a push refused with `status`: its stream,
 * who sent it (behind a trusted proxy the forwarded client, `via=` the proxy)
 * and `details` (the counts so far, or why).
 */
function logRefused(
  log: Logger,
  status: number,
  { name, client }: IngestRequestInfo,
  details: LogFields | Readonly<PushCounts>,
): void {
  log.warn("ingest-refused", { status, stream: name, ...clientFields(client), ...details });
}

/** The counts of a push refused before its body was read. */
const NO_LINES: Readonly<PushCounts> = { taken: 0, headers: 0, blank: 0, skipped: 0 };

interface Bucket {
  tokens: number;
  updated: number;
}

/** What reads a body: loaded with the first push that gets past the refusals, so a start loads none. */
interface Reading {
  PushFeed: typeof import("../stream/push_feed.ts").PushFeed;
  createLineReader: typeof import("../stream/formats/mod.ts").createLineReader;
}

let reading: Promise<Reading> | undefined;

function loadReading(): Promise<Reading> {
  return reading ??= Promise.all([
    import("../stream/push_feed.ts"),
    import("../stream/formats/mod.ts"),
  ]).then(([{ PushFeed }, { createLineReader }]) => ({ PushFeed, createLineReader }));
}

async function readBody(
  request: Request,
  { PushFeed }: Reading,
  reader: LineReader,
  writer: IngestWriter,
  bucket: Bucket,
  options: IngestOptions,
  pushed: IngestRequestInfo,
): Promise<Response> {
  const name = pushed.name;
  const feed = new PushFeed(writer, reader, options.maxLineBytes);
  const refused = (status: number) => logRefused(options.log, status, pushed, feed.counts);
  if (!request.body) return json(200, feed.counts);
  try {
    for await (const batch of feed.batches(request.body)) {
      const reason = writer.blocked();
      if (reason) return blocked(reason, feed.counts);
      refill(bucket, options.maxIngestRate);
      const allowed = Math.min(batch.lines.length, Math.floor(bucket.tokens));
      bucket.tokens -= allowed;
      feed.read(batch, allowed);
      if (allowed < batch.lines.length) {
        refused(429);
        return tooFast(bucket, options.maxIngestRate, feed.counts);
      }
    }
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      // The body went quiet (the listener's idle timeout): what was read stands.
      refused(408);
      return json(408, { error: `${error.message}: request abandoned`, ...feed.counts }, {
        connection: "close",
      });
    }
    // The writer went away mid-body: what was read stands, and no one hears the answer.
    const said = describeError(error);
    options.log.info("ingest-aborted", {
      stream: name,
      taken: feed.counts.taken,
      // Deno's words for a connection gone read like a fault; it is how Ctrl-C ends a push.
      reason: PEER_GONE.test(said) ? "the writer went away" : said,
    });
    return json(400, { error: "Body ended abruptly", ...feed.counts });
  }
  options.log.debug("ingest-done", { stream: name, ...feed.counts });
  // `curl -d @FILE` drops a file's line breaks: all of it arrives as one line, as a form.
  if (!feed.hasLineBreak && isForm(request) && lines(feed.counts) === 1) {
    return json(200, { ...feed.counts, hint: ONE_LINE_HINT });
  }
  return json(200, feed.counts);
}

/** What a push of one line with no line break, as curl -d sends it, may have been. */
const ONE_LINE_HINT = "One line with no line break, as curl -d sends a file (it drops the " +
  "newlines): send a file with --data-binary @FILE or -T FILE";

/** A body sent as a form: what `curl -d` and `--data-binary` say it is. */
function isForm(request: Request): boolean {
  return request.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded") ??
    false;
}

function lines({ taken, headers, blank, skipped }: PushCounts): number {
  return taken + headers + blank + skipped;
}

function refill(bucket: Bucket, rate: number): void {
  const now = performance.now();
  bucket.tokens = Math.min(rate, bucket.tokens + (now - bucket.updated) / 1000 * rate);
  bucket.updated = now;
}

function pruneFull(buckets: Map<string, Bucket>, rate: number): void {
  for (const [name, bucket] of buckets) {
    refill(bucket, rate);
    if (bucket.tokens >= rate) buckets.delete(name);
  }
}

function tooFast(bucket: Bucket, rate: number, counts: PushCounts): Response {
  const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  return json(429, {
    error: `Over the limit of ${rate} lines per second for this stream`,
    ...counts,
  }, { "retry-after": String(seconds), connection: "close" });
}

function blocked(reason: string, counts: PushCounts): Response {
  return json(503, { error: reason, ...counts }, {
    "retry-after": String(BLOCKED_RETRY_AFTER_SECONDS),
    connection: "close",
  });
}
