/**
 * Raw TCP for the tests: an HTTP exchange written byte by byte, and a
 * WebSocket spoken by hand, for peers that misbehave on purpose (bad
 * frames, a client that never reads, a half-sent upgrade): input a
 * WebSocket library would refuse to send. Every wait has a timeout that
 * names what it waited for.
 *
 * @module
 */

import { withTimeout } from "./helpers.ts";

/** Sends raw bytes over TCP and returns everything read until close, a full answer or the timeout. */
export async function rawExchange(
  port: number,
  request: string | Uint8Array,
  timeoutMs = 3000,
): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const close = () => {
    if (!closed) connection.close();
    closed = true;
  };
  const timer = setTimeout(close, timeoutMs);
  let text = "";
  try {
    await connection.write(
      typeof request === "string" ? new TextEncoder().encode(request) : request,
    );
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    while (!isCompleteResponse(text)) {
      const read = await connection.read(buffer);
      if (read === null) break;
      text += decoder.decode(buffer.subarray(0, read), { stream: true });
    }
  } catch (error) {
    // Closed by the timeout, or reset by the server: what was read stands.
    if (!closed && !(error instanceof Deno.errors.ConnectionReset)) throw error;
  } finally {
    clearTimeout(timer);
    close();
  }
  return text;
}

function isCompleteResponse(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const length = /content-length: (\d+)/i.exec(text.slice(0, end));
  return !length || text.length - end - 4 >= Number(length[1]);
}

/** Headers of a valid WebSocket upgrade to `path`, for raw requests. */
export function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  };
}

/** A WebSocket spoken by hand over TCP: for peers that misbehave on purpose. */
export interface RawSocket extends Disposable {
  connection: Deno.TcpConn;
  /** Sends one frame, masked as a client must unless `masked` is false. */
  send(
    opcode: number,
    payload: Uint8Array,
    options?: { masked?: boolean; fin?: boolean },
  ): Promise<void>;
  /**
   * Reads frames until a close frame, or until a text frame `until` accepts; returns what came
   * before (the text frames only when `until` is given).
   */
  readUntilClose(
    timeoutMs: number,
    until?: (text: string) => boolean,
  ): Promise<{ code: number | undefined; frames: number; bytes: number; texts: string[] }>;
}

/** Opens a WebSocket by hand: sends the upgrade, checks for 101, leaves the rest to the test. */
export async function openRawSocket(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawSocket> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = Object.entries({ host: `127.0.0.1:${port}`, ...upgradeHeaders(headers) })
    .map(([name, value]) => `${name}: ${value}\r\n`).join("");
  await connection.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\n${lines}\r\n`));
  let pending: Uint8Array = new Uint8Array(0);
  const buffer = new Uint8Array(256 * 1024);
  const read = async (): Promise<boolean> => {
    const count = await connection.read(buffer);
    if (count === null) return false;
    const joined = new Uint8Array(pending.length + count);
    joined.set(pending);
    joined.set(buffer.subarray(0, count), pending.length);
    pending = joined;
    return true;
  };
  const headEnd = () => new TextDecoder().decode(pending).indexOf("\r\n\r\n");
  while (headEnd() === -1) {
    if (!(await withTimeout(read(), 5000, "the upgrade answer"))) {
      throw new Error("closed during upgrade");
    }
  }
  const head = new TextDecoder().decode(pending.subarray(0, headEnd()));
  if (!head.startsWith("HTTP/1.1 101")) {
    throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`);
  }
  pending = pending.subarray(headEnd() + 4);

  return {
    connection,
    async send(opcode, payload, { masked = true, fin = true } = {}) {
      const length = payload.length;
      const header = length < 126 ? [length] : length < 65536 ? [126, length >> 8, length & 255] : [
        127,
        ...new Array(4).fill(0),
        (length >>> 24) & 255,
        (length >> 16) & 255,
        (length >> 8) & 255,
        length & 255,
      ];
      const first = (fin ? 0x80 : 0) | opcode;
      const mask = masked ? crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(0);
      const frame = new Uint8Array(1 + header.length + mask.length + length);
      frame[0] = first;
      frame.set(header, 1);
      frame[1] = (frame[1] as number) | (masked ? 0x80 : 0);
      frame.set(mask, 1 + header.length);
      const body = frame.subarray(1 + header.length + mask.length);
      for (let i = 0; i < length; i++) {
        body[i] = (payload[i] as number) ^ (masked ? mask[i % 4] as number : 0);
      }
      for (let offset = 0; offset < frame.length;) {
        offset += await connection.write(frame.subarray(offset));
      }
    },
    readUntilClose(timeoutMs, until) {
      return withTimeout(
        (async () => {
          let frames = 0;
          let bytes = 0;
          const texts: string[] = [];
          for (;;) {
            while (pending.length >= 2) {
              const opcode = (pending[0] as number) & 0x0f;
              let length = (pending[1] as number) & 0x7f;
              let offset = 2;
              if (length === 126) {
                if (pending.length < 4) break;
                length = ((pending[2] as number) << 8) | (pending[3] as number);
                offset = 4;
              } else if (length === 127) {
                if (pending.length < 10) break;
                length = Number(
                  new DataView(pending.buffer, pending.byteOffset + 2, 8).getBigUint64(0),
                );
                offset = 10;
              }
              if (pending.length < offset + length) break;
              const payload = pending.subarray(offset, offset + length);
              pending = pending.subarray(offset + length);
              if (opcode === 0x8) {
                const code = payload.length >= 2
                  ? ((payload[0] as number) << 8) | (payload[1] as number)
                  : undefined;
                return { code, frames, bytes, texts };
              }
              frames++;
              bytes += length;
              // Text is kept only for a caller that looks for it.
              if (opcode === 0x1 && until) {
                texts.push(new TextDecoder().decode(payload));
                if (until(texts.at(-1)!)) return { code: undefined, frames, bytes, texts };
              }
            }
            if (!(await read())) return { code: undefined, frames, bytes, texts };
          }
        })(),
        timeoutMs,
        "a close frame",
      );
    },
    [Symbol.dispose]() {
      try {
        connection.close();
      } catch {
        // Closed already.
      }
    },
  };
}

/** How a raw socket's connection ended, told apart: a close frame, EOF, a reset or nothing in time. */
export type CloseOutcome =
  | { kind: "close"; code: number | undefined; frames: number }
  | { kind: "eof"; frames: number }
  | { kind: "reset" }
  | { kind: "timeout" };

/** Reads `raw` until its close frame, EOF or reset; a timeout is reported, never read as a drop. */
export async function closeOutcome(raw: RawSocket, timeoutMs: number): Promise<CloseOutcome> {
  let timedOut = false;
  try {
    const { code, frames } = await raw.readUntilClose(timeoutMs).catch((error) => {
      if (error instanceof Error && error.message.startsWith("Timed out")) timedOut = true;
      throw error;
    });
    // readUntilClose reports EOF as a close without a code; a close frame always has one here.
    return code === undefined ? { kind: "eof", frames } : { kind: "close", code, frames };
  } catch (error) {
    if (timedOut) return { kind: "timeout" };
    if (error instanceof Deno.errors.ConnectionReset) return { kind: "reset" };
    if (error instanceof Deno.errors.BrokenPipe) return { kind: "reset" };
    throw error;
  }
}
