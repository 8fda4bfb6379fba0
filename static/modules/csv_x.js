/**
 * The x cells of a CSV, written alike by the page's CSV button and the
 * server's `/data.csv`: the same x gives the same digits in both files.
 *
 * @module
 */

/** Seconds past which a Date cannot hold a time (±100 million days). */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * Writes x cells of a CSV: time x as
 * ISO 8601 UTC with milliseconds, or microseconds when they are not zero (past
 * a Date's range, the number); other x as the number. The date part is reused
 * within a second. The one formatter of both CSVs: the page's button
 * (export.js) and the server's export (stream/csv_export.ts).
 * @param {string} kind
 * @returns {(x: number) => string}
 */
export function csvXFormatter(kind) {
  if (kind !== "time") return String;
  let cachedSecond = NaN;
  let cachedPrefix = "";
  return (seconds) => {
    let whole = Math.floor(seconds);
    let micros = Math.round((seconds - whole) * 1e6);
    if (micros === 1e6) {
      whole++;
      micros = 0;
    }
    if (whole !== cachedSecond) {
      if (!(Math.abs(whole) <= MAX_DATE_SECONDS)) return String(seconds);
      cachedSecond = whole;
      cachedPrefix = new Date(whole * 1000).toISOString().slice(0, -5);
    }
    const fraction = micros % 1000 === 0
      ? String(micros / 1000).padStart(3, "0")
      : String(micros).padStart(6, "0");
    return `${cachedPrefix}.${fraction}Z`;
  };
}
