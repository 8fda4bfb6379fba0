/**
 * The one place answers are built: plain text, JSON, a refusal, the one 500,
 * fixed answers built once, and the security headers every answer carries
 * but `/test`'s (`probeAnswers`).
 *
 * Headers cost: Deno validates every header of every `Response` it builds
 * (a few µs for these), which is most of a `GET /test`. So a fixed answer is
 * built once, security headers included, and each request gets a
 * `clone()` of it: the clone copies the checked header list and shares the
 * static body. Answers built here carry the security headers from the start;
 * `secured` adds them to an answer built elsewhere.
 *
 * @module
 */

/** Headers on every answer: the page may load only its own scripts and socket. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Set on answers built here, which carry the security headers already, so
 * `secured` leaves them alone. A property, not a `WeakSet`: it is set on every
 * fixed answer, and a property costs next to nothing where a set's entry
 * costs a hash and garbage-collector work.
 */
const SECURED = Symbol("secured");
type Marked = Response & { [SECURED]?: true };

/** A one-line plain-text answer. */
export function text(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return answer(`${message}\n`, status, {
    "content-type": "text/plain; charset=utf-8",
    ...headers,
  });
}

/** A JSON answer: `body` on one line. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return answer(JSON.stringify(body) + "\n", status, {
    "content-type": "application/json",
    ...headers,
  });
}

/** A refusal (an upgrade's, say) as plain text: its status, reason and headers. */
export function refuse(
  refusal: { status: number; reason: string; headers?: Record<string, string> },
): Response {
  return text(refusal.status, refusal.reason, refusal.headers);
}

/**
 * 308 to `path` on this server, with the request's query (a read token stays with it): for a
 * path a slash away from a route's (`/s` → `/s/`, `/s/NAME/` → `/s/NAME`).
 */
export function moved(request: Request, path: string): Response {
  const location = path + new URL(request.url).search;
  return text(308, `Moved to ${location}`, { location });
}

/** The answer to an unexpected error: the one 500, with the security headers. */
export function internalError(): Response {
  return text(500, "Internal server error");
}

/**
 * An answer that never changes (an embedded file, `/test`), its headers
 * checked once: each call returns a fresh copy, security headers included.
 */
export function fixedAnswer(
  body: Uint8Array<ArrayBuffer> | string | null,
  headers: Record<string, string>,
  status = 200,
): () => Response {
  const template = answer(body, status, headers);
  return () => mark(template.clone());
}

/**
 * `/test`'s answers, the one route without the security headers: a health
 * probe's fixed plain text, which they cannot protect (no script to confine,
 * no link to leak a referrer, no bytes of anyone's to sniff). Deno 2.9.6
 * sends an answer whose only header is its `Content-Type` (its default one
 * here) on a fast path of its own that any other header leaves: with them
 * `/test` cost 1.1–1.3× bare `Deno.serve`, the target is 1.10×.
 */
export function probeAnswers(body: string): { get: () => Response; head: () => Response } {
  const headers = {
    "content-type": PROBE_TYPE,
    "content-length": String(new TextEncoder().encode(body).length),
  };
  const head = new Response(null, { headers });
  return { get: () => mark(new Response(body)), head: () => mark(head.clone()) };
}

/** The type Deno gives a string body, which keeps `/test` on its fast path. */
const PROBE_TYPE = "text/plain;charset=UTF-8";

/** Adds the security headers to an answer built elsewhere; a 101's headers are fixed by the upgrade. */
export function secured(response: Response): Response {
  if ((response as Marked)[SECURED] || response.status === 101) return response;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    response.headers.set(name, value);
  }
  return response;
}

function answer(
  body: Uint8Array<ArrayBuffer> | string | null,
  status: number,
  headers: Record<string, string>,
): Response {
  // The security headers last: no caller's header replaces them.
  return mark(new Response(body, { status, headers: { ...headers, ...SECURITY_HEADERS } }));
}

function mark(response: Marked): Response {
  response[SECURED] = true;
  return response;
}
