/**
 * The HTTP listener: `node:http` (or `node:https`) in front of the same
 * `(Request, info) => Response` handler `Deno.serve` takes. It exists for
 * WebSockets: an upgraded connection stays a `node:net` socket liveplot can
 * destroy, which `Deno.upgradeWebSocket` does not allow (see
 * `server_socket.ts`). Plain requests become `Request`s and their
 * `Response`s are written back (`node_response.ts`), streamed with backpressure.
 *
 * Node's parser also brings what `Deno.serve` lacks: headers must arrive
 * within `HEADERS_TIMEOUT_MS`, so a client dribbling its headers is cut off.
 *
 * Routes whose answer never changes (`/test`, the embedded assets) skip the
 * `Request`/`Response` layer: the handler names them (`FixedRoute`), the
 * listener asks the handler for each once at start and keeps what it would
 * have written (status, raw headers, body), and writes exactly that for a
 * matching GET or HEAD. Every other request takes the `Request` path.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { readAnswer, type WholeAnswer, writeResponse, writeWhole } from "./node_response.ts";

/** Where and how to listen. */
export interface ListenOptions {
  hostname: string;
  port: number;
  /** PEM certificate and key: serve https and wss. */
  tls?: { cert: string; key: string };
  /** Let other processes listen on the same port (Linux spreads connections over them). */
  reusePort?: boolean;
  /** Answers a handler that threw or rejected (the router normally catches its own). */
  onError: (error: unknown) => Response;
}

/** A fetch-style handler, as `Deno.serve` takes it, naming the routes that never change. */
export type FetchHandler =
  & ((
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>)
  & { readonly fixedRoutes?: readonly FixedRoute[] };

/**
 * A path whose GET and HEAD answers are the same for every request that
 * sends none of `variesWith`; the handler is asked for them once, at start.
 */
export interface FixedRoute {
  path: string;
  /** Request headers (lower case) whose presence can change the answer. */
  readonly variesWith: readonly string[];
}

/** A listening server: the part of `Deno.HttpServer` liveplot uses. */
export interface HttpListener {
  readonly addr: Deno.NetAddr;
  /** Stops listening and ends every connection, upgraded ones included. */
  shutdown(): Promise<void>;
}

/** A WebSocket upgrade waiting for `Connections.accept` to take its socket. */
export interface PendingUpgrade {
  message: IncomingMessage;
  socket: Socket;
  head: Buffer;
}

/** How long a client has to send its request headers. */
export const HEADERS_TIMEOUT_MS = 30_000;
/** How often connections are checked against `HEADERS_TIMEOUT_MS`. */
const HEADERS_CHECK_MS = 5000;
/** How long shutdown waits for open connections before destroying them. */
const SHUTDOWN_WAIT_MS = 1000;
/** A fixed route's answers, rendered once; a method missing here takes the `Request` path. */
interface FixedAnswers {
  variesWith: readonly string[];
  GET?: WholeAnswer;
  HEAD?: WholeAnswer;
}

const pendingUpgrades = new WeakMap<Request, PendingUpgrade>();
const UPGRADE_ANSWERED = Promise.resolve();
const upgradedResponses = new WeakSet<Response>();

/** Takes the raw connection of an upgrade request, once; undefined for other requests. */
export function takeUpgrade(request: Request): PendingUpgrade | undefined {
  const pending = pendingUpgrades.get(request);
  pendingUpgrades.delete(request);
  return pending;
}

/** The response a handler returns once it has taken the upgrade's socket. */
export function upgradedResponse(): Response {
  const response = new Response(null, { status: 200 });
  upgradedResponses.add(response);
  return response;
}

/** Listens; rejects with `Deno.errors.AddrInUse` (or the system's error) when it cannot. */
export async function listenHttp(
  options: ListenOptions,
  handler: FetchHandler,
): Promise<HttpListener> {
  const serverOptions = { connectionsCheckingInterval: HEADERS_CHECK_MS };
  const server: Server = options.tls
    ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
    : createHttpServer(serverOptions);
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = 0;
  const scheme = options.tls ? "https" : "http";
  const connections = new Set<Socket>();
  let port = options.port;
  const fixed = new Map<string, FixedAnswers>();
  const context = { scheme, hostname: options.hostname, port: () => port, handler, options, fixed };
  await renderFixedRoutes(context);

  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  server.on("secureConnection", (socket: Socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  server.on("request", (message: IncomingMessage, response: ServerResponse) => {
    const whole = fixedAnswer(context, message);
    if (whole) return writeWhole(whole, response);
    serveRequest(context, message, response).catch(() => response.destroy());
  });
  server.on("upgrade", (message: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => {});
    serveUpgrade(context, message, socket, head).catch(() => socket.destroy());
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? 408
      : error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        error.code === "EADDRINUSE"
          ? new Deno.errors.AddrInUse(error.message)
          : new Error(error.message.replace(/^listen \w+: /, "")),
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port: options.port, host: options.hostname, reusePort: options.reusePort });
  });
  const address = server.address();
  port = typeof address === "object" && address ? address.port : options.port;

  let stopping: Promise<void> | undefined;
  return {
    addr: { transport: "tcp", hostname: options.hostname, port },
    shutdown: () =>
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          for (const socket of connections) socket.destroy();
        }, SHUTDOWN_WAIT_MS);
        server.once("close", () => clearTimeout(timer));
      }),
  };
}

