/**
 * How a listening address is written in a URL or a message: an IPv6
 * address in brackets (`[::1]:8000`), anything else as it is. One home for
 * the server's URL, the listener's and the CLI's messages.
 *
 * @module
 */

/** Wraps an IPv6 address in brackets for use in a URL. */
export function formatHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
