/**
 * The stream's WebSocket: wire protocol v2 (README, "Protocol"), reconnects
 * with backoff. It offers the subprotocol `liveplot-f64`, so live data comes
 * as binary frames (a run per series: ID, N, N xs, N ys, little-endian
 * doubles); text data frames are lines `ID X Y\n` (the demo, a reduced
 * stream, a server that did not agree); a text frame that starts with `{` is
 * JSON (meta, status or viewer) and has no newline.
 *
 * @module
 */

/** The subprotocol that asks for binary data frames. */
export const BINARY_PROTOCOL = "liveplot-f64";

/** Delays before each reconnection attempt, in ms; the last one repeats. */
export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

/**
 * @typedef {object} Points
 * @property {string[]} ids series ids as sent
 * @property {number[]} xs
 * @property {number[]} ys
 */

/**
 * @typedef {object} Handlers
 * @property {() => void} onOpen
 * @property {(message: any) => void} onControl a parsed JSON frame
 * @property {(points: Points) => void} onPoints
 * @property {(event: CloseEvent, retryInMs: number | null) => void} onClose
 */

/**
 * Splits a data frame into points; malformed lines are ignored.
 * @param {string} text
 * @returns {Points}
 */
export function parseFrame(text) {
  /** @type {Points} */
  const points = { ids: [], xs: [], ys: [] };
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if (end < 0) break;
    const first = text.indexOf(" ", start);
    const second = first < 0 ? -1 : text.indexOf(" ", first + 1);
    if (first > start && second > first && second < end) {
      const x = Number(text.slice(first + 1, second));
      const y = Number(text.slice(second + 1, end));
      if (Number.isFinite(x) && Number.isFinite(y) && second + 1 < end && first + 1 < second) {
        points.ids.push(text.slice(start, first));
        points.xs.push(x);
        points.ys.push(y);
      }
    }
    start = end + 1;
  }
  return points;
}

/** Series ids as text, made once: the page keys its series by the id as sent. */
const idTexts = /** @type {string[]} */ ([]);

/**
 * Reads a binary data frame into points; a run that overruns the frame ends it.
 * @param {ArrayBuffer} buffer
 * @returns {Points}
 */
export function decodeFrame(buffer) {
  /** @type {Points} */
  const points = { ids: [], xs: [], ys: [] };
  const values = new Float64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
  let offset = 0;
  while (offset + 2 <= values.length) {
    const id = /** @type {number} */ (values[offset]);
    const count = /** @type {number} */ (values[offset + 1]);
    const xs = offset + 2;
    const ys = xs + count;
    if (!Number.isInteger(count) || count < 0 || ys + count > values.length) break;
    const text = id >= 0 && id < 1024 && Number.isInteger(id)
      ? idTexts[id] ?? (idTexts[id] = String(id))
      : String(id);
    for (let i = 0; i < count; i++) {
      points.ids.push(text);
      points.xs.push(/** @type {number} */ (values[xs + i]));
      points.ys.push(/** @type {number} */ (values[ys + i]));
    }
    offset = ys + count;
  }
  return points;
}

/** One stream connection that reconnects by itself when `reconnect` is set. */
export class Connection {
  /**
   * @param {string} path the socket path on this page's host
   * @param {Handlers} handlers
   * @param {{ reconnect: boolean }} options
   */
  constructor(path, handlers, options) {
    this.path = path;
    this.handlers = handlers;
    this.reconnect = options.reconnect;
    /** @type {WebSocket | null} */
    this.socket = null;
    /** "not connected" | "connecting" | "connected" | "reconnecting" | "done" | "closed (N)" */
    this.state = "not connected";
    this.attempt = 0;
    /** When the next attempt starts (ms since epoch), while reconnecting. */
    this.retryAt = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** Close code of the last drop, if any. */
    this.lastCloseCode = 0;
  }

  /** Opens (or reopens) the socket. */
  open() {
    clearTimeout(this.timer);
    const url = new URL(this.path, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, [BINARY_PROTOCOL]);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.state = this.attempt > 0 ? "reconnecting" : "connecting";
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.state = "connected";
      this.handlers.onOpen();
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      if (event.data instanceof ArrayBuffer) {
        this.handlers.onPoints(decodeFrame(event.data));
      } else if (typeof event.data !== "string") {
        return;
      } else if (event.data.startsWith("{")) {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        this.handlers.onControl(message);
      } else {
        this.handlers.onPoints(parseFrame(event.data));
      }
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.lastCloseCode = event.code;
      let retry = null;
      if (!this.reconnect && event.code === 1000) {
        this.state = "done";
      } else if (this.reconnect) {
        retry = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 8000;
        this.attempt++;
        this.state = "reconnecting";
        this.retryAt = Date.now() + retry;
        this.timer = setTimeout(() => this.open(), retry);
      } else {
        this.state = `closed (${event.code})`;
      }
      this.handlers.onClose(event, retry);
    };
  }

  /** Closes the socket for good (until `open` again). */
  close() {
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    this.attempt = 0;
    socket?.close(1000);
  }
}
