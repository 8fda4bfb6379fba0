/**
 * The stream's WebSocket: wire protocol v2 (README, "Protocol"), reconnects
 * with backoff. Data frames are lines `ID X Y\n`; a frame that starts with
 * `{` is JSON (meta, status or viewer) and has no newline.
 *
 * @module
 */

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
    const socket = new WebSocket(url);
    this.socket = socket;
    this.state = this.attempt > 0 ? "reconnecting" : "connecting";
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.state = "connected";
      this.handlers.onOpen();
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket || typeof event.data !== "string") return;
      if (event.data.startsWith("{")) {
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
