/**
 * The listener: `Deno.serve` for every request, with the two things liveplot
 * adds to it. Routes see only `Request → Response`; this file alone knows
 * how the connection behind them is handled.
 *
 * - A request body that sends nothing for `bodyIdleMs` is abandoned: its
 *   stream errors with a `TimeoutError`, which the route answers (408).
 * - An answer to a request whose body was not read to its end (a refused
 *   push: 400, 401, 403, 404, 405, 413, 429, 503, 507) ends the connection.
 *   Deno 2.9.6 keeps it, even when the answer says `Connection: close`
 *   (measured: open 6 s later, body unread), so the answer goes out chunked
 *   and the connection is dropped a second after its last chunk: the client
 *   has the status and the message (curl stops sending on an error answer,
 *   then prints it), and no way to go on sending. A body declared up
 *   to 64 MiB (so a file just over --max-body's 16 MiB gets its 413) is read
 *   out first while it keeps coming (at most 10 s), so the client reads its
 *   answer whole (a fetch errors on a dropped chunked answer, and a proxy
 *   still sending when the connection is reset loses the answer and says
 *   502) and keeps the connection. Dropping works for a body never read;
 *   once a body has been read in part (408), Deno keeps the connection until
 *   the client goes, whatever the answer does, so that answer goes whole and
 *   says `Connection: close` to the client; a proxy's body timeout closes it
 *   for a client that stays (docs/transport.md). Over HTTP/2 (a request with
 *   no `Host`: its authority is `:authority`) the answer is left as it is:
 *   the stream ends alone, and dropping it would lose the answer; its body is
 *   read out first whether or not it declares a length, and when read in part
 *   (a refusal mid-body) too: answered unread, a stream is reset and the
 *   client loses the answer. A
 *   `Connection: close` from the client is honoured by Deno itself.
 *
 * @module
 */

import { formatHost } from "./host.ts";
import { sleep } from "./stream/running_source.ts";

/** Where and how to listen. */
export interface ListenOptions {
  hostname: string;
  port: number;
  /** PEM certificate and key: serve https and wss. */
  tls?: { cert: string; key: string };
  /** Let other processes listen on the same port (Linux spreads connections over them). */
  reusePort?: boolean;
  /** How long a request body may send nothing before it is abandoned (`BODY_IDLE_MS`). */
  bodyIdleMs?: number;
  /** Answers a handler that threw or rejected (the router normally catches its own). */
  onError: (error: unknown) => Response;
  /**
   * Told when Deno stops accepting (its accept loop ends at its first error, such as
   * `Too many open files`) and, with no error, when listening again on the same port.
   */
  onListening?: (error?: unknown) => void;
}

/** A listening server: the part of `Deno.HttpServer` liveplot uses. */
export interface Listener {
  readonly port: number;
  /**
   * Stops listening and waits for open connections. A connection whose peer stopped
   * reading is waited for until the peer goes (denoland/deno#36337): callers bound the wait.
   */
  shutdown(): Promise<void>;
}

/** The handler `Deno.serve` takes. */
export type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** How long a request body may send nothing before it is abandoned with 408, by default. */
export const BODY_IDLE_MS = 30_000;

/** Error thrown when the address cannot be bound: `Cannot listen on HOST:PORT: why`. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** How long after Deno stops accepting it is asked to listen again, and between tries. */
export const RELISTEN_MS = 1000;

/**
 * Listens; throws `ListenError` with a one-line reason when it cannot. If Deno
 * stops accepting later (its accept loop ends at its first error: with the
 * process out of file descriptors, one burst of connections would leave it
 * running but deaf for good), it listens again on the same port every
 * `RELISTEN_MS` until it can; connections already open are kept.
 */
