/**
 * WebSocket `/s/NAME/data`: a seat in stream NAME's hub. A viewer of a
 * stream that does not exist yet is told it waits, and joins when the first
 * write creates the stream; waiting takes no `--max-streams` slot (only a
 * write creates a stream), and the registry bounds how many wait.
 *
 * @module
 */

import type { Streams } from "../stream/registry.ts";
import { initialStatus, type SourceStatus } from "../stream/source_status.ts";
import { CLOSE_TRY_AGAIN_LATER } from "../stream/viewer_budget.ts";

/** Attaches `socket` to stream `name` now, or once a write creates it. */
export function serveStreamViewer(socket: WebSocket, name: string, streams: Streams): void {
  let waiting = true;
  const stopWaiting = streams.whenCreated(name, (stream) => {
    waiting = false;
    // Now if the socket is open (the stream came later), else once it opens.
    let attached = false;
    const attach = () => {
      if (attached || socket.readyState !== WebSocket.OPEN) return;
      attached = true;
      stream.hub.attach(socket);
    };
    socket.addEventListener("open", attach);
    socket.addEventListener("close", () => stream.hub.detach(socket));
    attach();
  });
  if (!stopWaiting) {
    socket.addEventListener("open", () => {
      socket.close(CLOSE_TRY_AGAIN_LATER, "Too many viewers waiting for streams");
    });
    return;
  }
  socket.addEventListener("open", () => {
    if (waiting) socket.send(JSON.stringify({ type: "status", ...waitingStatus(name) }));
  });
  socket.addEventListener("close", () => stopWaiting());
}

/** The status a waiting viewer's page shows until the stream exists. */
function waitingStatus(name: string): SourceStatus {
  return {
    ...initialStatus(),
    state: "waiting",
    detail: `waiting for a first write to stream "${name}"`,
  };
}
