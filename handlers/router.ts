/**
 * The route table: every path liveplot answers. Fixed paths are matched
 * exactly; `/s/NAME…` paths are matched by shape, with NAME checked against
 * the stream-name rule (which reserves the names the routes use, so no path
 * means two things). Nothing is ever looked up on the file system, so no
 * path, encoded or not, can reach anything but these routes or a 404.
 *
 * Before any route: a loopback listener answers 421 to a foreign `Host`
 * (DNS rebinding, policy.ts), and `--read-token` guards what reads data (a
 * wrong token logged once per address per minute: policy.ts OncePerAddress).
 *
 * Every line logged here names the client as policy.ts `identifyClient`
 * does: behind `--trust-proxy` the forwarded address, `via=` the proxy.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { LogFields, Logger } from "../log.ts";
import type { Streams } from "../stream/registry.ts";
import { isStreamName, streamNameProblem } from "../stream/stream_name.ts";
import { describeSource } from "../stream/source_spec.ts";
import { type Asset, createAssets } from "./assets.ts";
import {
  type Client,
  clientFields,
  type HostRefusal,
  hostRefusal,
  identifyClient,
  OncePerAddress,
  readToken,
  requestPath,
  tokensEqual,
} from "./policy.ts";
import type { StoredStream } from "./range.ts";
import { internalError, json, moved, refuse, secured, text } from "./respond.ts";
import { serveTestRoute } from "./test_route.ts";
import { type Connections, isUpgrade } from "./websocket.ts";

/** The settings the routes use: all of them given, none filled in here. */
export type RouteConfig = Pick<
  Config,
  | "source"
  | "origins"
  | "hostname"
  | "trustProxy"
  | "maxQueuedBytes"
  | "token"
  | "readToken"
  | "format"
  | "x"
  | "maxBodyBytes"
  | "maxIngestRate"
  | "maxLineBytes"
>;

/** What the router needs. */
export interface RouterOptions {
  config: RouteConfig;
  connections: Connections;
  streams: Streams;
  /** The stream `/` and `/data` serve; absent, they serve the seed's demo. */
  mainStream?: string;
  log: Logger;
}

/** A `Deno.serve` handler: a GET's answer at once, a push's when its body is read. */
export type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

interface Route {
  /** GET and HEAD: at once, but for an embedded file's first request (assets.ts). */
  http?: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
  /**
   * Opens a WebSocket; its module loads on the route's first upgrade (`ready`). `who` names
   * the client in the lines logged about it later (a viewer or echo dropped).
   */
  websocket?: (socket: WebSocket, who: LogFields) => void;
  /** Pending while the WebSocket handler's module loads; undefined once it has. */
  ready?: () => Promise<unknown> | undefined;
  /** POST and PUT. */
  push?: (request: Request, client: Client) => Response | Promise<Response>;
}

/** What `/data/range` and `/data.csv` answer with 404 when the demo is the source. */
const DEMO_HAS_NO_HISTORY = "No history: the demo keeps none (run liveplot with a source)";

