/**
 * The route table: every path liveplot answers. Fixed paths are matched
 * exactly; `/s/NAME…` paths are matched by shape, with NAME checked against
 * the stream-name rule. Nothing is ever looked up on the file system, so no
 * path, encoded or not, can reach anything but these routes or a 404.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Hub } from "../stream/hub.ts";
import { isStreamName, type Streams } from "../stream/registry.ts";
import { type Asset, createAssets, serveAsset } from "./assets.ts";
import { serveDemo, serveViewer } from "./data.ts";
import { serveEcho } from "./echo.ts";
import { serveCsvExport } from "./export_csv.ts";
import type { IngestHandler } from "./ingest.ts";
import { servePlainText } from "./plain_text.ts";
import { readToken, tokensEqual } from "./token.ts";
import { serveRange } from "./range.ts";
import { serveStreamsIndex, type StreamDirectory } from "./streams_index.ts";
import { DEFAULTS } from "../config.ts";
import { type Connections, isUpgrade, type UpgradePolicy } from "./websocket.ts";

/** What the router needs. */
export interface RouterOptions {
  policy: UpgradePolicy;
  connections: Connections;
  streams: Streams;
  /** The stream `/` and `/data` serve; absent, they serve the seed's demo. */
  mainStream?: string;
  /** How the page names the main stream's source: the command line, or "standard input". */
  sourceName?: string;
  /** `POST /s/NAME`; absent, streams cannot be pushed to. */
  ingest?: IngestHandler;
  /** When set, pages, data and history need this token (`?token=` or a Bearer header). */
  readToken?: string;
  /** `GET /s/`'s figures. */
  directory: StreamDirectory;
  log: Logger;
}

/** A `Deno.serve` handler. */
export type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

interface Route {
  /** GET and HEAD. */
  http?: (request: Request) => Response;
  websocket?: (socket: WebSocket) => void;
  /** POST and PUT. */
  push?: (request: Request, remote: string) => Promise<Response>;
}

