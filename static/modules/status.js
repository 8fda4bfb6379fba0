/**
 * The status line and the hint over an empty chart, as functions of the
 * page's state (no DOM): what the connection and the source are doing,
 * points held and arriving, lines skipped (clipped around their cause),
 * history, and why nothing is plotted yet.
 *
 * @module
 */

import { formatClock, formatRate, plural } from "./format.js";

/** Points per second are counted over this many seconds of live frames. */
export const RATE_WINDOW_MS = 30_000;
/** With no points for this long the page stops showing a rate; a later batch starts a new run. */
export const RATE_IDLE_MS = 5_000;
/** A run of live batches is this old before its rate is shown. */
export const RATE_SETTLE_MS = 2_000;
/** A skipped line is shown up to this many characters. */
export const CLIP_CHARS = 60;

/**
 * @typedef {object} SourceStatus the server's status message (stream/source_status.ts `SourceStatus`)
 * @property {"live" | "connecting" | "waiting" | "ended"} [state]
 * @property {string | null} [detail]
 * @property {number | null} [exitCode]
 * @property {string[]} [stderr]
 * @property {number} [skipped]
 * @property {number} [headers] lines read as a header (names, no numbers)
 * @property {number} [truncated]
 * @property {number} [refused]
 * @property {{ line: string, reason: string }[]} [recentSkipped]
 * @property {"connected" | "waiting" | null} [store]
 * @property {number} [gaps] times the data store lost points (restarted without its data)
 */

/**
 * @typedef {object} StatusModel
 * @property {boolean} demo
 * @property {{ state: string, socket: boolean, retryAt: number, lastCloseCode: number }} connection
 * @property {number} now Date.now()
 * @property {number} points points held (received, for the demo)
 * @property {number | null} rate points per second, null when not arriving
 * @property {SourceStatus | null} source
 * @property {boolean} reduced the server sends only the latest values
 * @property {number | null} historyStart
 * @property {string} xKind
 * @property {boolean} paused
 * @property {boolean} following
 */

/**
 * The status line's text.
 * @param {StatusModel} model
 * @returns {string}
 */
export function statusText(model) {
  const { connection, source } = model;
  // The demo waits for its button: "not connected · 0 points" read as a fault.
  if (model.demo && connection.state === "not connected") return "press Start Plot";
  const parts = [];
  if (connection.state === "reconnecting") {
    const seconds = Math.max(0, Math.ceil((connection.retryAt - model.now) / 1000));
    const why = connection.lastCloseCode === 1013 ? "dropped for being slow, " : "";
    parts.push(
      connection.socket ? `${why}reconnecting` : `${why}reconnecting, next try in ${seconds}s`,
    );
  } else {
    parts.push(connection.state);
  }
  if (source?.state === "connecting" || source?.state === "waiting") {
    parts.push(source.detail || `source ${source.state}`);
  }
  // With --redis: the store is every process's way to its points, so its outage is said.
  if (source?.store === "waiting") parts.push("reconnecting to the data store");
  parts.push(plural(model.points, "point"));
  if (connection.state === "connected" && model.rate !== null && source?.state !== "ended") {
    parts.push(`${formatRate(model.rate)} points/s`);
  }
  const skipped = source?.skipped ?? 0;
  if (skipped > 0) {
    const last = source?.recentSkipped?.at(-1);
    parts.push(
      `${plural(skipped, "line")} skipped` +
        (last
          ? ` (last: ${JSON.stringify(clipAround(last.line, last.reason))}: ${last.reason})`
          : ""),
    );
  }
  if ((source?.truncated ?? 0) > 0) {
    parts.push(`${plural(source?.truncated ?? 0, "line")} too long`);
  }
  if ((source?.refused ?? 0) > 0) parts.push(`${plural(source?.refused ?? 0, "point")} refused`);
  const gaps = source?.gaps ?? 0;
  if (gaps > 0) parts.push(`${plural(gaps, "gap")}: the data store restarted without its data`);
  if (source?.state === "ended") {
    const code = source.exitCode;
    parts.push(
      code === null || code === undefined ? "source ended" : `source ended, exit code ${code}`,
    );
  }
  if (model.reduced) parts.push("catching up: latest values only");
  const start = model.historyStart;
  if (start !== null && Number.isFinite(start) && !model.demo) {
    if (model.xKind === "time") parts.push(`history from ${formatClock(start)}`);
    else if (start > 0) parts.push(`history from x = ${start}`);
  }
  if (model.paused) parts.push("paused");
  else if (!model.following && !model.demo) parts.push("zoomed");
  return parts.join(" · ");
}

/**
 * What a screen reader is told (the visually hidden live region): the
 * connection's and the source's state alone, so it changes when a state
 * does, never with the counters, the rate or a reconnect countdown ("" at
 * first, before anything happened).
 * @param {StatusModel} model
 * @returns {string}
 */
