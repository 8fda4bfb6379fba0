/**
 * WebSocket `/data`: the seed's demo stream for each connection, or a seat
 * in the hub's shared stream when a live source is configured.
 *
 * @module
 */

import { createDemoFrame } from "../stream/demo.ts";
import type { Hub } from "../stream/hub.ts";

/** Close code once the demo's 100 points are sent. */
export const CLOSE_NORMAL = 1000;

/** Sends this connection its own 100 random numbers, then closes with 1000. */
export function serveDemo(socket: WebSocket): void {
  socket.addEventListener("open", () => {
    socket.send(createDemoFrame());
    socket.close(CLOSE_NORMAL, "Demo complete");
  });
}

/** Attaches this connection to the shared stream until it closes. */
export function serveViewer(socket: WebSocket, hub: Hub): void {
  socket.addEventListener("open", () => hub.attach(socket));
  socket.addEventListener("close", () => hub.detach(socket));
}
