/**
 * The scrape source (`--scrape URL --every 1s --match REGEX`): reads a
 * Prometheus or OpenMetrics endpoint every interval and plots
 *  - gauges (and untyped samples) as their values;
 *  - counters as per-second rates between two scrapes; a counter that went
 *    down was reset, and is a gap (no point), not a negative spike;
 *  - histograms and summaries as the mean over the interval (Δ`_sum` /
 *    Δ`_count`, series `name:mean`), summaries' quantiles as they are and
 *    histograms' p50, p90 and p99 from the interval's buckets.
 * Series are named `name{label="…"}` with only the labels that differ
 * between a family's series (`node_cpu_seconds_total{cpu="0",mode="idle"}`).
 * An endpoint that fails is retried every interval, and the status says why.
 *
 * @module
 */

import { describeError } from "../log.ts";
import {
  type MetricType,
  parseExposition,
  parseNumber,
  type Sample,
} from "./formats/prometheus.ts";
import { LineFeed } from "./line_feed.ts";
import { endedWhen, type RunningSource, sleep, type SourceOptions } from "./running_source.ts";
import { redact, type ScrapeSpec } from "./source_spec.ts";

/**
 * An exposition larger than this is refused, however it comes (a length, chunks, gzip): the
 * read stops there. node_exporter's is about 100 KiB; an endless answer filled the memory.
 */
const MAX_EXPOSITION_BYTES = 16 * 1024 * 1024;
const TOO_LARGE = `metrics body over ${MAX_EXPOSITION_BYTES / 1024 / 1024} MiB`;
/** The longest a scrape may take, at most: Prometheus's own default timeout. */
const MAX_SCRAPE_MS = 10_000;
/** The quantiles a histogram is plotted at. */
const HISTOGRAM_QUANTILES = [0.5, 0.9, 0.99];
const ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

