/**
 * `--trust-proxy`: what a request looked like before a reverse proxy (one
 * that terminates TLS, say) forwarded it. With it, the scheme and host come
 * from `Forwarded` (RFC 7239), else `X-Forwarded-Proto` / `X-Forwarded-Host`,
 * and the client's address from `Forwarded: for=` else `X-Forwarded-For`.
 * Without it those headers are ignored: any client can send them.
 *
 * Only one proxy is trusted: for the address, the last hop it names (the one
 * the proxy next to liveplot saw); for scheme and host, the first (what the
 * browser asked for).
 *
 * @module
 */

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

/** The client's address: the forwarded one when `trustProxy`, else the peer's. */
export function clientAddress(request: Request, peer: string, trustProxy: boolean): string {
  if (!trustProxy) return peer;
  const forwarded = parseForwarded(request.headers.get("forwarded")).at(-1)?.for;
  const address = forwarded ??
    request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  if (!address || address.toLowerCase() === "unknown" || address.startsWith("_")) return peer;
  // `for="[2001:db8::1]:4711"` and `for=192.0.2.60:4711`: keep the address alone.
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  const withPort = /^([^:]+):\d+$/.exec(address);
  return withPort?.[1] ?? address;
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
