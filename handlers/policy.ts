/**
 * Who may do what, decided from a request's headers alone: which `Host`
 * names a loopback listener answers (DNS rebinding), which origins may open
 * sockets and push, what the request looked like before a reverse proxy
 * forwarded it (`--trust-proxy`), and whether a token matches.
 *
 * Forwarding headers are whatever the client says unless a proxy sets them,
 * so they count only with `--trust-proxy`, and then only what the proxy next
 * to liveplot wrote: the client's address is the last `X-Forwarded-For`
 * entry (the one that proxy appended; a client's own `Forwarded: for=` is
 * ignored), scheme and host the first `Forwarded` element or else
 * `X-Forwarded-Proto` / `X-Forwarded-Host`, which the proxy must overwrite
 * (see docs/security.md).
 *
 * @module
 */

import { FOLD_INTERVAL_MS } from "../log.ts";

/** What the origin and host checks need to know of the listener. */
export interface OriginPolicy {
  /** Extra allowed origins, normalised; `"*"` allows all. */
  origins: readonly string[];
  /** The hostname liveplot listens on, to tell loopback-only from exposed. */
  hostname: string;
  /** Take scheme, host and address from the proxy's forwarding headers. */
  trustProxy: boolean;
}

/** Host names that reach a loopback listener without DNS: rebinding cannot make them up. */
const LOOPBACK_NAMES = new Set(["localhost", "[::1]", "::1"]);
/** A dotted IPv4 literal in 127.0.0.0/8, as a URL normalises it (`127.0.0.1.evil.example` is not). */
const LOOPBACK_IPV4 = /^127(?:\.\d{1,3}){3}$/;
/** 127.0.0.0/8 mapped to IPv6, as a URL writes it (`::ffff:127.0.0.1` → `[::ffff:7f00:1]`). */
const LOOPBACK_MAPPED = /^\[?::ffff:7f[\da-f]{2}:[\da-f]{1,4}\]?$/;

/** Tells loopback addresses and names from exposed ones. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || LOOPBACK_IPV4.test(hostname) ||
    LOOPBACK_MAPPED.test(hostname);
}

/** Why a request cannot be answered by its `Host`: not a host at all, or not this listener's. */
export type HostRefusal = "invalid" | "foreign";

/**
 * Why a request may not be answered, by its `Host`, or undefined when it
 * may. A `Host` that makes no URL (`localhost:99999`) is `invalid` on any
 * listener. A loopback listener answers only to loopback names and its own
 * `--host`, whatever forwarding headers say: a page on
 * `http://evil.example:PORT`, once that name resolves to 127.0.0.1, sends its
 * own name as `Host` (which no page can change), and may add any other header
 * to a same-origin fetch. A proxy in front of a loopback listener therefore
 * sends a loopback name as `Host` and the public one in `X-Forwarded-Host`
 * (docs/security.md). An exposed listener is reached by any name.
 */
export function hostRefusal(request: Request, policy: OriginPolicy): HostRefusal | undefined {
  // The common case without parsing: a loopback name as a URL writes it, and a valid port.
  if (PLAIN_LOOPBACK_AUTHORITY.test(request.url)) return undefined;
  const url = URL.parse(request.url);
  if (url === null) return "invalid";
  if (!isLoopback(policy.hostname)) return undefined;
  const { hostname } = url;
  return isLoopback(hostname) || hostname === policy.hostname.toLowerCase() ? undefined : "foreign";
}

/** True when a request may be answered at all (`hostRefusal` finds nothing). */
export function isAllowedHost(request: Request, policy: OriginPolicy): boolean {
  return hostRefusal(request, policy) === undefined;
}

/** `http://localhost:PORT/…` and the like: the URL's hostname is that name, its port valid. */
const PLAIN_LOOPBACK_AUTHORITY = new RegExp(
  String.raw`^https?://(?:localhost|127\.0\.0\.1|\[::1\])` +
    String.raw`(?::(?:\d{1,4}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d\d|655[0-2]\d|6553[0-5]))?[/?#]`,
);
/** A path `new URL` leaves as written: no escapes, and no segment that starts with a dot. */
const PLAIN_PATH = /^(?:\/(?:[\w~-][\w.~-]*)?)+$/;
/** A host (and port) with nothing that would end it early or hide another host. */
const PLAIN_AUTHORITY = /^[\w.:[\]-]+$/;

