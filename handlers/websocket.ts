/**
 * The WebSocket upgrade, as a flat list of guard clauses each with a status
 * and a reason (after websockets/ws), and the registry of open sockets that
 * upgrades with `Deno.upgradeWebSocket` and enforces `--max-clients`,
 * `--max-clients-per-ip`, `--max-message`, the ping timeout and the 1001
 * close on shutdown.
 *
 * @module
 */

import { DEFAULTS } from "../config.ts";
import type { Logger } from "../log.ts";
import { exceedsBytes } from "./message_size.ts";
import {
  type Client,
  clientFields,
  isAllowedOrigin,
  isLoopback,
  OncePerAddress,
  type OriginPolicy,
} from "./policy.ts";
import { CLOSE_TOO_BIG, CLOSE_TRY_AGAIN_LATER } from "../stream/close_codes.ts";
import { BINARY_PROTOCOL } from "../stream/frames.ts";

/** Limits and origins that every upgrade is checked against. */
export interface UpgradePolicy extends OriginPolicy {
  maxClients: number;
  maxMessageBytes: number;
  pingIntervalSeconds: number;
  /** Unsent bytes a socket may hold (`/echo`; viewers are bounded by their hub). */
  maxQueuedBytes?: number;
  /** Sockets one address may hold (loopback exempt); 0 turns it off. */
  maxClientsPerAddress?: number;
}

/** A refusal: the status, a one-line reason and any extra headers. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
  /** Already logged (or deliberately not): the router adds no line of its own. */
  logged?: boolean;
}

/** Seconds a client over `--max-clients` is asked to wait. */
export const RETRY_AFTER_SECONDS = 5;
/** The refusal of an address over `--max-clients-per-ip`. */
export const REFUSED_PER_ADDRESS = "Too many WebSocket clients from this address";
/** Seconds an address over `--max-clients-per-ip` is asked to wait. */
export const RETRY_AFTER_ADDRESS_SECONDS = 30;
/**
 * How long an accepted socket may take to open. One whose client went while
 * its route's module was loading (the first upgrade of a route) is never
 * opened by Deno 2.9.6 and fires no event at all: past this it is taken for
 * closed (1006), so its slots and its route's state are given back.
 */
export const OPEN_TIMEOUT_MS = 10_000;
/** How often sockets still opening are looked at (so one is taken for closed within 11 s). */
const OPEN_SWEEP_MS = 1_000;
/**
 * Deno's words for a peer gone mid-write or mid-read (a tab killed as a frame went out, a push
 * ended with Ctrl-C: "Cannot read request body as underlying resource unavailable") or without a
 * close frame (a lid shut, Wi-Fi gone): normal on the internet, so not a protocol error.
 */
export const PEER_GONE =
  /^unexpected eof$|connection reset|broken pipe|failed to send frame|underlying resource unavailable/i;

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** True when the request asks to become a WebSocket. */
export function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/**
 * Returns why an upgrade must be refused, or `undefined` to accept it.
 * `addressCount` is how many sockets the client's address holds now.
 */
export function checkUpgrade(
  request: Request,
  policy: UpgradePolicy,
  openCount: number,
  addressCount = 0,
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
    // A proxy's headers, not believed: the usual cause is a proxy in front without --trust-proxy.
    const proxied = !policy.trustProxy &&
      (request.headers.has("x-forwarded-host") || request.headers.has("forwarded"));
    return {
      status: 403,
      reason: proxied
        ? "Origin not allowed (forwarding headers ignored: behind a proxy, give --trust-proxy)"
        : "Origin not allowed",
    };
  }
  if (openCount >= policy.maxClients) {
    return {
      status: 503,
      reason: "Too many WebSocket clients",
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    };
  }
  const perAddress = policy.maxClientsPerAddress ?? DEFAULTS.maxClientsPerAddress;
  if (perAddress > 0 && addressCount >= perAddress) {
    return {
      status: 503,
      reason: REFUSED_PER_ADDRESS,
      headers: { "retry-after": String(RETRY_AFTER_ADDRESS_SECONDS) },
    };
  }
  return undefined;
}

