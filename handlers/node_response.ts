/**
 * A fetch `Response` written back through `node:http`: whole with a
 * `Content-Length` when its body is known or small, else streamed with
 * backpressure. The listener uses it for every answer, and for the fixed
 * answers it renders once at start, so both write the same bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ServerResponse } from "node:http";

/** Bodies up to this size are sent with `Content-Length`; larger ones are streamed. */
const BUFFER_BODY_BYTES = 1024 * 1024;

/** An answer as `node:http` writes it: status, raw header list (name, value, …), body. */
export interface WholeAnswer {
  status: number;
  headers: string[];
  body?: Buffer;
}

/** A body too large to buffer: what was read so far, and the rest to stream. */
interface StreamedAnswer {
  status: number;
  headers: string[];
  chunks: Uint8Array[];
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/**
 * Turns `answer` into what `node:http` writes: whole with a `Content-Length`
 * when its body is known or small, else the start of a stream.
 */
export async function readAnswer(
  answer: Response,
  head: boolean,
): Promise<WholeAnswer | StreamedAnswer> {
  const status = answer.status;
  const headers: string[] = [];
  for (const [name, value] of answer.headers) setRawHeader(headers, name, value);
  if (!answer.body || head) {
    // A HEAD answer says how long the GET's body would be.
    const length = answer.body ? (await answer.bytes()).byteLength : 0;
    if (!answer.headers.has("content-length") && status !== 304 && status !== 204) {
      setRawHeader(headers, "content-length", String(length));
    }
    return { status, headers };
  }
  if (answer.headers.has("content-length")) {
    // A body of known size (pages, assets, /test): read at once, no stream machinery.
    const body = Buffer.from(await answer.arrayBuffer());
    setRawHeader(headers, "content-length", String(body.byteLength));
    return { status, headers, body };
  }
  const reader = answer.body.getReader();
  // Small bodies (every page and asset) go out whole with a Content-Length.
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= BUFFER_BODY_BYTES) {
    const next = await reader.read();
    if (next.done) {
      setRawHeader(headers, "content-length", String(size));
      return { status, headers, body: Buffer.concat(chunks) };
    }
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  return { status, headers, chunks, reader };
}

/** Sets `name` in a raw header list as `setHeader` would: in its place if present, else last. */
function setRawHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}

/** Writes a whole answer; node:http leaves out the body of a HEAD answer. */
export function writeWhole(whole: WholeAnswer, response: ServerResponse): void {
  response.writeHead(whole.status, whole.headers);
  response.end(whole.body);
}

export async function writeResponse(
  answer: Response,
  response: ServerResponse,
  head: boolean,
): Promise<void> {
  const read = await readAnswer(answer, head);
  if (!("reader" in read)) return writeWhole(read, response);
  const { reader } = read;
  // No Content-Length (a known length is read whole above): node:http sends it chunked.
  response.writeHead(read.status, read.headers);
  for (const chunk of read.chunks) response.write(chunk);
  let closed = false;
  response.on("close", () => closed = true);
  while (!closed) {
    const next = await reader.read();
    if (next.done) break;
    if (!response.write(next.value)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off("drain", done);
          response.off("close", done);
          resolve();
        };
        response.on("drain", done);
        response.on("close", done);
      });
    }
  }
  if (closed) await reader.cancel().catch(() => {});
  else response.end();
}
