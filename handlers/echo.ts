/**
 * WebSocket `/echo`: every message back as it came, text as text and binary
 * as binary, until the client closes.
 *
 * @module
 */

/** Echoes each message on `socket` back to its sender. */
export function serveEcho(socket: WebSocket): void {
  socket.addEventListener("message", (event) => socket.send(event.data));
}