/** Builds the handler; unexpected errors are logged with the request and answered 500. */
export function createHandler(options: RouterOptions): Handler {
  const { config, connections, log, streams, mainStream } = options;
  const unauthorizedLogged = new OncePerAddress();
  /** The request's client; read only when a line logs it or a limit counts it. */
  const clientOf = (request: Request, info: Deno.ServeHandlerInfo) =>
    identifyClient(request, peerOf(info), config.trustProxy);
  /** 400 for a `Host` that makes no URL; 421 for a name a loopback listener does not answer. */
  const refuseHost = (refusal: HostRefusal, request: Request, info: Deno.ServeHandlerInfo) => {
    const host = request.headers.get("host") ?? "";
    const client = clientFields(clientOf(request, info));
    if (refusal === "invalid") {
      log.warn("host-invalid", { status: 400, host, ...client });
      return text(400, `Bad request: Host "${host.slice(0, 100)}" is not a host name and port`);
    }
    log.warn("host-refused", { status: 421, host, path: requestPath(request.url), ...client });
    return text(
      421,
      "Misdirected request: this liveplot answers to loopback names only " +
        "(localhost, 127.0.0.1, [::1])" +
        (config.trustProxy
          ? "; behind --trust-proxy the proxy sends one of them as Host, the public name in " +
            "X-Forwarded-Host"
          : ""),
    );
  };
  // The main stream's page is headed by its source (the command line, "standard input").
  const assets = createAssets(mainStream ? describeSource(config.source) ?? null : undefined);
  // Routes few requests take are loaded on their first request: less to load at start.
  // A push may create a stream: the hub's modules load with the handler's.
  const ingest = onDemand(() =>
    Promise.all([import("./ingest.ts"), streams.ready()]).then(([m]) =>
      m.createIngestHandler({ ...config, policy: config, streams, log })
    )
  );
  const csvExport = onDemand(() => import("./data_csv.ts").then((m) => m.createCsvExportRoute()));
  const serveRange = onDemand(() => import("./range.ts").then((m) => m.createRangeRoute()));
  const serveStreamsIndex = onDemand(() =>
    import("./streams_index.ts").then((m) => m.serveStreamsIndex)
  );
  // The WebSocket routes' modules load on their first upgrade: the first answer waits for none.
  const echo = new OnDemand(() => import("./echo.ts"));
  const demo = new OnDemand(() => import("./data.ts"));
  const viewer = new OnDemand(() => import("./stream_viewer.ts"));
  const routes = new Map<string, Route>();
  for (const [path, asset] of assets.files) routes.set(path, { http: assetRoute(asset) });
  routes.set("/test", { http: serveTestRoute });
  const echoOptions = { maxQueuedBytes: config.maxQueuedBytes, log };
  routes.set(
    "/echo",
    socketRoute(echo, (m, socket, who) => m.serveEcho(socket, echoOptions, who)),
  );
  routes.set("/s/", {
    http: (request) => serveStreamsIndex(request, { list: () => streams.summaries() }),
  });
  routes.set("/s", { http: (request) => moved(request, "/s/") });
  const page = routes.get("/")?.http;
  if (mainStream) {
    // `/data`, `/data/range` and `/data.csv` are the main stream's, as under `/s/NAME`.
    routes.set("/data", { ...streamRoutes(mainStream).data, http: page });
    routes.set("/data/range", streamRoutes(mainStream).range);
    routes.set("/data.csv", streamRoutes(mainStream, "liveplot.csv").csv);
  } else {
    routes.set("/data", { http: page, ...socketRoute(demo, (m, socket) => m.serveDemo(socket)) });
    // Each demo viewer gets points of its own, kept nowhere: say why there is no history.
    const noHistory = { http: () => text(404, DEMO_HAS_NO_HISTORY) };
    routes.set("/data/range", noHistory);
    routes.set("/data.csv", noHistory);
  }

  /** The routes of stream `name`; every stream's page is the same page. */
  function streamRoutes(name: string, filename = `${name}.csv`) {
    const http = assetRoute(assets.streamPage);
    const stored = (serve: (stream: StoredStream) => Response | Promise<Response>) => {
      const hub = streams.get(name)?.hub;
      return hub ? serve(hub) : text(404, `No stream named "${name}"`);
    };
    return {
      page: { http, push: (request: Request, client: Client) => ingest(request, { name, client }) },
      data: {
        http,
        ...socketRoute(viewer, (m, socket, who) => m.serveStreamViewer(socket, name, streams, who)),
      },
      range: {
        http: (request: Request, info: Deno.ServeHandlerInfo) =>
          stored((hub) => serveRange(request, hub, clientOf(request, info).address)),
      },
      csv: {
        http: (request: Request, info: Deno.ServeHandlerInfo) =>
          stored((hub) => csvExport(request, hub, filename, clientOf(request, info).address)),
      },
    } satisfies Record<string, Route>;
  }

  /** Finds a path's route: a fixed one, or a stream's by the path's shape. */
  function resolve(pathname: string): Route | undefined {
    const fixed = routes.get(pathname);
    if (fixed || !pathname.startsWith("/s/")) return fixed;
    const match = /^\/s\/([^/]+?)(\/data|\/range|\.csv|\/)?$/.exec(pathname);
    const name = match?.[1];
    if (name === undefined || !isStreamName(name)) return undefined;
    if (match?.[2] === "/") {
      const go = (request: Request) => moved(request, `/s/${name}`);
      return { http: go, push: go };
    }
    const own = streamRoutes(name);
    return match?.[2] === "/data"
      ? own.data
      : match?.[2] === "/range"
      ? own.range
      : match?.[2] === ".csv"
      ? own.csv
      : own.page;
  }

  /**
   * Answers a request: synchronously where nothing is awaited (every GET and
   * HEAD but an embedded file's first), so `Deno.serve` takes the answer
   * without a promise in between.
   */
  const route = (request: Request, info: Deno.ServeHandlerInfo): Response | Promise<Response> => {
    const refusal = hostRefusal(request, config);
    if (refusal) return refuseHost(refusal, request, info);
    const pathname = requestPath(request.url);
    const target = resolve(pathname);
    if (!target) return notFound(request, pathname);
    if (config.readToken && isReading(pathname, request.method)) {
      const refusal = checkReadToken(request, info, pathname, config.readToken);
      if (refusal) return refusal;
    }
    if (target.websocket && isUpgrade(request)) {
      // Read before any wait or the upgrade: the peer's address goes with the request.
      const client = clientOf(request, info);
      const loading = target.ready?.();
      return loading
        ? loading.then(() => upgrade(request, client, pathname, target))
        : upgrade(request, client, pathname, target);
    }

    const method = request.method;
    if (method === "POST" || method === "PUT") {
      if (target.push) return target.push(request, clientOf(request, info));
      const name = /^\/s\/([^/]+\.csv)$/.exec(pathname)?.[1];
      if (name) return json(400, { error: streamNameProblem(name) });
    }
    if (method !== "GET" && method !== "HEAD") {
      return text(405, "Method not allowed", { allow: allowedMethods(target) });
    }
    if (!target.http) {
      return text(426, "This endpoint speaks WebSocket only", { upgrade: "websocket" });
    }
    return target.http(request, info);
  };

  /**
   * 401 for a read without `--read-token`'s token (a page, data, history, a
   * viewer's WebSocket), logged once per address per minute; else undefined.
   */
  function checkReadToken(
    request: Request,
    info: Deno.ServeHandlerInfo,
    pathname: string,
    expected: string,
  ): Response | undefined {
    const token = readToken(request);
    if (tokensEqual(token, expected)) return undefined;
    const client = clientOf(request, info);
    unauthorizedLogged.log(client.address, () =>
      log.warn("read-unauthorized", {
        remote: client.address,
        via: client.via,
        reason: token === undefined ? "no token" : "wrong token",
        path: pathname,
        note: "logged once a minute",
      }));
    return text(401, "This liveplot needs its read token: add ?token=TOKEN to the URL", {
      "www-authenticate": 'Bearer realm="liveplot"',
    });
  }

  /** Opens a WebSocket on `target`, or refuses with the connection limits' reason. */
  function upgrade(request: Request, client: Client, pathname: string, target: Route): Response {
    const refusal = connections.check(request, client);
    if (refusal?.status === 405) refusal.headers = { allow: allowedMethods(target) };
    if (refusal && !refusal.logged) {
      log.warn("upgrade-refused", {
        status: refusal.status,
        reason: refusal.reason,
        path: pathname,
        ...clientFields(client),
        origin: request.headers.get("origin") ?? undefined,
      });
    }
    if (refusal) return refuse(refusal);
    const { socket, response } = connections.accept(request, client, pathname);
    const who = clientFields(client);
    target.websocket!(socket, who);
    log.debug("websocket-opened", { path: pathname, ...who });
    return response;
  }

  /** Logs an unexpected error with its request; the answer is the one 500. */
  const fail = (request: Request, info: Deno.ServeHandlerInfo, error: unknown): Response => {
    log.error("request-failed", {
      method: request.method,
      // The path alone: a query may hold a read token (`?token=`), and tokens are never logged.
      path: URL.parse(request.url)?.pathname,
      ...clientFields(clientOf(request, info)),
      error: error instanceof Error ? error.stack ?? error.message : String(error),
    });
    return internalError();
  };

  return (request, info) => {
    try {
      const answer = route(request, info);
      if (answer instanceof Response) return secured(answer);
      return answer.then(secured, (error) => fail(request, info, error));
    } catch (error) {
      return fail(request, info, error);
    }
  };
}

