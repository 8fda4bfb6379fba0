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
  return base64url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `bytes` in base64url without padding (RFC 4648 §5). Written out here
 * because `btoa` loads Deno's base64 module on first use, a millisecond and
 * a half of every start.
 */
export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (let at = 0; at < bytes.length; at += 3) {
    const left = bytes.length - at;
    const group = (bytes[at]! << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0);
    text += ALPHABET[group >> 18]! + ALPHABET[(group >> 12) & 63]!;
    if (left > 1) text += ALPHABET[(group >> 6) & 63]!;
    if (left > 2) text += ALPHABET[group & 63]!;
  }
  return text;
}

/** The line printed at start: `vmstat 1 | curl -sT - -H "Authorization: Bearer T" URL/s/vmstat`. */
export function curlExample(base: URL, token: string, stream = "vmstat"): string {
  const target = new URL(`s/${stream}`, base).href;
  return `vmstat 1 | curl -sT - -H "Authorization: Bearer ${token}" ${target}`;
}
