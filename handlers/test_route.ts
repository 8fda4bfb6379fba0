/**
 * `GET /test`: the seed's plain-text answer, a quick check that it is up.
 * This route is the one benchmarks and health checks hit: its answer is the
 * one without the security headers (respond.ts `probeAnswers` says why), so
 * Deno sends it on its fast path.
 *
 * @module
 */

import { probeAnswers } from "./respond.ts";

/** The body of `/test`, exactly as in the seed. */
export const TEST_BODY = "Yes this is a test!";

const { get, head } = probeAnswers(TEST_BODY);

/** Answers `/test` with 200 `text/plain`; HEAD gets the headers alone. */
export function serveTestRoute(request: Request): Response {
  return request.method === "HEAD" ? head() : get();
}