/** Headers on every answer: the page may load only its own scripts and socket. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Builds the handler; unexpected errors are logged with the request and answered 500. */
export async function createHandler(options: RouterOptions): Promise<Handler> {
  const { connections, policy, log, streams, mainStream } = options;
  const assets = await createAssets(mainStream ? "live" : "demo", options.sourceName);
  const routes = new Map<string, Route>();
  for (const [path, asset] of assets) {
    routes.set(path, { http: assetRoute(asset) });
  }
  const page = routes.get("/")?.http;
  routes.set("/test", { http: servePlainText });
  const maxQueuedBytes = policy.maxQueuedBytes ?? DEFAULTS.maxQueuedBytes;
  routes.set("/echo", { websocket: (socket) => serveEcho(socket, { maxQueuedBytes, log }) });
  routes.set("/s/", { http: (request) => serveStreamsIndex(request, options.directory) });
  if (mainStream) {
    // `/data`, `/data/range` and `/data.csv` are the main stream's, as under `/s/NAME`.
    const own = new Map(streamRoutes(mainStream));
    for (const [path, route] of own) routes.set(path, route);
    routes.set("/data", {
      http: page,
      websocket: own.get(`/s/${mainStream}/data`)?.websocket,
    });
    routes.set("/data/range", own.get(`/s/${mainStream}/range`) ?? {});
    routes.set("/data.csv", own.get(`/s/${mainStream}.csv`) ?? {});
  } else {
    routes.set("/data", { http: page, websocket: serveDemo });
  }

  /** The routes of stream `name`, by path; GET /s/NAME serves a page headed by its name. */
  function streamRoutes(name: string): [string, Route][] {
    const stored = () => streams.get(name)?.hub;
    const http = (request: Request) => streamPage(request, name);
    return [
      [`/s/${name}`, {
        http,
        push: options.ingest && ((request, remote) => options.ingest!(request, { name, remote })),
      }],
      [`/s/${name}/data`, {
        http,
        websocket: (socket) => {
          const stream = streams.open(name);
          if (stream) serveViewer(socket, stream.hub);
          else socket.addEventListener("open", () => socket.close(1013, "Too many streams"));
        },
      }],
      [`/s/${name}/range`, {
        http: (request) => withStream(stored(), name, (hub) => serveRange(request, hub)),
      }],
      [`/s/${name}.csv`, {
        http: (request) =>
          withStream(stored(), name, (hub) => serveCsvExport(request, hub, `${name}.csv`)),
      }],
    ];
  }

  const pages = new Map<string, Asset>();
  function streamPage(request: Request, name: string): Response {
    const asset = pages.get(name);
    if (asset) return serveAsset(request, asset);
    return text(503, "The page is being prepared: try again", { "retry-after": "1" });
  }
  async function preparePage(name: string): Promise<void> {
    if (pages.has(name)) return;
    const built = await createAssets("live", name);
    const asset = built.get("/");
    if (asset) pages.set(name, asset);
    // Streams come and go; the cache of their pages stays small.
    if (pages.size > 1000) pages.delete(pages.keys().next().value as string);
  }
  if (mainStream) await preparePage(mainStream);

  /** Finds a path's route: a fixed one, or a stream's by the path's shape. */
  function resolve(pathname: string): Route | undefined {
    const fixed = routes.get(pathname);
    if (fixed || !pathname.startsWith("/s/")) return fixed;
    const name = streamNameIn(pathname.slice(3));
    if (name === undefined) return undefined;
    return new Map(streamRoutes(name)).get(pathname);
  }

  const route = async (request: Request, remote: string, peer: string): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const target = resolve(pathname);
    if (!target) return text(404, "Not found");
    if (
      options.readToken && isReading(pathname, request.method) &&
      !tokensEqual(readToken(request), options.readToken)
    ) {
      return text(401, "This liveplot needs its read token: add ?token=TOKEN to the URL", {
        "www-authenticate": 'Bearer realm="liveplot"',
      });
    }

    if (target.websocket && isUpgrade(request)) {
      const refusal = connections.check(request, peer);
      if (refusal?.status === 405) refusal.headers = { allow: allowedMethods(target) };
      if (refusal && !refusal.logged) {
        log.warn("upgrade-refused", {
          status: refusal.status,
          reason: refusal.reason,
          path: pathname,
          remote,
          origin: request.headers.get("origin") ?? undefined,
        });
      }
      if (refusal) return text(refusal.status, refusal.reason, refusal.headers);
      const { socket, response } = connections.accept(
        request,
        connections.addressOf(request, peer),
      );
      target.websocket(socket);
      log.debug("websocket-opened", { path: pathname, remote });
      return response;
    }

    if ((request.method === "POST" || request.method === "PUT") && target.push) {
      return await target.push(request, remote);
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "Method not allowed", { allow: allowedMethods(target) });
    }
    if (!target.http) {
      return text(426, "This endpoint speaks WebSocket only", { upgrade: "websocket" });
    }
    if (pathname.startsWith("/s/") && !pathname.endsWith(".csv") && !pathname.endsWith("/range")) {
      const name = streamNameIn(pathname.slice(3));
      if (name !== undefined) await preparePage(name);
    }
    return target.http(request);
  };

  const handle = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    let response: Response;
    // Read before routing: the peer's address is gone once a request is upgraded.
    const remote = formatRemote(info.remoteAddr);
    try {
      response = await route(request, remote, peerAddress(info.remoteAddr));
    } catch (error) {
      log.error("request-failed", {
        method: request.method,
        url: request.url,
        remote,
        error: error instanceof Error ? error.stack ?? error.message : String(error),
      });
      response = internalError();
    }
    // A 101 response's headers are fixed by the upgrade.
    if (response.status !== 101) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        response.headers.set(name, value);
      }
    }
    return response;
  };
  return handle;
}

/** True for what `--read-token` guards: pages, data and history; not assets, /test or pushes. */
function isReading(pathname: string, method: string): boolean {
  if (method === "POST" || method === "PUT") return false;
  return pathname === "/" || pathname === "/data" || pathname.startsWith("/data/") ||
    pathname === "/data.csv" || pathname.startsWith("/s/");
}

/** The methods a route answers, for `Allow`. */
function allowedMethods(route: Route): string {
  const methods = [];
  if (route.http || route.websocket) methods.push("GET");
  if (route.http) methods.push("HEAD");
  if (route.push) methods.push("POST", "PUT");
  return methods.join(", ");
}

/** The stream name a `/s/…` path is about, if its shape is one of a stream's routes. */
function streamNameIn(rest: string): string | undefined {
  const name = rest.replace(/(\/data|\/range|\.csv)$/, "");
  return isStreamName(name) ? name : undefined;
}

/** Runs `serve` with the stream's hub, or answers 404 when there is no such stream. */
function withStream(hub: Hub | undefined, name: string, serve: (hub: Hub) => Response): Response {
  return hub ? serve(hub) : text(404, `No stream named "${name}"`);
}

function assetRoute(asset: Asset): (request: Request) => Response {
  return (request) => serveAsset(request, asset);
}

/** A one-line plain-text answer. */
export function text(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** The answer to an unexpected error: the one 500, with the security headers. */
export function internalError(): Response {
  return text(500, "Internal server error", { ...SECURITY_HEADERS });
}

/** The peer's address alone, for per-address limits. */
function peerAddress(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : addr.transport;
}

/** `host:port` of a peer, for log lines. */
export function formatRemote(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? `${addr.hostname}:${addr.port}`
    : addr.transport;
}
