/**
 * The UDP source (`--udp [HOST:]PORT`): each datagram holds one or more lines
 * in any format liveplot reads (PlotJuggler's UDP JSON is one JSON object a
 * datagram, and works as is). Loopback unless a host is given, as the
 * listener is. Past `--max-ingest-rate` lines a second, datagrams are dropped
 * whole and their lines counted as skipped, so a flood costs little.
 *
 * `node:dgram` rather than `Deno.listenDatagram`: in Deno 2 the latter still
 * needs `--unstable-net`, and liveplot runs with stable flags only. (Its
 * `setRecvBufferSize` is left alone: in Deno 2.9 a 4 MiB buffer made each
 * datagram cost about 1 ms of CPU.)
 *
 * @module
 */

import dgram from "node:dgram";
import { describeError } from "../log.ts";
import type { UdpSpec } from "./source_spec.ts";
import { LineFeed } from "./line_feed.ts";
import {
  endedWhen,
  type RunningSource,
  type SourceOptions,
  SourceStartError,
} from "./running_source.ts";

/** Why a dropped datagram's lines are counted as skipped. */
const OVER_RATE = "over --max-ingest-rate: datagram dropped";

/** Starts listening for datagrams; throws `SourceStartError` when the address cannot be bound. */
export async function startUdp(spec: UdpSpec, options: SourceOptions): Promise<RunningSource> {
  const where = `${
    spec.hostname.includes(":") ? `[${spec.hostname}]` : spec.hostname
  }:${spec.port}`;
  const socket = dgram.createSocket({ type: spec.hostname.includes(":") ? "udp6" : "udp4" });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(spec.port, spec.hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new SourceStartError(`Cannot listen for UDP on ${where}: ${describeError(error)}`);
  }
  const { hub, log } = options;
  const feed = new LineFeed(options);
  const bucket = new LineBucket(options.maxIngestRate ?? Infinity);
  let receiving = false;
  hub.report({ state: "waiting", detail: `waiting for datagrams on udp ${where}` });
  log.info("source-started", { udp: where });
  socket.on("message", (message: Uint8Array) => {
    if (!receiving) {
      receiving = true;
      hub.report({ state: "live", detail: null });
    }
    if (!bucket.take(1)) {
      feed.skip(countLines(message), new TextDecoder().decode(message.subarray(0, 200)), OVER_RATE);
      return;
    }
    const lines = feed.readMessage(message);
    // The datagram was let in on one line's credit: charge the rest of its lines.
    if (lines > 1) bucket.take(lines - 1, true);
  });
  socket.on(
    "error",
    (error) => log.warn("source-read-failed", { udp: where, error: String(error) }),
  );
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let stopped = false;
  const ended = endedWhen(closed, options, { udp: where }, () => stopped);
  return {
    ended,
    stop: async () => {
      stopped = true;
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      await ended;
    },
  };
}

/** Lines in a datagram: its newlines, plus a last line without one. */
function countLines(message: Uint8Array): number {
  let count = 0;
  for (const byte of message) if (byte === 0x0a) count++;
  return message.length > 0 && message[message.length - 1] !== 0x0a ? count + 1 : count;
}

/** A token bucket of lines: `rate` a second, a second's worth of burst. */
class LineBucket {
  readonly #rate: number;
  #tokens: number;
  #at = performance.now();

  constructor(rate: number) {
    this.#rate = rate;
    this.#tokens = rate;
  }

  /** Takes `count` tokens if there are (or, `force`d, into debt); false when there are not. */
  take(count: number, force = false): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#rate, this.#tokens + (now - this.#at) / 1000 * this.#rate);
    this.#at = now;
    if (this.#tokens < count && !force) return false;
    this.#tokens -= count;
    return true;
  }
}
