/**
 * Room for a bounded number of long answers made at once (CSV exports, range
 * answers), of which one address holds at most half: a client that opens
 * exports and never reads them cannot keep everyone else out. Loopback
 * addresses are not held to the share, as `--max-clients-per-ip` does not
 * hold them (a local script; every client of a proxy not trusted with
 * `--trust-proxy`).
 *
 * @module
 */

import { isLoopback } from "./policy.ts";

/** A slot taken: `release` gives it back (once, however often it is called). */
export interface Slot {
  release(): void;
}

/** Why no slot was given: all are taken, or the address holds its share. */
export type NoSlot = "full" | "share";

/** A fixed number of slots, shared by every stream. */
export class Slots {
  readonly size: number;
  /** The most one address may hold. */
  readonly share: number;
  #taken = 0;
  readonly #byAddress = new Map<string, number>();

  constructor(size: number) {
    this.size = size;
    this.share = Math.max(1, Math.floor(size / 2));
  }

  /** A slot for a request from `address`, or why there is none. */
  take(address: string): Slot | NoSlot {
    if (this.#taken >= this.size) return "full";
    const counted = !isLoopback(address);
    const held = this.#byAddress.get(address) ?? 0;
    if (counted && held >= this.share) return "share";
    this.#taken++;
    if (counted) this.#byAddress.set(address, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#taken--;
        if (!counted) return;
        const left = (this.#byAddress.get(address) ?? 1) - 1;
        if (left > 0) this.#byAddress.set(address, left);
        else this.#byAddress.delete(address);
      },
    };
  }

  /** The 503's reason for `refusal`, naming what is limited: `CSV exports`. */
  reason(refusal: NoSlot, what: string): string {
    return refusal === "full"
      ? `Too many ${what} at once (${this.size}): try again`
      : `Too many ${what} from one address at once (${this.share}): try again`;
  }
}
