/**
 * `GET /test`: the seed's plain-text answer, a quick check that it is up.
 *
 * @module
 */

/** The body of `/test`, exactly as in the seed. */
export const TEST_BODY = "Yes this is a test!";

const BODY_BYTES = new TextEncoder().encode(TEST_BODY);

/** Answers `/test` with 200 `text/plain`; HEAD gets the headers alone. */
export function serveTestRoute(request: Request): Response {
  return new Response(request.method === "HEAD" ? null : BODY_BYTES, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(BODY_BYTES.length),
    },
  });
}
