/**
 * WebSocket `/s/NAME/data`: a seat in stream NAME's hub. A viewer of a
 * stream that does not exist yet is told it waits, and joins when the first
 * write creates the stream; waiting takes no `--max-streams` slot (only a
 * write creates a stream), and the registry bounds how many wait.
 *
 * @module
 */

import type { LogFields } from "../log.ts";
import { INITIAL_SHAPE, metaMessage } from "../stream/meta.ts";
import type { Stream, Streams } from "../stream/registry.ts";
import { initialStatus, type SourceStatus } from "../stream/source_status.ts";
import { CLOSE_TRY_AGAIN_LATER } from "../stream/close_codes.ts";

/** Attaches `socket` to stream `name` once it is open and the stream exists. */
export function serveStreamViewer(
  socket: WebSocket,
  name: string,
  streams: Streams,
  who: LogFields = {},
): void {
  let stream: Stream | undefined;
  let opened = false;
  // Now if the stream exists (the socket is not open yet), or when a write creates it.
  const stopWaiting = streams.whenCreated(name, (created) => {
    stream = created;
    if (opened && socket.readyState === WebSocket.OPEN) created.hub.attach(socket, who);
  });
  if (!stopWaiting) {
    socket.addEventListener("open", () => {
      socket.close(CLOSE_TRY_AGAIN_LATER, "Too many viewers waiting for streams");
    });
    return;
  }
  socket.addEventListener("open", () => {
    opened = true;
    if (stream) {
      stream.hub.attach(socket, who);
      return;
    }
    // The window and title the stream will have, so the page does not show the demo's meanwhile.
    socket.send(metaMessage(streams.view(name), INITIAL_SHAPE));
    // Shaped as a stream's own status (hub.ts), which always says where history begins.
    socket.send(JSON.stringify({ type: "status", ...waitingStatus(name), historyStart: null }));
  }, { once: true });
  socket.addEventListener("close", () => {
    stopWaiting();
    stream?.hub.detach(socket);
  });
}

/** The status a waiting viewer's page shows until the stream exists. */
function waitingStatus(name: string): SourceStatus {
  return {
    ...initialStatus(),
    state: "waiting",
    // How it would start, so the page's status line says it (the token is not for every reader).
    detail: `waiting for a first write to stream "${name}": POST or PUT lines to /s/${
      encodeURIComponent(name)
    } with the push token`,
  };
}