interface Context {
  scheme: string;
  hostname: string;
  port: () => number;
  handler: FetchHandler;
  options: ListenOptions;
  fixed: Map<string, FixedAnswers>;
}

/**
 * Asks the handler once for each fixed route's GET and HEAD and keeps what
 * `writeResponse` would write. A failed (5xx) or streamed answer is not kept.
 */
async function renderFixedRoutes(context: Context): Promise<void> {
  const base = `${context.scheme}://${formatHost(context.hostname)}:${context.port()}`;
  const info = {
    remoteAddr: { transport: "tcp" as const, hostname: context.hostname, port: 0 },
    completed: Promise.resolve(),
  };
  for (const route of context.handler.fixedRoutes ?? []) {
    const answers: FixedAnswers = { variesWith: route.variesWith };
    for (const method of ["GET", "HEAD"] as const) {
      const request = new Request(new URL(route.path, base), { method });
      const answer = await callHandler(context, request, info);
      const whole = await readAnswer(answer, method === "HEAD");
      if ("reader" in whole) await whole.reader.cancel();
      else if (whole.status < 500) answers[method] = whole;
    }
    context.fixed.set(route.path, answers);
  }
}

/** The kept answer for this request, if it is a GET or HEAD of a fixed route without `variesWith`. */
function fixedAnswer(context: Context, message: IncomingMessage): WholeAnswer | undefined {
  const method = message.method;
  if (method !== "GET" && method !== "HEAD") return undefined;
  let url: URL;
  try {
    url = requestUrl(context, message);
  } catch {
    return undefined;
  }
  const answers = context.fixed.get(url.pathname);
  if (!answers) return undefined;
  for (const name of answers.variesWith) {
    if (message.headers[name] !== undefined) return undefined;
  }
  return answers[method];
}

function requestUrl(context: Context, message: IncomingMessage): URL {
  const fallback = `${formatHost(context.hostname)}:${context.port()}`;
  const host = message.headers.host ?? fallback;
  if (/[\s/?#@\\]/.test(host)) throw new TypeError(`Invalid Host header: ${host}`);
  const url = new URL(message.url ?? "/", `${context.scheme}://${host}`);
  if (!(message.url ?? "/").startsWith("/")) throw new TypeError("Invalid request target");
  return url;
}

function requestHeaders(message: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i] as string, raw[i + 1] as string);
  }
  return headers;
}

function handlerInfo(message: IncomingMessage, completed: Promise<void>) {
  const socket = message.socket;
  const hostname = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, "");
  return {
    remoteAddr: { transport: "tcp" as const, hostname, port: socket.remotePort ?? 0 },
    completed,
  };
}

async function callHandler(
  context: Context,
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
): Promise<Response> {
  try {
    return await context.handler(request, info);
  } catch (error) {
    return context.options.onError(error);
  }
}

async function serveRequest(
  context: Context,
  message: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  let url: URL;
  try {
    url = requestUrl(context, message);
  } catch {
    response.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
    response.end("Bad request\n");
    return;
  }
  const aborted = new AbortController();
  const completed = new Promise<void>((resolve) => response.on("close", () => resolve()));
  response.on("close", () => {
    if (!response.writableFinished) aborted.abort();
  });
  const method = message.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(url, {
    method,
    headers: requestHeaders(message),
    body: hasBody ? Readable.toWeb(message) as ReadableStream<Uint8Array> : null,
    signal: aborted.signal,
    // @ts-ignore: `duplex` is required for a streamed body and not yet in the types.
    duplex: "half",
  });
  const answer = await callHandler(context, request, handlerInfo(message, completed));
  await writeResponse(answer, response, method === "HEAD");
}

async function serveUpgrade(
  context: Context,
  message: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  let url: URL;
  try {
    url = requestUrl(context, message);
  } catch {
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const request = new Request(url, { method: message.method, headers: requestHeaders(message) });
  pendingUpgrades.set(request, { message, socket, head });
  // The answer to an upgrade is complete once the handler returns; nothing per socket waits on it.
  const answer = await callHandler(context, request, handlerInfo(message, UPGRADE_ANSWERED));
  pendingUpgrades.delete(request);
  if (upgradedResponses.has(answer)) return;
  // Refused (or not a WebSocket route): answer on the raw connection, then close it.
  const body = message.method === "HEAD" ? new Uint8Array(0) : await answer.bytes();
  const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`];
  for (const [name, value] of answer.headers) {
    if (name !== "content-length" && name !== "connection") lines.push(`${name}: ${value}`);
  }
  lines.push(`content-length: ${body.byteLength}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}

function formatHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
