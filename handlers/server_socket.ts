/**
 * A server-side WebSocket that can always be taken down: the browser's
 * `WebSocket` interface (what the hub and the route handlers use) over a
 * `ws` socket on a `node:net` connection, which `terminate()` destroys.
 *
 * Why not `Deno.upgradeWebSocket`: Deno 2.9 writes every frame from a task
 * that holds the socket until the kernel takes the bytes. When a peer stops
 * reading and its TCP window closes, those writes never finish, and neither
 * `close()`, the idle timeout (its ping waits behind them) nor `Deno.serve`'s
 * shutdown can drop the connection: slot, file descriptor and every queued
 * byte stay until the peer goes away (denoland/deno#36337; measured in
 * README's "Limits").
 *
 * Here a socket that does not answer a ping within `pingIntervalMs` is
 * closed with 1001, and any close that has not completed within the close
 * grace ends with the TCP connection destroyed, freeing what was queued.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";

/** The part of a `ws` socket used here (the package ships no types of its own). */
export interface WsSocket {
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** The subprotocol agreed in the handshake, or "". */
  readonly protocol: string;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "pong", listener: () => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "close", listener: (code: number, reason: Buffer) => void): void;
  send(data: Buffer, options?: { binary?: boolean }): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** The part of a `ws` server used here: the handshake on a socket node:http handed over. */
export interface WsServer {
  handleUpgrade(
    message: IncomingMessage,
    socket: Socket,
    head: Buffer,
    done: (ws: WsSocket) => void,
  ): void;
}

/** A handshake-only `ws` server: no listener, no client list, no compression. */
export function createWsServer(maxMessageBytes: number): WsServer {
  // ws checks each frame's length from its header: an oversized message is
  // refused with 1009 before it is read, so it costs no memory.
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: maxMessageBytes,
    perMessageDeflate: false,
  }) as WsServer;
}

/** Close code when a peer does not answer pings (RFC 6455 "going away"). */
export const CLOSE_NO_PONG = 1001;
const NO_PONG = "No response from ping frame.";
/** The longest a close handshake may take before the connection is destroyed. */
export const CLOSE_GRACE_MAX_MS = 5000;

/** How a socket keeps itself bounded. */
export interface ServerSocketOptions {
  /** The connection under `ws`: reset (RST) on terminate, so the kernel keeps nothing either. */
  connection?: {
    resetAndDestroy?(): unknown;
    pause?(): unknown;
    write?(data: Uint8Array): unknown;
  };
  /** Ping every this many ms; a socket that missed the last pong is closed. 0 = never. */
  pingIntervalMs: number;
  /** The request's URL, reported as the socket's `url`. */
  url: string;
}

// The hub sends one message to every viewer: frame it once (header and
// payload in one buffer) and write the same bytes to each connection. A few
// recent messages are kept, as a flush may send meta, data and status. They
// are found by identity (`===` on the same string or array is a pointer
// check), not by hashing: hashing a fresh 30 KiB frame costs as much as
// encoding it.
const RECENT_FRAMES = 4;
const recentMessages: (string | Uint8Array)[] = [];
const recentFrames: Buffer[] = [];

/** `message` as one unmasked, final WebSocket frame: text for a string, else binary. */
function framed(message: string | Uint8Array): Buffer {
  for (let i = 0; i < recentMessages.length; i++) {
    if (recentMessages[i] === message) return recentFrames[i] as Buffer;
  }
  const text = typeof message === "string";
  const length = text ? Buffer.byteLength(message) : message.byteLength;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = text ? 0x81 : 0x82;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length % 2 ** 32, 6);
  }
  if (text) frame.write(message, header, "utf8");
  else frame.set(message, header);
  recentMessages.unshift(message);
  recentFrames.unshift(frame);
  if (recentMessages.length > RECENT_FRAMES) {
    recentMessages.pop();
    recentFrames.pop();
  }
  return frame;
}

