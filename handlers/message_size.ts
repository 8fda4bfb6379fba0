/**
 * A WebSocket message's size as it went over the wire: a text message's
 * UTF-8 bytes (not its UTF-16 length, which is up to three times smaller),
 * a binary one's bytes. `--max-message` and `/echo`'s `--max-queue` both
 * measure a message here, so the two limits count the same thing.
 *
 * @module
 */

/** Returns true when message `data` is over `limit` bytes, encoding text only when it must. */
export function exceedsBytes(data: unknown, limit: number): boolean {
  if (typeof data === "string") {
    // UTF-8 takes at least one byte per UTF-16 unit and at most three, so
    // only a string in between needs encoding to be measured.
    if (data.length > limit) return true;
    if (data.length * 3 <= limit) return false;
    return new TextEncoder().encode(data).length > limit;
  }
  if (data instanceof ArrayBuffer) return data.byteLength > limit;
  if (data instanceof Blob) return data.size > limit;
  return false;
}