export function listen(options: ListenOptions, handler: Handler): Listener {
  const serve = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    hasBody(request)
      ? serveWithBody(request, info, handler, options, drains)
      : handler(request, info);
  const drains = { active: 0 };
  const stop = new AbortController();
  const open = (port: number) =>
    Deno.serve({
      signal: stop.signal,
      hostname: options.hostname,
      port,
      reusePort: options.reusePort,
      // A body ended on purpose (closingAfter) is not a failure: nothing to log or answer.
      onError: (error) =>
        error instanceof ConnectionClosed ? new Response(null) : options.onError(error),
      onListen: () => {},
      ...options.tls,
    }, serve);
  let first: Deno.HttpServer<Deno.NetAddr>;
  try {
    first = open(options.port);
  } catch (error) {
    const where = `${formatHost(options.hostname)}:${options.port}`;
    throw new ListenError(`Cannot listen on ${where}: ${describeListenError(error, options)}`);
  }
  const port = first.addr.port;
  // Settles once shutdown has stopped the server of the moment (or the tries to listen again).
  const served = (server: Deno.HttpServer<Deno.NetAddr>): Promise<void> =>
    server.finished.catch(async (error) => {
      if (stop.signal.aborted) return;
      options.onListening?.(error);
      while (!stop.signal.aborted) {
        await sleep(RELISTEN_MS, stop.signal);
        if (stop.signal.aborted) return;
        let next: Deno.HttpServer<Deno.NetAddr>;
        try {
          next = open(port);
        } catch {
          continue;
        }
        options.onListening?.();
        return served(next);
      }
    });
  const finished = served(first);
  return {
    port,
    shutdown: () => {
      stop.abort();
      return finished;
    },
  };
}

/** Why listening failed, as the end of `Cannot listen on HOST:PORT: …`. */
function describeListenError(error: unknown, options: ListenOptions): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `port ${options.port} is already in use (--port N takes another, --port 0 any free one)`;
  }
  const message = error instanceof Error ? error.message : String(error);
  // rustls checks the pair when Deno.serve builds its TLS config (KeyMismatch), and reads no
  // certificate from a key file or no key from a certificate file.
  if (/KeyMismatch/i.test(message)) return "the certificate and key do not match";
  if (/No certificates found/i.test(message)) {
    return "the --cert file holds no certificate (are --cert and --key swapped?)";
  }
  if (/No keys found/i.test(message)) {
    return "the --key file holds no private key (are --cert and --key swapped?)";
  }
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return message.split("\n")[0] ?? message;
}

/** True for a push with a body: only those pay for the watching wrapper; GET and HEAD never do. */
function hasBody(request: Request): boolean {
  // The method first: reading `body` makes Deno build a stream, even for a GET.
  const method = request.method;
  return (method === "POST" || method === "PUT") && request.body !== null;
}

/** Serves a request whose body is watched for idleness and for being read to its end. */
async function serveWithBody(
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  handler: Handler,
  options: ListenOptions,
  drains: { active: number },
): Promise<Response> {
  if (!URL.canParse(request.url)) {
    // A Host that makes no URL: the handler refuses it (400) unread, and the connection ends.
    const response = await handler(request, info);
    return request.headers.has("host") ? closingAfter(response) : response;
  }
  const idleMs = options.bodyIdleMs ?? BODY_IDLE_MS;
  // Over HTTP/2 (no Host) a body cancelled before its answer goes makes Deno reset the stream
  // (RST_STREAM CANCEL, which drops the answer's frames not yet sent): its rest is read out first.
  const http2 = !request.headers.has("host");
  const watched = watchBody(request.body as ReadableStream<Uint8Array>, idleMs, http2);
  const wrapped = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: watched.body,
    // @ts-ignore: `duplex` is required for a streamed body and not yet in the types.
    duplex: "half",
  });
  const response = await handler(wrapped, info);
  if (watched.finished()) return response;
  // A body read in part (408, or a refusal mid-body) over HTTP/1.1: Deno keeps the connection
  // whatever the answer does, so the answer goes whole; ending it with an error would only cut
  // off its end. Over HTTP/2 its rest is read out, as an unread body's is.
  if (watched.readInPart() && !http2) return response;
  // A small body already sent is read out, so the client reads its answer whole and keeps the
  // connection; a big or slow one ends it. Over HTTP/2 only the stream ends: Deno resets it when
  // the answer goes before the body is read, and the client loses the answer.
  // Bodies read out at once are few: each holds a stream's buffers (over HTTP/2 about 0.3 MB)
  // for up to DRAIN_MS, and a client with no token can start them. Past that, as before.
  if (drains.active < MAX_DRAINS) {
    drains.active++;
    try {
      if (await drained(request, watched, http2)) return response;
    } finally {
      drains.active--;
    }
  }
  watched.stop();
  return http2 ? response : closingAfter(response);
}