/** The subset of the DOM `WebSocket` the server uses, over a `ws` socket. */
export class ServerSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readonly url: string;
  readonly protocol: string;
  readonly extensions = "";
  binaryType: BinaryType = "arraybuffer";
  readonly #ws: WsSocket;
  readonly #connection: ServerSocketOptions["connection"];
  readonly #pingIntervalMs: number;
  #state = 0;
  #answered = true;
  /** Open sockets by ping interval, each interval with its one timer. */
  static readonly #sweeps = new Map<
    number,
    { timer: ReturnType<typeof setInterval>; sockets: Set<ServerSocket> }
  >();
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The `on…` handlers set, made on first use: most sockets never set one. */
  #handlers: Map<string, EventListener> | undefined;
  /** Messages read before the open event, made on first use. */
  #early: MessageEvent[] | undefined;

  constructor(ws: WsSocket, options: ServerSocketOptions) {
    super();
    this.#ws = ws;
    this.#connection = options.connection;
    this.url = options.url;
    this.protocol = ws.protocol;
    this.#pingIntervalMs = options.pingIntervalMs;
    ws.binaryType = "nodebuffer";
    ws.on("message", (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("pong", () => this.#answered = true);
    ws.on("error", (error: Error) => {
      this.dispatchEvent(new ErrorEvent("error", { error, message: error.message }));
    });
    ws.on("close", (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    // Open on the next microtask, as a browser does: handlers attach first. Messages
    // that ws reads before then (sent right after the handshake) wait for the open event.
    queueMicrotask(() => {
      if (this.#state !== ServerSocket.CONNECTING) return;
      this.#state = ServerSocket.OPEN;
      this.#startPings();
      this.dispatchEvent(new Event("open"));
      const early = this.#early ?? [];
      this.#early = undefined;
      for (const event of early) {
        if (this.#state === ServerSocket.OPEN) this.dispatchEvent(event);
      }
    });
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    return this.#state;
  }

  /** Bytes given to `send` and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#state === ServerSocket.OPEN ? this.#ws.bufferedAmount : 0;
  }

  /** Queues a text or binary message; does nothing once closing. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#state === ServerSocket.CONNECTING) {
      throw new DOMException("'readyState' not OPEN", "InvalidStateError");
    }
    if (this.#state !== ServerSocket.OPEN) return;
    const connection = this.#connection;
    if (
      (typeof data === "string" || data instanceof Uint8Array) && connection?.write &&
      this.#ws.readyState === ServerSocket.OPEN
    ) {
      // The frame ws would build, built once for every viewer: ws writes straight to the
      // same connection (no compression, no queue of its own), so order and
      // `bufferedAmount` stay its own. Once ws is closing, it sends and refuses as before.
      connection.write(framed(data));
    } else if (typeof data === "string") {
      this.#ws.send(Buffer.from(data), { binary: false });
    } else if (data instanceof Blob) {
      data.arrayBuffer().then((bytes) => this.send(bytes), () => {});
    } else if (ArrayBuffer.isView(data)) {
      this.#ws.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    } else {
      this.#ws.send(Buffer.from(data));
    }
  }

  /**
   * Starts the closing handshake; if it has not completed within the grace
   * (a peer that does not read never sees the close frame), the connection
   * is destroyed.
   */
  close(code?: number, reason?: string): void {
    if (this.#state === ServerSocket.CLOSING || this.#state === ServerSocket.CLOSED) return;
    this.#state = ServerSocket.CLOSING;
    this.#stopPings();
    this.#ws.close(code, reason);
    // A peer dropped for not reading (1008, 1013) or not answering (1001 here) will not
    // answer the close either: stop reading what it still sends, so its window closes.
    if (code === 1008 || code === 1013 || code === CLOSE_NO_PONG && reason === NO_PONG) {
      this.#connection?.pause?.();
    }
    this.#closeTimer = setTimeout(() => this.terminate(), closeGraceMs(this.#pingIntervalMs));
  }

  /**
   * Destroys the connection now: no close frame, every queued byte freed.
   * A reset rather than a FIN, or the kernel would go on offering the unsent
   * bytes to a peer that does not read them.
   */
  terminate(): void {
    if (typeof this.#connection?.resetAndDestroy === "function") {
      this.#connection.resetAndDestroy();
    } else this.#ws.terminate();
  }

  /** True once `close` was called or the peer left. */
  get closing(): boolean {
    return this.#state >= ServerSocket.CLOSING;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    // As in browsers: once closing, messages are dropped unread.
    if (this.#state !== ServerSocket.OPEN && this.#state !== ServerSocket.CONNECTING) return;
    let payload: string | ArrayBuffer | Blob;
    if (!isBinary) payload = data.toString("utf8");
    else {
      payload = ownBuffer(data);
      if (this.binaryType === "blob") payload = new Blob([payload]);
    }
    const event = new MessageEvent("message", { data: payload, origin: this.url });
    if (this.#state === ServerSocket.CONNECTING) (this.#early ??= []).push(event);
    else this.dispatchEvent(event);
  }

  #onClose(code: number, reason: string): void {
    if (this.#state === ServerSocket.CLOSED) return;
    this.#state = ServerSocket.CLOSED;
    this.#stopPings();
    clearTimeout(this.#closeTimer);
    this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean: code !== 1006 }));
  }

  /**
   * Joins the sweep of its ping interval: one timer pings every socket of
   * that interval (a timer a socket costs about 0.8 KiB each). A socket
   * that joined just before a tick is pinged then; either way it is closed
   * at the first tick after a ping it did not answer, within two intervals.
   */
  #startPings(): void {
    const interval = this.#pingIntervalMs;
    if (interval <= 0) return;
    let sweep = ServerSocket.#sweeps.get(interval);
    if (!sweep) {
      const sockets = new Set<ServerSocket>();
      const timer = setInterval(() => {
        for (const socket of sockets) socket.#ping();
      }, interval);
      sweep = { timer, sockets };
      ServerSocket.#sweeps.set(interval, sweep);
    }
    sweep.sockets.add(this);
  }

  #stopPings(): void {
    const interval = this.#pingIntervalMs;
    const sweep = ServerSocket.#sweeps.get(interval);
    if (!sweep?.sockets.delete(this) || sweep.sockets.size > 0) return;
    clearInterval(sweep.timer);
    ServerSocket.#sweeps.delete(interval);
  }

  #ping(): void {
    if (!this.#answered) {
      this.dispatchEvent(new ErrorEvent("error", { message: NO_PONG }));
      this.close(CLOSE_NO_PONG, NO_PONG);
      return;
    }
    this.#answered = false;
    this.#ws.ping();
  }

  // The `on…` properties, as a DOM WebSocket has them.
  get onopen(): EventListener | null {
    return this.#handlers?.get("open") ?? null;
  }
  set onopen(handler: EventListener | null) {
    this.#setHandler("open", handler);
  }
  get onmessage(): EventListener | null {
    return this.#handlers?.get("message") ?? null;
  }
  set onmessage(handler: EventListener | null) {
    this.#setHandler("message", handler);
  }
  get onclose(): EventListener | null {
    return this.#handlers?.get("close") ?? null;
  }
  set onclose(handler: EventListener | null) {
    this.#setHandler("close", handler);
  }
  get onerror(): EventListener | null {
    return this.#handlers?.get("error") ?? null;
  }
  set onerror(handler: EventListener | null) {
    this.#setHandler("error", handler);
  }

  #setHandler(type: string, handler: EventListener | null): void {
    const handlers = this.#handlers ??= new Map();
    const previous = handlers.get(type);
    if (previous) this.removeEventListener(type, previous);
    handlers.delete(type);
    if (typeof handler !== "function") return;
    handlers.set(type, handler);
    this.addEventListener(type, handler);
  }
}

/** How long a close may take: as long as a ping may, and never over 5 s. */
export function closeGraceMs(pingIntervalMs: number): number {
  return pingIntervalMs > 0 ? Math.min(pingIntervalMs, CLOSE_GRACE_MAX_MS) : CLOSE_GRACE_MAX_MS;
}

/** The bytes of `data` as an ArrayBuffer of their own, copied only when shared with others. */
function ownBuffer(data: Buffer): ArrayBuffer {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  if (whole && data.buffer instanceof ArrayBuffer) return data.buffer;
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy.buffer;
}