/**
 * The path of a request's URL (`request.url`), as `new URL(url).pathname`
 * reads it. A plain one is cut out of the string; anything else (escapes,
 * dot segments, an odd host) is parsed.
 */
export function requestPath(url: string): string {
  const authority = url.indexOf("://") + 3;
  const slash = url.indexOf("/", authority);
  if (authority > 2 && slash !== -1) {
    const query = url.indexOf("?", slash);
    const path = url.slice(slash, query === -1 ? url.length : query);
    if (PLAIN_PATH.test(path) && PLAIN_AUTHORITY.test(url.slice(authority, slash))) return path;
  }
  return new URL(url).pathname;
}

/**
 * Same-origin (as the client saw it), or listed with `--origin`. The host
 * itself was checked before any route (`hostRefusal`, in the router).
 */
export function isAllowedOrigin(origin: string, request: Request, policy: OriginPolicy): boolean {
  if (policy.origins.includes("*") || policy.origins.includes(origin)) return true;
  const seen = publicOrigin(request, policy.trustProxy);
  return origin === `${seen.protocol}//${seen.host}`;
}

/** Scheme and host as the client saw them. */
export interface PublicOrigin {
  /** `http:` or `https:`. */
  protocol: string;
  /** `name` or `name:port`, as in a URL's `host`. */
  host: string;
  /** True when they came from forwarding headers. */
  forwarded: boolean;
}

/** The origin the client used: forwarded when `trustProxy`, else the request's own. */
export function publicOrigin(request: Request, trustProxy: boolean): PublicOrigin {
  const own = new URL(request.url);
  const fallback = { protocol: own.protocol, host: own.host, forwarded: false };
  if (!trustProxy) return fallback;
  const first = parseForwarded(request.headers.get("forwarded"))[0];
  const proto = first?.proto ?? firstValue(request.headers.get("x-forwarded-proto"));
  const host = first?.host ?? firstValue(request.headers.get("x-forwarded-host"));
  if (proto === undefined && host === undefined) return fallback;
  const protocol = proto === undefined ? own.protocol : `${proto.toLowerCase()}:`;
  if (protocol !== "http:" && protocol !== "https:") return fallback;
  const checked = validHost(protocol, host ?? own.host);
  if (checked === undefined) return fallback;
  return { protocol, host: checked, forwarded: true };
}

/** The page's URL as the client sees it, for links and the WebSocket address. */
export function publicUrl(request: Request, trustProxy: boolean): URL {
  const { protocol, host } = publicOrigin(request, trustProxy);
  const url = new URL(request.url);
  return new URL(`${url.pathname}${url.search}`, `${protocol}//${host}`);
}

/**
 * The client's address: with `trustProxy`, the last `X-Forwarded-For` entry,
 * the one the proxy appended for the peer it saw; else (or without one) the
 * peer's. Entries before it, and `Forwarded: for=`, are the client's own say.
 */
export function clientAddress(request: Request, peer: string, trustProxy: boolean): string {
  return (trustProxy ? forwardedFor(request) : undefined) ?? peer;
}

/** The last `X-Forwarded-For` entry, the address alone; undefined when there is none to take. */
function forwardedFor(request: Request): string | undefined {
  const address = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  if (!address || address.toLowerCase() === "unknown" || address.startsWith("_")) return undefined;
  // `[2001:db8::1]:4711` and `192.0.2.60:4711`: keep the address alone.
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  const withPort = /^([^:]+):\d+$/.exec(address);
  return withPort?.[1] ?? address;
}

/** Who sent a request, as per-address limits count it and log lines name it. */
export interface Client {
  /** What per-address limits and once-a-minute lines count: `clientAddress`. */
  address: string;
  /** A log line's `remote=`: the peer's `host:port`, or the forwarded address. */
  remote: string;
  /** The peer's `host:port` (the proxy) when `remote` is a forwarded address. */
  via?: string;
}

/**
 * The client of `request`, which came from `peer` (undefined once Deno no
 * longer says): every log line and per-address count takes it from here, so
 * behind a trusted proxy none names the proxy as the client.
 */
