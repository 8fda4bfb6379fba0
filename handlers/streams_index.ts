/**
 * `GET /s/`: the streams this process serves, with their series and rates,
 * as JSON for `Accept: application/json`, else the page static/streams.html,
 * which fetches that JSON and shows it. The registry supplies the figures
 * through `StreamDirectory`.
 *
 * @module
 */

import type { StreamSummary } from "../stream/registry.ts";
import indexPage from "../static/streams.html" with { type: "text" };

/** What the index needs of the registry (`{ list: () => streams.summaries() }`). */
export interface StreamDirectory {
  /** Every stream served, in any order (the index sorts them by name, naturally). */
  list(): StreamSummary[];
}

/** Answers `GET /s/` (and `HEAD`). */
export function serveStreamsIndex(request: Request, directory: StreamDirectory): Response {
  const streams = directory.list().sort((a, b) => naturalCompare(a.name, b.name));
  const wantsJson = /\bapplication\/json\b/.test(request.headers.get("accept") ?? "");
  const body = wantsJson ? JSON.stringify({ streams: streams.map(rounded) }) + "\n" : indexPage;
  return new Response(request.method === "HEAD" ? null : body, {
    headers: {
      "content-type": wantsJson ? "application/json" : "text/html; charset=utf-8",
      "cache-control": "no-store",
      vary: "accept",
    },
  });
}

/**
 * Names in natural order: runs of digits compare as numbers (`multi2` before `multi10`),
 * the rest by code unit; names equal so (`a01`, `a1`) by code unit.
 */
export function naturalCompare(a: string, b: string): number {
  const left = a.match(/\d+|\D+/g) ?? [];
  const right = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    let [x, y] = [left[i]!, right[i]!];
    if (/^\d/.test(x) && /^\d/.test(y)) {
      // As numbers, however long: without leading zeros, the longer is the greater.
      [x, y] = [x.replace(/^0+(?=\d)/, ""), y.replace(/^0+(?=\d)/, "")];
      if (x.length !== y.length) return x.length - y.length;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
}

function rounded(stream: StreamSummary): StreamSummary {
  return { ...stream, pointsPerSecond: Math.round(stream.pointsPerSecond * 10) / 10 };
}