/**
 * 404, or for a push to `/s/NAME` with a name no stream may have (`/s/range`,
 * `/s/a b`) 400 saying why, as the push route itself would.
 */
function notFound(request: Request, pathname: string): Response {
  const name = /^\/s\/([^/]+)$/.exec(pathname)?.[1];
  const problem = name === undefined ? undefined : streamNameProblem(name);
  if (problem && (request.method === "POST" || request.method === "PUT")) {
    return json(400, { error: problem });
  }
  return text(404, "Not found");
}

/**
 * True for what `--read-token` guards: pages, data, history and `/echo` (a socket that holds
 * memory while Deno reads its messages); not assets, /test (a health check) or pushes.
 */
function isReading(pathname: string, method: string): boolean {
  if (method === "POST" || method === "PUT") return false;
  return pathname === "/" || pathname === "/data" || pathname.startsWith("/data/") ||
    pathname === "/data.csv" || pathname === "/s" || pathname.startsWith("/s/") ||
    pathname === "/echo";
}

/** What a module gives once imported on first need: `loaded` once `ready()` has resolved. */
class OnDemand<Loaded> {
  loaded: Loaded | undefined;
  #load: () => Promise<Loaded>;
  #loading: Promise<unknown> | undefined;
  constructor(load: () => Promise<Loaded>) {
    this.#load = load;
  }
  /** Undefined once loaded; until then the load under way (started by the first call). */
  ready = (): Promise<unknown> | undefined => {
    if (this.loaded !== undefined) return undefined;
    return this.#loading ??= this.#load().then((loaded) => this.loaded = loaded);
  };
}

