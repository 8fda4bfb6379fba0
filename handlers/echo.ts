/**
 * WebSocket `/echo`: every message back as it came, text as text and binary
 * as binary, until the client closes.
 *
 * A client that sends and never reads would make the echoes pile up: once
 * more than `maxQueuedBytes` wait to be sent, the socket is closed with 1008
 * (policy violation) and, should the close not get through, destroyed with
 * its queue (see `server_socket.ts`).
 *
 * @module
 */

import type { Logger } from "../log.ts";

/** Close code for a client whose echoes pile up unread. */
export const CLOSE_NOT_READING = 1008;

/** What `/echo` is bounded by. */
export interface EchoOptions {
  /** Unsent bytes a socket may hold; an echo that would go past it closes the socket. */
  maxQueuedBytes: number;
  log: Logger;
}

/** Echoes each message on `socket` back to its sender. */
export function serveEcho(socket: WebSocket, options: EchoOptions): void {
  socket.addEventListener("message", (event) => {
    const queued = socket.bufferedAmount;
    const size = byteSize(event.data);
    // An empty queue takes any message, as the hub's viewers do.
    if (queued > 0 && queued + size > options.maxQueuedBytes) {
      options.log.warn("echo-dropped", {
        reason: "not reading",
        queued,
        limit: options.maxQueuedBytes,
      });
      socket.close(CLOSE_NOT_READING, "Not reading: echo queue full");
      return;
    }
    socket.send(event.data);
  });
}

function byteSize(data: unknown): number {
  if (typeof data === "string") return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}
