/**
 * `GET /data.csv` and `GET /s/NAME.csv[?from=X0&to=X1][&long]`: a stream's
 * history as CSV, streamed as the client reads it (see stream/csv_export.ts
 * for the form). At most `MAX_CSV_EXPORTS` run at once, half of them from
 * one address (slots.ts); past that the answer is 503 with `Retry-After`.
 * Each export is made a chunk at a time only when the client takes the
 * previous one, so a client that stops reading holds one chunk, not the
 * history.
 *
 * @module
 */

import { csvStream } from "../stream/csv_export.ts";
import { parseX, type StoredStream } from "./range.ts";
import { text } from "./respond.ts";
import { Slots } from "./slots.ts";

/**
 * Exports running at once. Each walks the whole history and may pin chunks
 * the window has let go of; a handful covers a person downloading while a
 * script does too, and bounds what a crowd of slow readers can hold.
 */
export const MAX_CSV_EXPORTS = 4;
/** Seconds a client past `MAX_CSV_EXPORTS` is asked to wait. */
export const CSV_RETRY_AFTER_SECONDS = 5;

/**
 * Answers a stream's CSV export to a client at `address`; `filename`
 * (sanitised) names the download.
 */
export type CsvExportRoute = (
  request: Request,
  stream: StoredStream,
  filename: string,
  address: string,
) => Response;

/** Builds the CSV route; its slots are shared by every stream. */
export function createCsvExportRoute(maxExports = MAX_CSV_EXPORTS): CsvExportRoute {
  const slots = new Slots(maxExports);
  return (request, stream, filename, address) => {
    const params = new URL(request.url).searchParams;
    const from = parseX(params, "from", stream.xKind);
    if (!from.ok) return text(400, from.reason);
    const to = parseX(params, "to", stream.xKind);
    if (!to.ok) return text(400, to.reason);
    if (from.value !== undefined && to.value !== undefined && from.value > to.value) {
      return text(400, `Bad range: "from" (${from.value}) is after "to" (${to.value})`);
    }
    const headers = {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="${safeFilename(filename)}"`,
      "cache-control": "no-store",
    };
    if (request.method === "HEAD") return new Response(null, { headers });
    const slot = slots.take(address);
    if (typeof slot === "string") {
      return text(503, slots.reason(slot, "CSV exports"), {
        "retry-after": String(CSV_RETRY_AFTER_SECONDS),
      });
    }
    const long = params.has("long") && params.get("long") !== "0" &&
      params.get("long") !== "false";
    const body = csvStream({
      history: stream.history,
      names: stream.names,
      xKind: stream.xKind,
      long,
      from: from.value,
      to: to.value,
      onEnd: slot.release,
    });
    return new Response(body, { headers });
  };
}

function safeFilename(filename: string): string {
  return filename.replace(/[^A-Za-z0-9._-]/g, "_") || "liveplot.csv";
}