/**
 * The open WebSockets: counted for `--max-clients` and per address, pinged
 * (Deno's `idleTimeout`), closed with 1001 on shutdown. A socket keeps its
 * slot until Deno reports it closed, however long that takes: a peer that
 * stopped reading holds its connection until it goes (denoland/deno#36337),
 * and so it holds its slot, so no address ever has more than its share.
 */
export class Connections {
  /** Every socket open or opening. */
  readonly #sockets = new Set<WebSocket>();
  /** What a socket's shared listeners need (one object, no closures), kept past its close. */
  readonly #seats = new WeakMap<WebSocket, Seat>();
  /** Sockets not open yet, with when they were accepted; swept by `#sweepOpening`. */
  readonly #opening = new Map<WebSocket, number>();
  #openingSweep: ReturnType<typeof setInterval> | undefined;
  /** Set by `closeAll`: shutting down, so no new socket is taken. */
  #closing = false;
  readonly #perAddress = new Map<string, number>();
  readonly #overLimitLogged = new OncePerAddress();
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

  /** Sockets the address holds now. */
  countFor(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /**
   * Why this upgrade must be refused, or undefined. An address over its
   * limit is logged once a minute here; the router logs the other refusals.
   * `client` is the request's (policy.ts `identifyClient`): behind a trusted
   * proxy its address is the forwarded one.
   */
  check(request: Request, client: Client): Refusal | undefined {
    if (this.#closing) {
      const headers = { "retry-after": String(RETRY_AFTER_SECONDS) };
      return { status: 503, reason: "Server shutting down", headers };
    }
    const address = client.address;
    const counted = isLoopback(address) ? 0 : this.countFor(address);
    const refusal = checkUpgrade(request, this.#policy, this.size, counted);
    if (refusal?.reason !== REFUSED_PER_ADDRESS) return refusal;
    this.#overLimitLogged.log(address, () =>
      this.#log.warn("address-over-limit", {
        address,
        limit: this.#policy.maxClientsPerAddress ?? DEFAULTS.maxClientsPerAddress,
        path: new URL(request.url).pathname,
        via: client.via,
        note: "further refusals for this address are not logged for a minute",
      }));
    return { ...refusal, logged: true };
  }

  /**
   * Upgrades `request` for `path` (`Deno.upgradeWebSocket`), counting it
   * against the client's address until it closes. The listeners are shared by
   * every socket (an idle socket's memory is mostly Deno's own: see
   * docs/transport.md), its state one `Seat`.
   */
  accept(
    request: Request,
    client: Client,
    path: string,
  ): { socket: WebSocket; response: Response } {
    const protocol = offeredProtocol(request);
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: this.#policy.pingIntervalSeconds,
      protocol,
    });
    socket.binaryType = "arraybuffer";
    // Deno 2.9.6 answers with the agreed subprotocol but leaves the server socket's
    // `protocol` empty: set it, so routes read what was agreed, as on a client's socket.
    if (protocol) Object.defineProperty(socket, "protocol", { value: protocol });
    this.#sockets.add(socket);
    this.#seats.set(socket, { client, path, refused: false });
    this.#perAddress.set(client.address, this.countFor(client.address) + 1);
    this.#opening.set(socket, Date.now());
    this.#openingSweep ??= setInterval(this.#sweepOpening, OPEN_SWEEP_MS);
    socket.addEventListener("close", this.#onClose);
    socket.addEventListener("message", this.#onMessage);
    socket.addEventListener("error", this.#onError);
    return { socket, response };
  }

  /**
   * Gives a closed socket's slots back, once: Deno can report a close twice
   * (1005, then 0 or 1001 when the close frame's write fails). `--verbose`
   * logs it with its close code, as it logged the open.
   */
  readonly #onClose = (event: CloseEvent): void => {
    const socket = event.target as WebSocket;
    const seat = this.#seats.get(socket);
    if (!seat || !this.#sockets.delete(socket)) return;
    this.#opening.delete(socket);
    const address = seat.client.address;
    const left = this.countFor(address) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
    this.#log.debug("websocket-closed", {
      path: seat.path,
      ...clientFields(seat.client),
      code: event.code,
      reason: event.reason || undefined,
    });
  };

  /**
   * Deno reads whole messages up to 64 MiB: refuses larger ones before any
   * handler sees them, and hands no handler anything once the socket is being
   * closed for it (this listener is registered before the route's).
   */
  readonly #onMessage = (event: MessageEvent): void => {
    const socket = event.target as WebSocket;
    const seat = this.#seats.get(socket);
    if (!seat || (!seat.refused && !exceedsBytes(event.data, this.#policy.maxMessageBytes))) return;
    event.stopImmediatePropagation();
    if (seat.refused) return;
    seat.refused = true;
    this.#log.warn("message-refused", {
      reason: "too big",
      limit: this.#policy.maxMessageBytes,
      path: seat.path,
      ...clientFields(seat.client),
    });
    socket.close(CLOSE_TOO_BIG, "Message too big");
  };

  /**
   * A protocol error (a bad frame, invalid UTF-8) drops that connection: says
   * why. A peer that went without a close frame is no error: said only with
   * --verbose.
   */
  readonly #onError = (event: Event): void => {
    const seat = this.#seats.get(event.target as WebSocket);
    const reason = (event as ErrorEvent).message;
    const fields = { path: seat?.path, ...(seat && clientFields(seat.client)), reason };
    if (PEER_GONE.test(reason)) this.#log.debug("websocket-lost", fields);
    else this.#log.warn("websocket-error", fields);
  };

  /**
   * Takes a socket still not open after `OPEN_TIMEOUT_MS` for closed (1006):
   * every close listener runs, the route's too; should it open after all, it
   * is closed. One timer for all, running while any socket is opening.
   */
  readonly #sweepOpening = (): void => {
    const now = Date.now();
    for (const [socket, since] of this.#opening) {
      if (socket.readyState !== WebSocket.CONNECTING) this.#opening.delete(socket);
      else if (now - since >= OPEN_TIMEOUT_MS) {
        this.#opening.delete(socket);
        socket.dispatchEvent(new CloseEvent("close", { code: 1006, reason: "Never opened" }));
        socket.addEventListener(
          "open",
          () => socket.close(CLOSE_TRY_AGAIN_LATER, "Took too long to open"),
        );
      }
    }
    if (this.#opening.size > 0) return;
    clearInterval(this.#openingSweep);
    this.#openingSweep = undefined;
  };

  /**
   * Closes every socket with `code`; used on shutdown. One still opening (its
   * client may have the 101 already) is closed as soon as it opens: the promise
   * resolves once none is opening, and the listener must not stop before, or
   * Deno drops those connections without a close frame. Upgrades from now on
   * are refused (503).
   */
  closeAll(code: number, reason: string): Promise<void> {
    this.#closing = true;
    const opening: Promise<unknown>[] = [];
    for (const socket of this.#sockets) {
      if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
      else if (socket.readyState === WebSocket.CONNECTING) {
        opening.push(
          new Promise((resolve) => {
            socket.addEventListener("open", () => resolve(socket.close(code, reason)));
            // An upgrade that fails (the client went) ends in "error", not "close".
            socket.addEventListener("close", resolve);
            socket.addEventListener("error", resolve);
          }),
        );
      }
    }
    return Promise.all(opening).then(() => {});
  }
}

/** What a socket's shared listeners need of it. */
interface Seat {
  client: Client;
  path: string;
  /** Closed for a message over `--max-message`: its messages reach no handler. */
  refused: boolean;
}

/** liveplot's subprotocol, when the client offers it (it asks for binary data frames). */
function offeredProtocol(request: Request): string | undefined {
  const offered = request.headers.get("sec-websocket-protocol")?.split(",") ?? [];
  return offered.some((name) => name.trim() === BINARY_PROTOCOL) ? BINARY_PROTOCOL : undefined;
}
