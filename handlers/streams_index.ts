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
  /** Every stream served, in any order (the index sorts them by name). */
  list(): StreamSummary[];
}

/** Answers `GET /s/` (and `HEAD`). */
export function serveStreamsIndex(request: Request, directory: StreamDirectory): Response {
  const streams = directory.list().sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
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

function rounded(stream: StreamSummary): StreamSummary {
  return { ...stream, pointsPerSecond: Math.round(stream.pointsPerSecond * 10) / 10 };
}
