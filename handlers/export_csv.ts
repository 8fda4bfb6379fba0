/**
 * `GET …/data.csv[?from=X0&to=X1][&long]`: a stream's history as CSV,
 * streamed as the client reads it (see stream/csv_export.ts for the form).
 *
 * @module
 */

import { csvStream } from "../stream/csv_export.ts";
import { parseX, type StoredStream } from "./range.ts";
import { text } from "./router.ts";

/** Answers the CSV export; `filename` (sanitised) names the download. */
export function serveCsvExport(
  request: Request,
  stream: StoredStream,
  filename = "liveplot.csv",
): Response {
  const params = new URL(request.url).searchParams;
  const from = parseX(params, "from", stream.xKind);
  if (!from.ok) return text(400, from.reason);
  const to = parseX(params, "to", stream.xKind);
  if (!to.ok) return text(400, to.reason);
  if (from.value !== undefined && to.value !== undefined && from.value > to.value) {
    return text(400, `Bad range: "from" (${from.value}) is after "to" (${to.value})`);
  }
  const long = params.has("long") && params.get("long") !== "0" && params.get("long") !== "false";
  const safeName = filename.replace(/[^A-Za-z0-9._-]/g, "_") || "liveplot.csv";
  const body = request.method === "HEAD" ? null : csvStream({
    history: stream.history,
    names: stream.names,
    xKind: stream.xKind,
    long,
    from: from.value,
    to: to.value,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="${safeName}"`,
      "cache-control": "no-store",
    },
  });
}