export function identifyClient(
  request: Request,
  peer: Deno.Addr | undefined,
  trustProxy: boolean,
): Client {
  const ip = peer?.transport === "tcp" || peer?.transport === "udp" ? peer : undefined;
  const host = ip?.hostname ?? peer?.transport ?? "unknown";
  const remote = ip ? `${ip.hostname}:${ip.port}` : host;
  // Forwarded even when it names the proxy's own address (a client on the proxy's machine).
  const forwarded = trustProxy ? forwardedFor(request) : undefined;
  return forwarded === undefined
    ? { address: host, remote }
    : { address: forwarded, remote: forwarded, via: remote };
}

/** A client's fields in a log line: `remote=`, and `via=` behind a proxy. */
export function clientFields(client: Client): { remote: string; via: string | undefined } {
  return { remote: client.remote, via: client.via };
}

/** One element of a `Forwarded` header, its parameter names lower-cased. */
type ForwardedElement = Partial<Record<"for" | "by" | "host" | "proto", string>>;

/** Parses `Forwarded` into its elements (one per hop), leniently. */
export function parseForwarded(header: string | null): ForwardedElement[] {
  if (!header) return [];
  const elements: ForwardedElement[] = [];
  for (const element of splitOutsideQuotes(header, ",")) {
    const parsed: ForwardedElement = {};
    for (const pair of splitOutsideQuotes(element, ";")) {
      const equals = pair.indexOf("=");
      if (equals === -1) continue;
      const name = pair.slice(0, equals).trim().toLowerCase();
      let value = pair.slice(equals + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
        value = value.slice(1, -1).replace(/\\(.)/g, "$1");
      }
      if (name === "for" || name === "by" || name === "host" || name === "proto") {
        parsed[name] = value;
      }
    }
    elements.push(parsed);
  }
  return elements;
}

/** The token of an `Authorization: Bearer TOKEN` header, if there is one. */
export function bearerToken(request: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1];
}

/**
 * A token for reading (`--read-token`): the header, or `?token=` for what a
 * browser opens itself (a page, a WebSocket), which cannot set headers.
 */
export function readToken(request: Request): string | undefined {
  return bearerToken(request) ?? new URL(request.url).searchParams.get("token") ?? undefined;
}

/**
 * True when `given` equals `expected`. Every byte of the longer one is
 * looked at whatever the content, so timing tells at most the length.
 */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const encoder = new TextEncoder();
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const character = text[i];
    if (character === "\\" && quoted) i++;
    else if (character === '"') quoted = !quoted;
    else if (character === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

function firstValue(header: string | null): string | undefined {
  const value = header?.split(",")[0]?.trim();
  return value ? value : undefined;
}

/** `host` as a URL of `protocol` normalises it (default port dropped), or undefined. */
function validHost(protocol: string, host: string): string | undefined {
  if (host === "" || /[\s/?#@\\]/.test(host)) return undefined;
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}

/** An address is logged at most once in this long, per kind of line. */
const ONCE_PER_ADDRESS_MS = 60_000;
/** Addresses remembered per kind; past it the one logged longest ago is forgotten first. */
const MAX_REMEMBERED = 10_000;

/**
 * The once-a-minute memory behind the lines a client can cause at will: a
 * wrong push or read token, an address over `--max-clients-per-ip`. log.ts
 * folds repeats per event per second, which bounds the log but lets one
 * address hide every other: a line per address per minute says who is at it
 * without letting anyone fill the log. Behind `--trust-proxy` the address is
 * the forwarded client's (`identifyClient`), never the proxy's.
 */
export class OncePerAddress {
  /** Address → when it was last logged (or is due again); in the order last tried. */
  readonly #loggedAt = new Map<string, number>();

  /**
   * Calls `write` unless `address` had its line within `ONCE_PER_ADDRESS_MS`.
   * A line folded into log.ts's summary (another address's came within the
   * second) does not count: the address may try again once the fold is over,
   * two fold intervals on (its own tries meanwhile would keep it going).
   */
  log(address: string, write: () => boolean): void {
    const now = performance.now();
    if (now - (this.#loggedAt.get(address) ?? -Infinity) < ONCE_PER_ADDRESS_MS) return;
    const at = write() ? now : now - ONCE_PER_ADDRESS_MS + 2 * FOLD_INTERVAL_MS;
    // Deleted first, so the set moves it last: the least recently tried is forgotten first.
    this.#loggedAt.delete(address);
    this.#loggedAt.set(address, at);
    if (this.#loggedAt.size > MAX_REMEMBERED) {
      this.#loggedAt.delete(this.#loggedAt.keys().next().value as string);
    }
  }
}
