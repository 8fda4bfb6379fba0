/**
 * `GET /test`: the seed's plain-text answer, a quick check that it is up.
 * Both answers are built once (respond.ts `fixedAnswer`): this route is the
 * one benchmarks hit, and it costs a copy, not a `Response` built and checked.
 *
 * @module
 */

import { fixedAnswer } from "./respond.ts";

/** The body of `/test`, exactly as in the seed. */
export const TEST_BODY = "Yes this is a test!";

const BODY_BYTES = new TextEncoder().encode(TEST_BODY);
const CONTENT_TYPE = { "content-type": "text/plain; charset=utf-8" };
// Deno writes a body's Content-Length itself; HEAD, which has none, says it.
const get = fixedAnswer(BODY_BYTES, CONTENT_TYPE);
const head = fixedAnswer(null, { ...CONTENT_TYPE, "content-length": String(BODY_BYTES.length) });

/** Answers `/test` with 200 `text/plain`; HEAD gets the headers alone. */
export function serveTestRoute(request: Request): Response {
  return request.method === "HEAD" ? head() : get();
}
