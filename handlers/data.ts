/**
 * WebSocket `/data` in demo mode: the seed's 100 random numbers for each
 * connection. A stream's viewers are handlers/stream_viewer.ts's.
 *
 * @module
 */

import { CLOSE_NORMAL } from "../stream/close_codes.ts";
import { createDemoFrame } from "../stream/demo.ts";

/** Sends this connection its own 100 random numbers, then closes with 1000. */
export function serveDemo(socket: WebSocket): void {
  socket.addEventListener("open", () => {
    socket.send(createDemoFrame());
    socket.close(CLOSE_NORMAL, "Demo complete");
  });
}
