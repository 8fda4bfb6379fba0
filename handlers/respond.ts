/**
 * The one place answers are built: plain text, JSON, a refusal, the one 500,
 * and the security headers every answer carries.
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

/** A JSON answer: `body` on one line. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A refusal (an upgrade's, say) as plain text: its status, reason and headers. */
export function refuse(
  refusal: { status: number; reason: string; headers?: Record<string, string> },
): Response {
  return text(refusal.status, refusal.reason, refusal.headers);
}

/** The answer to an unexpected error: the one 500, with the security headers. */
export function internalError(): Response {
  return secured(text(500, "Internal server error"));
}

/** Adds the security headers; a 101's headers are fixed by the upgrade. */
export function secured(response: Response): Response {
  if (response.status === 101) return response;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    response.headers.set(name, value);
  }
  return response;
}
