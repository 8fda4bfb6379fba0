/**
 * `GET …/range?from=X0&to=X1&width=PX[&series=0,2]`: points of a stream's
 * history in [X0, X1], reduced per pixel column (M4) when there are more than
 * twice PX of a series, as JSON:
 * `{"x":"time","from":X0,"to":X1,"historyStart":X|null,"series":[{"id":0,
 * "name":"r","reduced":false,"x":[…],"y":[…]}]}`.
 * `from` and `to` default to where history begins and ends; they take
 * numbers (seconds since the epoch for time x) or, for time x, ISO 8601 dates.
 * `width` defaults to `DEFAULT_WIDTH_PX`.
 *
 * The answer is made about 64 KiB at a time, each piece only when the client
 * has taken the one before, and finding a series' range (M4 over its points
 * from `from` to `to`, 20–50 ms for 12 million) pauses every `STEP_MS` for
 * others, so a wide answer (64 series × 40,000 points, 13 MB) or a long
 * series never holds the process for more than a few milliseconds. At most
 * `MAX_RANGE_ANSWERS` are made at once, half of them for one address
 * (slots.ts); past that the answer is 503 with `Retry-After`.
 *
 * @module
 */

import type { History } from "../stream/history.ts";
import type { XKind } from "../stream/sink.ts";
import { text } from "./respond.ts";
import { Slots } from "./slots.ts";

/** What the range and CSV routes need of a stream: no sockets, no sources. */
export interface StoredStream {
  readonly history: History;
  /** Series names by id. */
  readonly names: readonly string[];
  readonly xKind: XKind;
}

/** Pixel columns when the query gives none. */
export const DEFAULT_WIDTH_PX = 1000;
/** The widest reduction answered: 4 points a column, 40,000 a series at most. */
export const MAX_WIDTH_PX = 10_000;

/**
 * Range answers being made at once, by every stream. The page asks one per
 * zoom or pan and waits for it; a few tabs and a script fit.
 */
export const MAX_RANGE_ANSWERS = 8;
/** Seconds a client past `MAX_RANGE_ANSWERS` is asked to wait. */
export const RANGE_RETRY_AFTER_SECONDS = 1;

/** Answers a range query from a stream's history to a client at `address`. */
export type RangeRoute = (request: Request, stream: StoredStream, address: string) => Response;

/** A request's parameters, or why they are wrong. */
type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Builds the range route; its slots are shared by every stream. */
export function createRangeRoute(maxAnswers = MAX_RANGE_ANSWERS): RangeRoute {
  const slots = new Slots(maxAnswers);
  return (request, stream, address) => {
    const params = new URL(request.url).searchParams;
    const { history, names, xKind } = stream;
    const from = parseX(params, "from", xKind);
    if (!from.ok) return text(400, from.reason);
    const to = parseX(params, "to", xKind);
    if (!to.ok) return text(400, to.reason);
    const width = parseWidth(params.get("width"));
    if (!width.ok) return text(400, width.reason);
    const series = parseSeries(params.get("series"), history.seriesCount);
    if (!series.ok) return text(400, series.reason);

    const start = from.value ?? Math.min(history.startX ?? to.value ?? 0, to.value ?? Infinity);
    const end = to.value ?? Math.max(history.endX ?? start, start);
    if (start > end) return text(400, `Bad range: "from" (${start}) is after "to" (${end})`);
    const headers = { "content-type": "application/json", "cache-control": "no-store" };
    if (request.method === "HEAD") return new Response(null, { headers });
    const slot = slots.take(address);
    if (typeof slot === "string") {
      return text(503, slots.reason(slot, "range queries"), {
        "retry-after": String(RANGE_RETRY_AFTER_SECONDS),
      });
    }
    const head = { x: xKind, from: start, to: end, historyStart: history.startX };
    const parts = answerParts(head, series.value, function* (id) {
      const { xs, ys, reduced } = yield* paused(history.rangeSteps(id, start, end, width.value));
      return { id, name: names[id] ?? `series ${id}`, reduced, xs, ys };
    });
    const encoder = new TextEncoder();
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk = "";
        let done = false;
        let began = performance.now();
        try {
          while (chunk.length < CHUNK_CHARS) {
            const part = parts.next();
            if (part.done) {
              done = true;
              break;
            }
            if (part.value !== PAUSE) chunk += part.value;
            else if (performance.now() - began >= STEP_MS) {
              // Others' turn: with text made, once the client takes it; else after a timer.
              if (chunk) break;
              await new Promise((resolve) => setTimeout(resolve, 0));
              if (cancelled) return;
              began = performance.now();
            }
          }
        } catch (error) {
          // A failed answer gives its place back too (the stream errors; nothing cancels it).
          slot.release();
          throw error;
        }
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (done) {
          slot.release();
          controller.close();
        }
      },
      cancel: () => {
        cancelled = true;
        slot.release();
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers });
  };
}

