/**
 * The push token made up at start when none is given (as Jupyter prints its
 * URL), and the ready-to-paste `curl` line that shows how to use it.
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

/** The line printed at start: `vmstat 1 | curl -sT - -H "Authorization: Bearer T" URL/s/vmstat`. */
export function curlExample(base: URL, token: string, stream = "vmstat"): string {
  const target = new URL(`s/${stream}`, base).href;
  return `vmstat 1 | curl -sT - -H "Authorization: Bearer ${token}" ${target}`;
}