/** A WebSocket route whose handler's module is imported on its first upgrade. */
function socketRoute<Module>(
  module: OnDemand<Module>,
  open: (loaded: Module, socket: WebSocket, who: LogFields) => void,
): Pick<Route, "websocket" | "ready"> {
  return { websocket: (socket, who) => open(module.loaded!, socket, who), ready: module.ready };
}

/**
 * A handler whose module is imported on its first call; every call from then
 * on is direct, without a promise in between.
 */
function onDemand<Load extends (...args: never[]) => Response | Promise<Response>>(
  load: () => Promise<Load>,
): (...args: Parameters<Load>) => Response | Promise<Response> {
  const handler = new OnDemand(load);
  return (...args) =>
    handler.ready()?.then(() => handler.loaded!(...args)) ?? handler.loaded!(...args);
}

/** The methods a route answers, for `Allow`. */
function allowedMethods(route: Route): string {
  const methods = [];
  if (route.http || route.websocket) methods.push("GET");
  if (route.http) methods.push("HEAD");
  if (route.push) methods.push("POST", "PUT");
  return methods.join(", ");
}

function assetRoute(asset: Asset): (request: Request) => Response | Promise<Response> {
  return (request) => asset.serve(request);
}

/**
 * The peer, read only when needed (it costs a call into Deno); undefined
 * once the request is gone (upgraded, or answered).
 */
function peerOf(info: Deno.ServeHandlerInfo): Deno.Addr | undefined {
  try {
    return info.remoteAddr;
  } catch {
    return undefined;
  }
}