export function announceText(model) {
  const { connection, source } = model;
  if (connection.state === "not connected") return "";
  const parts = [];
  if (connection.state === "reconnecting") {
    parts.push(
      connection.lastCloseCode === 1013 ? "dropped for being slow, reconnecting" : "reconnecting",
    );
  } else {
    parts.push(connection.state);
  }
  if (source?.state === "connecting" || source?.state === "waiting") {
    parts.push(source.detail || `source ${source.state}`);
  }
  if (source?.store === "waiting") parts.push("reconnecting to the data store");
  if (source?.state === "ended") {
    const code = source.exitCode;
    parts.push(
      code === null || code === undefined ? "source ended" : `source ended, exit code ${code}`,
    );
  }
  return parts.join("; ");
}

/**
 * Why nothing is plotted yet ("" when something is, or the page is still joining).
 * @param {StatusModel & { joining: boolean, otherStreams: number }} model
 *   otherStreams: how many other streams this process serves (0 when unknown)
 * @returns {string}
 */
export function hintText(model) {
  const { source } = model;
  if (model.demo || model.points > 0 || model.connection.state !== "connected" || model.joining) {
    return "";
  }
  const example = source?.recentSkipped?.at(-1);
  if (example) {
    return `Nothing plotted yet: ${plural(source?.skipped ?? 0, "line")} skipped, for example ${
      JSON.stringify(clipAround(example.line, example.reason))
    } (${example.reason}).`;
  }
  const headers = source?.headers ?? 0;
  const worded = `${plural(headers, "line")} read as a header (names, not numbers)`;
  if (source?.state === "ended") {
    // Every line a header: say so, as the log's format-no-data line does.
    return headers > 0
      ? `Nothing plotted: the source ended after ${worded} and none with numbers. liveplot ` +
        "plots lines of numbers (docs/formats.md)."
      : "Nothing plotted: the source ended without a line of numbers.";
  }
  // Header lines say what this stream got, and outrank a writer that finished after them.
  if ((source?.state === "connecting" || source?.state === "waiting") && headers === 0) {
    return `Nothing plotted yet: ${source.detail || `the source is ${source.state}`}.`;
  }
  // Header lines say what this stream got: before the other streams, which it has none of.
  if (headers > 0) {
    return `Nothing plotted yet: ${worded}, and none with numbers since. liveplot plots lines ` +
      "of numbers (docs/formats.md).";
  }
  if (model.otherStreams > 0 || (source?.store ?? null) !== null) {
    return "Nothing on this stream yet. The streams this server has:";
  }
  return "Nothing plotted yet: waiting for the first line of numbers. A program writing to a pipe " +
    "may hold its output in a buffer: run it under stdbuf -oL (or PYTHONUNBUFFERED=1 for Python).";
}

/**
 * The source's last stderr lines, for a box under the status ("" when none).
 * @param {SourceStatus | null} source
 * @returns {string}
 */
export function stderrText(source) {
  const lines = source?.stderr ?? [];
  return lines.length === 0 ? "" : lines.join("\n");
}

/**
 * Points per second of the current run of live batches, or null: too early
 * to tell, or no points for `RATE_IDLE_MS`. A run begins with the first batch
 * after a pause longer than `RATE_IDLE_MS` (or the first ever), so a stream
 * that starts or resumes long after the page opened is counted from then on,
 * and over `RATE_WINDOW_MS` at most: the points after the run's first batch,
 * over the time from it to the last. Drops batches older than the window.
 * @param {[number, number][]} batches (time, count) of live batches, oldest first
 * @param {number} now performance.now()
 * @returns {number | null}
 */
export function liveRate(batches, now) {
  const at = (/** @type {number} */ index) => /** @type {[number, number]} */ (batches[index]);
  while (batches.length > 0 && at(0)[0] < now - RATE_WINDOW_MS) batches.shift();
  const last = batches.at(-1);
  if (!last || now - last[0] > RATE_IDLE_MS) return null;
  let first = batches.length - 1;
  while (first > 0 && at(first)[0] - at(first - 1)[0] <= RATE_IDLE_MS) first--;
  const start = at(first)[0];
  if (now - start < RATE_SETTLE_MS || !(last[0] > start)) return null;
  let count = 0;
  for (let i = first + 1; i < batches.length; i++) count += at(i)[1];
  return count / ((last[0] - start) / 1000);
}

/**
 * At most `max` characters of `line`, centred on what made it fail: the
 * token `reason` quotes, else the first word that is not a number.
 * @param {string} line
 * @param {string} reason
 * @param {number} [max]
 * @returns {string}
 */
export function clipAround(line, reason, max = CLIP_CHARS) {
  if (line.length <= max) return line;
  const quoted = /"([^"]+)"/.exec(reason)?.[1];
  let at = quoted === undefined ? -1 : line.indexOf(quoted);
  let length = quoted?.length ?? 0;
  if (at < 0) {
    for (const match of line.matchAll(/[^\s,;]+/g)) {
      if (/\p{L}/u.test(match[0]) && Number.isNaN(Number(match[0]))) {
        at = match.index;
        length = match[0].length;
        break;
      }
    }
  }
  if (at < 0) return line.slice(0, max - 1) + "…";
  const room = max - 2;
  let start = Math.max(0, Math.round(at + length / 2 - room / 2));
  start = Math.min(start, line.length - room);
  const end = Math.min(line.length, start + room);
  return (start > 0 ? "…" : "") + line.slice(start, end) + (end < line.length ? "…" : "");
}