/** Starts scraping; an endpoint that cannot be read is retried, never fatal. */
export function startScrape(spec: ScrapeSpec, options: SourceOptions): RunningSource {
  const { hub, log } = options;
  const feed = new LineFeed(options);
  const abort = new AbortController();
  const match = spec.match === undefined ? undefined : new RegExp(spec.match);
  const rates = new Rates();
  const shown = new Map<string, Set<string>>();
  let failing = false;
  /** The URL as shown: a password in it is sent (fetch's Basic auth), never shown. */
  const where = redact(spec.url);
  feed.sink.setXKind("time");
  hub.report({ state: "connecting", detail: `scraping ${where}` });
  log.info("source-started", { scrape: where, every: spec.everySeconds });

  const timeoutMs = Math.min(spec.everySeconds * 1000, MAX_SCRAPE_MS);
  const scrapeOnce = async () => {
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
    const response = await fetch(spec.url, { headers: { accept: ACCEPT }, signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const type = response.headers.get("content-type")?.toLowerCase() ?? "";
    // A login or error page answered with 200 is a failure, not a live source with no series.
    if (/^\s*text\/html\b/.test(type)) {
      await response.body?.cancel();
      throw new Error("not a metrics exposition (text/html)");
    }
    return parseExposition(await readCapped(response), type.includes("openmetrics"));
  };

  const run = async () => {
    while (!abort.signal.aborted) {
      const started = performance.now();
      try {
        const exposition = await scrapeOnce();
        const now = Date.now() / 1000;
        for (const { line, reason } of exposition.skipped) feed.skip(1, line, reason);
        for (const [name, x, y] of rates.points(exposition.samples, now, shown)) {
          // NaN and ±Inf are no value: a gap, not a refused point.
          if (Number.isFinite(y) && (!match || match.test(name))) feed.sink.add(name, x, y);
        }
        feed.sink.commit();
        if (failing || hub.status.state !== "live") {
          failing = false;
          hub.report({ state: "live", detail: null });
          log.info("source-connected", { scrape: where });
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        if (!failing) {
          failing = true;
          // The timeout's own words ("The operation was aborted due to timeout") say not how long.
          const why = error instanceof DOMException && error.name === "TimeoutError"
            ? `no answer within ${timeoutMs} ms`
            : describeError(error);
          hub.report({ state: "waiting", detail: `Cannot scrape ${where}: ${why}; retrying` });
          log.warn("source-scrape-failed", { scrape: where, error: why });
        }
      }
      const left = spec.everySeconds * 1000 - (performance.now() - started);
      await sleep(Math.max(0, left), abort.signal);
    }
  };

  const ended = endedWhen(run(), options, { scrape: where }, () => abort.signal.aborted);
  return {
    ended,
    stop: async () => {
      abort.abort();
      await ended;
    },
  };
}

/** The body as text, refused (and its read stopped) past `MAX_EXPOSITION_BYTES`. */
async function readCapped(response: Response): Promise<string> {
  if (Number(response.headers.get("content-length") ?? 0) > MAX_EXPOSITION_BYTES) {
    await response.body?.cancel();
    throw new Error(TOO_LARGE);
  }
  if (!response.body) return "";
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  // Leaving the loop by the throw cancels the body: nothing more is read.
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (bytes > MAX_EXPOSITION_BYTES) throw new Error(TOO_LARGE);
    parts.push(decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}

/** What the previous scrape held, to turn counters into rates and histograms into means. */
class Rates {
  #previous = new Map<string, { x: number; y: number }>();

  /** The points of one scrape at `now`: `[series, x, y]`. */
  *points(
    samples: Sample[],
    now: number,
    shown: Map<string, Set<string>>,
  ): Generator<[string, number, number]> {
    const current = new Map<string, { x: number; y: number }>();
    const buckets = new Map<string, { le: number; delta: number }[]>();
    const means: { sumKey: string; name: string; x: number; delta: number }[] = [];
    decideLabels(samples, shown);
    for (const sample of samples) {
      const x = sample.timestamp ?? now;
      const kind = roleOf(sample);
      if (kind === "skip") continue;
      const shownLabels = shown.get(sample.family) ?? new Set();
      const labels = sample.labels.filter(([name]) => name !== "le" && shownLabels.has(name));
      if (kind === "value" && sample.timestamp === undefined) {
        yield [seriesName(sample.name, labels), x, sample.value];
        continue;
      }
      const key = `${sample.name}\u0000${sample.labels.map((pair) => pair.join("=")).join(",")}`;
      current.set(key, { x, y: sample.value });
      const before = this.#previous.get(key);
      if (kind === "value") {
        // A value with its own timestamp is a new point only when the timestamp has moved on.
        if (!before || x > before.x) yield [seriesName(sample.name, labels), x, sample.value];
        continue;
      }
      // Counters, and histograms' and summaries' _sum, _count and buckets: differences.
      if (!before || sample.value < before.y || x <= before.x) continue;
      const delta = sample.value - before.y;
      if (kind === "counter") yield [seriesName(sample.name, labels), x, delta / (x - before.x)];
      else if (kind === "bucket") {
        // `+Inf` as the sample values have it (JavaScript's Number takes only `Infinity`): the
        // top bucket holds every observation, and without it the quantiles are too low.
        const le = parseNumber(sample.labels.find(([name]) => name === "le")?.[1] ?? "") ?? NaN;
        const group = seriesName(sample.family, labels);
        const list = buckets.get(group) ?? [];
        buckets.set(group, list);
        list.push({ le, delta });
      } else if (kind === "count" && delta > 0) {
        // Its _sum may come before or after it (OpenMetrics' examples write _count first).
        const sum = sample.name.endsWith("_gcount") ? "_gsum" : "_sum";
        const sumKey = key.replace(`${sample.name}\u0000`, `${sample.family}${sum}\u0000`);
        means.push({ sumKey, name: seriesName(`${sample.family}:mean`, labels), x, delta });
      }
    }
    for (const { sumKey, name, x, delta } of means) {
      const sum = current.get(sumKey);
      const sumBefore = this.#previous.get(sumKey);
      if (sum && sumBefore) yield [name, x, (sum.y - sumBefore.y) / delta];
    }
    for (const [group, list] of buckets) {
      for (const quantile of HISTOGRAM_QUANTILES) {
        const value = bucketQuantile(quantile, list);
        if (value !== undefined) yield [withQuantile(group, quantile), now, value];
      }
    }
    this.#previous = current;
  }
}

/** What a sample is plotted as. */
function roleOf(sample: Sample): "value" | "counter" | "bucket" | "count" | "diff" | "skip" {
  const type: MetricType = sample.type;
  const suffix = sample.name.slice(sample.family.length);
  if (suffix === "_created") return "skip";
  if (type === "counter") return "counter";
  if (type === "histogram" || type === "summary" || type === "gaugehistogram") {
    if (suffix === "_bucket") return "bucket";
    if (suffix === "_count" || suffix === "_gcount") return "count";
    if (suffix === "_sum" || suffix === "_gsum") return "diff";
    // A summary's quantiles are values as they are.
    return "value";
  }
  return "value";
}

/** Keeps, per family, the labels whose values differ between its series (never fewer later). */
function decideLabels(samples: Sample[], shown: Map<string, Set<string>>): void {
  const seen = new Map<string, Map<string, Set<string>>>();
  for (const sample of samples) {
    const labels = seen.get(sample.family) ?? new Map<string, Set<string>>();
    seen.set(sample.family, labels);
    for (const [name, value] of sample.labels) {
      const values = labels.get(name) ?? new Set<string>();
      labels.set(name, values);
      values.add(value);
    }
  }
  for (const [family, labels] of seen) {
    const kept = shown.get(family) ?? new Set<string>();
    shown.set(family, kept);
    for (const [name, values] of labels) if (values.size > 1) kept.add(name);
  }
}

/** `name{a="1",b="2"}`, with `"`, `\` and newlines escaped as the format does. */
function seriesName(name: string, labels: [string, string][]): string {
  if (labels.length === 0) return name;
  const escape = (value: string) =>
    value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  return `${name}{${labels.map(([label, value]) => `${label}="${escape(value)}"`).join(",")}}`;
}

function withQuantile(group: string, quantile: number): string {
  const label = `quantile="${quantile}"`;
  return group.endsWith("}") ? `${group.slice(0, -1)},${label}}` : `${group}{${label}}`;
}

/** A quantile from cumulative buckets' increases, interpolated linearly (`histogram_quantile`). */
function bucketQuantile(
  quantile: number,
  list: { le: number; delta: number }[],
): number | undefined {
  const sorted = list.filter(({ le }) => !Number.isNaN(le)).sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.delta ?? 0;
  if (total <= 0) return undefined;
  const rank = quantile * total;
  let lower = 0;
  let below = 0;
  for (const { le, delta } of sorted) {
    if (delta >= rank) {
      if (le === Infinity) return lower;
      return lower + (le - lower) * ((rank - below) / Math.max(delta - below, Number.MIN_VALUE));
    }
    lower = le;
    below = delta;
  }
  return undefined;
}