/**
 * The most of an unread body read out before its answer; how long it may
 * pause (a client that declared more than it sends is not waited for), and
 * how long it may take in all.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_PAUSE_MS = 200;
const DRAIN_MS = 10_000;
/** The most bodies read out at once, over all connections. */
export const MAX_DRAINS = 32;

/**
 * True when the rest of an unread body, declared small, came promptly and was read. Over
 * HTTP/2 (`anyLength`) one of no declared length is read too, within the same bounds: there
 * is no connection to end instead.
 */
async function drained(
  request: Request,
  body: WatchedBody,
  anyLength = false,
): Promise<boolean> {
  // Over HTTP/1.1 no length (chunked) says nothing of how much is coming: not read.
  const length = request.headers.get("content-length");
  const declared = length === null ? (anyLength ? 0 : Infinity) : Number(length);
  // A body the handler still holds (locked, unread) is its own.
  if ((body.body.locked && !body.readInPart()) || !(declared <= DRAIN_BYTES)) return false;
  const deadline = Date.now() + DRAIN_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let bytes = 0;
  try {
    while (bytes <= DRAIN_BYTES) {
      const wait = Math.min(DRAIN_PAUSE_MS, deadline - Date.now());
      const late = new Promise<"late">((resolve) => timer = setTimeout(resolve, wait, "late"));
      const next = await Promise.race([body.readRest(), late]);
      clearTimeout(timer);
      if (next === "late") return false;
      if (next.done) return true;
      bytes += next.value.byteLength;
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** A request body as `watchBody` gives it to the handler, and what the listener does with it. */
interface WatchedBody {
  /** The body the handler reads. */
  body: ReadableStream<Uint8Array>;
  /** Whether it was read to its end. */
  finished(): boolean;
  /** Whether it was read from but not to its end (408, a refusal mid-body). */
  readInPart(): boolean;
  /** The next chunk of what the handler left unread (over HTTP/2, also after it cancelled). */
  readRest(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Cancels what is left of the body. */
  stop(): void;
}

/**
 * `body`, erroring with a `TimeoutError` when a read waits more than
 * `idleMs` for data. With `keepOnCancel` (HTTP/2) the handler's cancel does
 * not reach Deno's body, so that its rest can be read out before the answer.
 */
function watchBody(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  keepOnCancel: boolean,
): WatchedBody {
  const reader = body.getReader();
  let done = false;
  let started = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      started = true;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const seconds = Math.round(idleMs / 100) / 10;
          reject(new DOMException(`No body data for ${seconds} s`, "TimeoutError"));
        }, idleMs);
      });
      try {
        const next = await Promise.race([reader.read(), idle]);
        if (next.done) {
          done = true;
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        reader.cancel().catch(() => {});
        controller.error(error);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      if (!keepOnCancel) return reader.cancel(reason);
    },
    // Nothing is read ahead: a push refused before its handler reads keeps its body unread.
  }, { highWaterMark: 0 });
  return {
    body: watched,
    finished: () => done,
    readInPart: () => started && !done,
    readRest: () => reader.read(),
    stop: () => {
      clearTimeout(timer);
      reader.cancel().catch(() => {});
    },
  };
}

/** How long after its answer's last chunk a connection is dropped. */
const CLOSE_AFTER_MS = 1000;

/**
 * `response` with its body sent in chunks and the connection dropped
 * `CLOSE_AFTER_MS` after the last one: how a Deno.serve handler ends a
 * connection (see @module).
 */
function closingAfter(response: Response): Response {
  const source = response.body?.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source?.read();
      if (next && !next.done) return controller.enqueue(next.value);
      // A moment for the client to read the answer (curl stops sending on an error answer, but a
      // reset that comes first loses it), then erroring the body makes Deno drop the connection.
      await new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_MS));
      controller.error(new ConnectionClosed());
    },
  });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(stream, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** The error that ends a `Connection: close` answer's body; `onError` ignores it. */
export class ConnectionClosed extends Error {
  override name = "ConnectionClosed";
  constructor() {
    super("Connection closed after the answer");
  }
}
