/**
 * `GET /s/`: the streams this process serves, with their series and rates,
 * as a plain HTML list, or as JSON for `Accept: application/json`. The
 * registry supplies the figures through `StreamDirectory`.
 *
 * @module
 */

import type { StreamSummary } from "../stream/registry.ts";

/** What the index needs of the registry (`{ list: () => streams.summaries() }`). */
export interface StreamDirectory {
  /** Every stream served, in any order (the index sorts them by name). */
  list(): StreamSummary[];
}

/** Answers `GET /s/` (and `HEAD`). */
export function serveStreamsIndex(request: Request, directory: StreamDirectory): Response {
  const streams = directory.list().sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const wantsJson = /\bapplication\/json\b/.test(request.headers.get("accept") ?? "");
  const body = wantsJson ? JSON.stringify({ streams: streams.map(rounded) }) + "\n" : html(streams);
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

function html(streams: readonly StreamSummary[]): string {
  const rows = streams.map((stream) => {
    const last = stream.lastPointAt === null
      ? "never"
      : new Date(stream.lastPointAt * 1000).toISOString().replace("T", " ").slice(0, 19) + "Z";
    return `      <tr><td><a href="/s/${encodeURIComponent(stream.name)}">${
      escape(stream.name)
    }</a></td>` +
      `<td>${escape(stream.series.join(", "))}</td>` +
      `<td>${rounded(stream).pointsPerSecond}</td><td>${stream.viewers}</td>` +
      `<td>${stream.writers}</td><td>${last}</td></tr>`;
  });
  const table = streams.length === 0
    ? "    <p>No streams yet. Push one with <code>curl</code>.</p>"
    : [
      "    <table>",
      "      <tr><th>Stream</th><th>Series</th><th>Points/s</th><th>Viewers</th>" +
      "<th>Writers</th><th>Last point</th></tr>",
      ...rows,
      "    </table>",
    ].join("\n");
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>liveplot streams</title>
    <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/static/style.css">
  </head>
  <body>
    <h3>Streams (${streams.length})</h3>
${table}
  </body>
</html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
