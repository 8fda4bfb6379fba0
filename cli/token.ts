/**
 * The push token made up at start when none is given (as Jupyter prints its
 * URL), and the ready-to-paste `curl` line that shows how to use it, whatever
 * gave the token.
 *
 * @module
 */

import type { TokenOrigin } from "../config.ts";

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

/** The stream the printed push line writes to. */
export const EXAMPLE_STREAM = "vmstat";

/**
 * The line printed at start, which runs as written in the user's shell:
 * `vmstat 1 | curl -sT - -H "Authorization: Bearer T" URL/s/vmstat`.
 */
export function curlExample(
  base: URL,
  token: string,
  origin: TokenOrigin = { kind: "generated" },
  stream = EXAMPLE_STREAM,
): string {
  const target = new URL(`s/${stream}`, base).href;
  return `vmstat 1 | curl -sT - -H ${authorization(token, origin)} ${shellWord(target)}`;
}

/** The `Authorization` header as one shell word that gives `token` the way `origin` allows. */
function authorization(token: string, origin: TokenOrigin): string {
  switch (origin.kind) {
    case "environment":
      // Double quotes, so that the shell puts the variable's value in.
      return `"Authorization: Bearer $${origin.name}"`;
    case "file": {
      // A leading ./ keeps cat from reading a name that starts with - as an option.
      const path = origin.path.startsWith("-") ? `./${origin.path}` : origin.path;
      return `"Authorization: Bearer $(cat ${shellWord(path)})"`;
    }
    case "flag":
      // Printed: the user typed it on liveplot's command line, where their shell's history
      // and ps show it already, and no variable holds it for the line to name instead.
    case "generated":
      return shellWord(`Authorization: Bearer ${token}`);
  }
}

/**
 * `text` as one word of a POSIX shell's command line: bare when nothing in
 * it is special to a shell, in double quotes when only spaces and the like
 * are, else in single quotes (where `$`, `` ` ``, `"`, `\` and bash's `!`
 * mean nothing).
 */
export function shellWord(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  if (!/[$`"\\!]/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", "'\\''")}'`;
}
