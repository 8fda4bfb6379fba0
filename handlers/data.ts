/**
 * WebSocket `/data` in demo mode: the seed's 100 random numbers for each
 * connection. A stream's viewers are handlers/stream_viewer.ts's.
 *
 * @module
 */

import { createDemoFrame } from "../stream/demo.ts";

/** Close code once the demo's 100 points are sent. */
export const CLOSE_NORMAL = 1000;

/** Sends this connection its own 100 random numbers, then closes with 1000. */
export function serveDemo(socket: WebSocket): void {
  socket.addEventListener("open", () => {
    socket.send(createDemoFrame());
    socket.close(CLOSE_NORMAL, "Demo complete");
  });
}
