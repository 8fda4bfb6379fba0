/**
 * WebSocket `/echo`: every message back as it came, text as text and binary
 * as binary, until the client closes.
 *
 * A client that sends and never reads would make the echoes pile up: once
 * the queue (its bytes and its messages, see send_queue.ts) would pass
 * `maxQueuedBytes`, the socket is closed with 1008 (policy violation) once,
 * and nothing more is echoed or read from it. The connection goes when the
 * peer does: Deno's close waits behind what the peer has not read.
 *
 * @module
 */

import type { LogFields, Logger } from "../log.ts";
import { exceedsBytes } from "./message_size.ts";
import { CLOSE_NOT_READING } from "../stream/close_codes.ts";
import { queueCost } from "../stream/send_queue.ts";

/** What `/echo` is bounded by. */
export interface EchoOptions {
  /** What a socket's queue may cost; an echo that would go past it closes the socket. */
  maxQueuedBytes: number;
  log: Logger;
}

/** Echoes each message on `socket` back to its sender. */
export function serveEcho(socket: WebSocket, options: EchoOptions, who: LogFields = {}): void {
  // Messages sent since the queue last read empty; -1 once closed for not reading
  // (`bufferedAmount` reads 0 once a socket is closing, so it cannot tell).
  let unsent = 0;
  socket.addEventListener("message", (event) => {
    if (unsent < 0) return;
    const buffered = socket.bufferedAmount;
    if (buffered === 0) unsent = 0;
    const queued = queueCost(buffered, unsent);
    // An empty queue takes any message, as the hub's viewers do; text counts in UTF-8 bytes.
    if (queued > 0 && exceedsBytes(event.data, options.maxQueuedBytes - queued)) {
      unsent = -1;
      options.log.warn("echo-dropped", {
        ...who,
        reason: "not reading",
        queued,
        limit: options.maxQueuedBytes,
      });
      socket.close(CLOSE_NOT_READING, "Not reading: echo queue full");
      return;
    }
    socket.send(event.data);
    unsent++;
  });
}
