/**
 * What a WebSocket's unsent queue costs, as Deno 2.9.6 keeps it:
 * `bufferedAmount` counts the bytes, and each queued message holds about
 * 0.9 KiB more of its own (measured: a socket that skips sending past a
 * budget B of bytes alone holds 1.95 MiB at B = 1 MiB when the messages are
 * small). `bufferedAmount` says nothing of the messages, and reads 0 once a
 * socket is not open, so the callers count them: messages sent since the
 * queue last read empty.
 *
 * @module
 */

/** What one queued message costs beyond its bytes. */
export const QUEUED_MESSAGE_BYTES = 900;

/** The cost of a queue of `bufferedAmount` bytes in `messages` messages. */
export function queueCost(bufferedAmount: number, messages: number): number {
  return bufferedAmount + messages * QUEUED_MESSAGE_BYTES;
}
