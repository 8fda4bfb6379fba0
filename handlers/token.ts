/**
 * Write tokens: one generated at start unless `--token` gives one (as
 * Jupyter prints its URL), the `Authorization: Bearer` header that carries
 * it, a comparison whose time does not depend on where the tokens differ,
 * and the ready-to-paste `curl` line printed at start.
 *
 * @module
 */

/** Random bytes in a generated token: 192 bits, beyond guessing. */
export const TOKEN_BYTES = 24;

/** A fresh random token, base64url without padding (32 characters). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
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

/** The line printed at start: `vmstat 1 | curl -sT - -H "Authorization: Bearer T" URL/s/vmstat`. */
export function curlExample(base: URL, token: string, stream = "vmstat"): string {
  const target = new URL(`s/${stream}`, base).href;
  return `vmstat 1 | curl -sT - -H "Authorization: Bearer ${token}" ${target}`;
}
