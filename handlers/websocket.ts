/**
 * The WebSocket upgrade, as a flat list of guard clauses each with a status
 * and a reason (after websockets/ws), and the registry of open sockets that
 * enforces `--max-clients`, `--max-message` and the 1001 close on shutdown.
 *
 * @module
 */

import type { Logger } from "../log.ts";

/** Limits and origins that every upgrade is checked against. */
export interface UpgradePolicy {
  /** Extra allowed origins, normalised; `"*"` allows all. */
  origins: readonly string[];
  /** The hostname liveplot listens on, to tell loopback-only from exposed. */
  hostname: string;
  maxClients: number;
  maxMessageBytes: number;
  pingIntervalSeconds: number;
}

/** A refusal: the status, a one-line reason and any extra headers. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

/** Close code for a message over `--max-message` (RFC 6455 "message too big"). */
export const CLOSE_TOO_BIG = 1009;
/** Close code for shutdown (RFC 6455 "going away"). */
export const CLOSE_GOING_AWAY = 1001;
/** Seconds a client over `--max-clients` is asked to wait. */
export const RETRY_AFTER_SECONDS = 5;

const KEY = /^[A-Za-z0-9+/]{22}==$/;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when the request asks to become a WebSocket. */
export function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** Tells loopback addresses from exposed ones. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || hostname === "::1" ||
    hostname.startsWith("127.");
}

/** Returns why an upgrade must be refused, or `undefined` to accept it. */
export function checkUpgrade(
  request: Request,
  policy: UpgradePolicy,
  openCount: number,
): Refusal | undefined {
  if (request.method !== "GET") {
    return {
      status: 405,
      reason: "WebSocket upgrades use GET",
      headers: { allow: "GET" },
    };
  }
  if (!/\bupgrade\b/i.test(request.headers.get("connection") ?? "")) {
    return { status: 400, reason: "Connection header must include Upgrade" };
  }
  if (!KEY.test(request.headers.get("sec-websocket-key") ?? "")) {
    return { status: 400, reason: "Missing or malformed Sec-WebSocket-Key" };
  }
  if (request.headers.get("sec-websocket-version") !== "13") {
    return {
      status: 426,
      reason: "Unsupported Sec-WebSocket-Version",
      headers: { "sec-websocket-version": "13" },
    };
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !isAllowedOrigin(origin, request, policy)) {
    return { status: 403, reason: "Origin not allowed" };
  }
  if (openCount >= policy.maxClients) {
    return {
      status: 503,
      reason: "Too many WebSocket clients",
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    };
  }
  return undefined;
}

/**
 * Same-origin, or listed with `--origin`. On a loopback listener the page's
 * host must also be a loopback name, so a DNS-rebound name is refused even
 * though its origin looks like the server's own.
 */
export function isAllowedOrigin(
  origin: string,
  request: Request,
  policy: UpgradePolicy,
): boolean {
  if (policy.origins.includes("*") || policy.origins.includes(origin)) {
    return true;
  }
  const own = new URL(request.url);
  if (origin !== own.origin) return false;
  return !isLoopback(policy.hostname) || LOOPBACK_NAMES.has(own.hostname) ||
    own.hostname === policy.hostname;
}

/** The open WebSockets: counted for `--max-clients`, closed with 1001 on shutdown. */
export class Connections {
  readonly #sockets = new Set<WebSocket>();
  readonly #policy: UpgradePolicy;
  readonly #log: Logger;

  constructor(policy: UpgradePolicy, log: Logger) {
    this.#policy = policy;
    this.#log = log;
  }

  /** Sockets open or opening now. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Upgrades `request` and guards the socket's incoming message size. */
  accept(request: Request): { socket: WebSocket; response: Response } {
    const path = new URL(request.url).pathname;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: this.#policy.pingIntervalSeconds,
    });
    socket.binaryType = "arraybuffer";
    this.#sockets.add(socket);
    socket.addEventListener("close", () => this.#sockets.delete(socket));
    // Deno drops the connection itself on a protocol error (a bad frame,
    // invalid UTF-8, a message over its own 64 MiB cap): say why, once.
    socket.addEventListener("error", (event) => {
      this.#log.warn("websocket-error", {
        path,
        reason: (event as ErrorEvent).message,
      });
    });
    // Registered first, so no route handler sees an oversized message.
    socket.addEventListener("message", (event) => {
      if (!exceedsBytes(event.data, this.#policy.maxMessageBytes)) return;
      event.stopImmediatePropagation();
      this.#log.warn("message-refused", {
        reason: "too big",
        limit: this.#policy.maxMessageBytes,
        path,
      });
      socket.close(CLOSE_TOO_BIG, "Message too big");
    });
    return { socket, response };
  }

  /** Closes every socket with `code`; used on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const socket of this.#sockets) {
      if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
    }
  }
}

function exceedsBytes(data: unknown, limit: number): boolean {
  if (typeof data === "string") {
    // UTF-8 takes at least one byte per UTF-16 unit and at most three, so
    // only a string in between needs encoding to be measured.
    if (data.length > limit) return true;
    if (data.length * 3 <= limit) return false;
    return new TextEncoder().encode(data).length > limit;
  }
  if (data instanceof ArrayBuffer) return data.byteLength > limit;
  if (data instanceof Blob) return data.size > limit;
  return false;
}
