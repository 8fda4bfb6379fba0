/**
 * The once-a-minute memory behind the lines a client can cause at will: a
 * wrong push or read token, an address over `--max-clients-per-ip`. log.ts
 * folds repeats per event per second, which bounds the log but lets one
 * address hide every other: a line per address per minute says who is at it
 * without letting anyone fill the log. Behind `--trust-proxy` the address is
 * the forwarded client's (policy.ts `identifyClient`), never the proxy's.
 *
 * @module
 */

/** An address is logged at most once in this long, per kind of line. */
export const ONCE_PER_ADDRESS_MS = 60_000;
/** Addresses remembered per kind; past it the one logged longest ago is forgotten first. */
const MAX_REMEMBERED = 10_000;

/** Which addresses had their line within the last minute, for one kind of line. */
export class OncePerAddress {
  /** Address → when it was last logged; in that order, the oldest first. */
  readonly #loggedAt = new Map<string, number>();

  /** True, and remembered, when `address` had no line within `ONCE_PER_ADDRESS_MS`. */
  allows(address: string): boolean {
    const now = performance.now();
    if (now - (this.#loggedAt.get(address) ?? -Infinity) < ONCE_PER_ADDRESS_MS) return false;
    // Deleted first, so the set moves it last: the map stays in order of time.
    this.#loggedAt.delete(address);
    this.#loggedAt.set(address, now);
    if (this.#loggedAt.size > MAX_REMEMBERED) {
      this.#loggedAt.delete(this.#loggedAt.keys().next().value as string);
    }
    return true;
  }
}
