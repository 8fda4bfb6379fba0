/**
 * Write tokens as the command line shows them: one generated at start unless
 * `--token` gives one (as Jupyter prints its URL), and the ready-to-paste
 * `curl` line printed at start. Checking a request's token is policy.ts's.
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
