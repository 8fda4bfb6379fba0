/**
 * The route table: every path liveplot answers, matched exactly. Nothing is
 * ever looked up on the file system, so no path, encoded or not, can reach
 * anything but these routes or a 404.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Hub } from "../stream/hub.ts";
import { type Asset, createAssets, serveAsset } from "./assets.ts";
import { serveDemo, serveViewer } from "./data.ts";
import { serveEcho } from "./echo.ts";
import { servePlainText } from "./plain_text.ts";
import { checkUpgrade, type Connections, isUpgrade, type UpgradePolicy } from "./websocket.ts";

/** What the router needs: the hub is absent in demo mode. */
export interface RouterOptions {
  policy: UpgradePolicy;
  connections: Connections;
  hub?: Hub;
  /** How the page names a live source: the command line, or "standard input". */
  sourceName?: string;
  log: Logger;
}

/** A `Deno.serve` handler. */
export type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response;

interface Route {
  http?: (request: Request) => Response;
  websocket?: (socket: WebSocket) => void;
}

/** Headers on every answer: the page may load only its own scripts and socket. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const ALLOWED_METHODS = "GET, HEAD";

/** Builds the handler; unexpected errors are logged with the request and answered 500. */
export async function createHandler(options: RouterOptions): Promise<Handler> {
  const { hub, connections, policy, log } = options;
  const assets = await createAssets(hub ? "live" : "demo", options.sourceName);
  const routes = new Map<string, Route>();
  for (const [path, asset] of assets) {
    routes.set(path, { http: assetRoute(asset) });
  }
  routes.set("/data", {
    http: routes.get("/")?.http,
    websocket: hub ? (socket) => serveViewer(socket, hub) : serveDemo,
  });
  routes.set("/test", { http: servePlainText });
  routes.set("/echo", { websocket: serveEcho });

  const route = (request: Request, remote: string): Response => {
    const { pathname } = new URL(request.url);
    const target = routes.get(pathname);
    if (!target) return text(404, "Not found");

    if (target.websocket && isUpgrade(request)) {
      const refusal = checkUpgrade(request, policy, connections.size);
      if (refusal) {
        log.warn("upgrade-refused", {
          status: refusal.status,
          reason: refusal.reason,
          path: pathname,
          remote,
          origin: request.headers.get("origin") ?? undefined,
        });
        return text(refusal.status, refusal.reason, refusal.headers);
      }
      const { socket, response } = connections.accept(request);
      target.websocket(socket);
      log.debug("websocket-opened", {
        path: pathname,
        remote,
      });
      return response;
    }

    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "Method not allowed", { allow: ALLOWED_METHODS });
    }
    if (!target.http) {
      return text(426, "This endpoint speaks WebSocket only", {
        upgrade: "websocket",
      });
    }
    return target.http(request);
  };

  return (request, info) => {
    let response: Response;
    // Read before routing: the peer's address is gone once a request is upgraded.
    const remote = formatRemote(info.remoteAddr);
    try {
      response = route(request, remote);
    } catch (error) {
      log.error("request-failed", {
        method: request.method,
        url: request.url,
        remote,
        error: error instanceof Error ? error.stack ?? error.message : String(error),
      });
      response = text(500, "Internal server error");
    }
    // A 101 response's headers are fixed by the upgrade.
    if (response.status !== 101) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        response.headers.set(name, value);
      }
    }
    return response;
  };
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

/** `host:port` of a peer, for log lines. */
export function formatRemote(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? `${addr.hostname}:${addr.port}`
    : addr.transport;
}