/** About what one read of an answer makes: a millisecond's work, not a series' whole. */
const CHUNK_CHARS = 64 * 1024;
/** How long an answer is made before others get a turn, in milliseconds. */
const STEP_MS = 2;
/** Yielded by `answerParts` where work may pause: no text. */
const PAUSE = "";

/** Numbers written out at a time. */
const PIECE_NUMBERS = 4096;

/** Steps (`History.rangeSteps`) as answer parts: each pause a `PAUSE`. */
function* paused<T>(steps: Generator<void, T, void>): Generator<string, T, void> {
  let step = steps.next();
  while (!step.done) {
    yield PAUSE;
    step = steps.next();
  }
  return step.value;
}

/** One series of an answer, as the history gives it. */
interface SeriesRange {
  id: number;
  name: string;
  reduced: boolean;
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * The answer's JSON text in small parts: its head, then each series (its
 * range found when it is reached) a few thousand numbers at a time, then the end.
 */
function* answerParts(
  head: Record<string, unknown>,
  ids: number[],
  rangeOf: (id: number) => Generator<string, SeriesRange, void>,
): Generator<string> {
  yield `${JSON.stringify(head).slice(0, -1)},"series":[`;
  for (const [index, id] of ids.entries()) {
    const { name, reduced, xs, ys } = yield* rangeOf(id);
    const fields = `"id":${id},"name":${JSON.stringify(name)},"reduced":${reduced}`;
    yield `${index === 0 ? "" : ","}{${fields},"x":[`;
    yield* numbers(xs);
    yield `],"y":[`;
    yield* numbers(ys);
    yield "]}";
  }
  yield "]}\n";
}

/** Finite numbers as JSON writes them (`String` of each), comma-separated, in pieces. */
function* numbers(values: Float64Array): Generator<string> {
  for (let start = 0; start < values.length; start += PIECE_NUMBERS) {
    yield (start === 0 ? "" : ",") + values.subarray(start, start + PIECE_NUMBERS).join(",");
  }
}

/** `from` or `to` of a query: a number, an ISO 8601 date for time x, or absent. */
export function parseX(
  params: URLSearchParams,
  key: string,
  xKind: XKind,
): Parsed<number | undefined> {
  const raw = params.get(key);
  if (raw === null || raw === "") return { ok: true, value: undefined };
  const number = Number(raw);
  if (Number.isFinite(number)) return { ok: true, value: number };
  if (xKind === "time") {
    const millis = Date.parse(raw);
    if (Number.isFinite(millis)) return { ok: true, value: millis / 1000 };
  }
  const expected = xKind === "time" ? "seconds since the epoch or an ISO 8601 date" : "a number";
  return { ok: false, reason: `Bad "${key}": expected ${expected}, got "${raw}"` };
}

function parseWidth(raw: string | null): Parsed<number> {
  if (raw === null || raw === "") return { ok: true, value: DEFAULT_WIDTH_PX };
  const width = Number(raw);
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH_PX) {
    return {
      ok: false,
      reason: `Bad "width": expected an integer from 1 to ${MAX_WIDTH_PX}, got "${raw}"`,
    };
  }
  return { ok: true, value: width };
}

function parseSeries(raw: string | null, count: number): Parsed<number[]> {
  if (raw === null || raw === "") {
    return {
      ok: true,
      value: Array.from({ length: count }, (_, id) => id),
    };
  }
  const ids: number[] = [];
  for (const part of raw.split(",")) {
    const id = Number(part);
    if (part.trim() === "" || !Number.isInteger(id) || id < 0) {
      return { ok: false, reason: `Bad "series": expected series ids such as 0,2, got "${raw}"` };
    }
    if (id >= count) return { ok: false, reason: `Bad "series": no series ${id}` };
    if (!ids.includes(id)) ids.push(id);
  }
  return { ok: true, value: ids };
}
