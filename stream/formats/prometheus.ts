/**
 * The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0, as a
 * `/metrics` endpoint serves them: `# TYPE` lines give each family's type,
 * samples are `name{label="value",…} value [timestamp]`, label values may
 * escape `\\`, `\"` and `\n`, values may be `NaN`, `+Inf` or `-Inf`, and
 * OpenMetrics ends with `# EOF`. A line that fits none of it is returned as
 * skipped, with why.
 *
 * @module
 */

/** A metric family's type; `unknown` (and the text format's `untyped`) reads as a gauge. */
export type MetricType =
  | "gauge"
  | "counter"
  | "histogram"
  | "gaugehistogram"
  | "summary"
  | "info"
  | "stateset"
  | "unknown";

/** One sample line. */
export interface Sample {
  /** The sample's own name (`http_requests_total`, `rpc_seconds_bucket`). */
  name: string;
  /** The family it belongs to, and that family's type from `# TYPE`. */
  family: string;
  type: MetricType;
  labels: [string, string][];
  value: number;
  /** The sample's timestamp in seconds since the epoch, when it has one. */
  timestamp?: number;
}

/** What one exposition holds. */
export interface Exposition {
  samples: Sample[];
  /** Lines that fit no rule, each with why. */
  skipped: { line: string; reason: string }[];
  /** OpenMetrics (it ended with `# EOF`), whose timestamps are seconds, not milliseconds. */
  openMetrics: boolean;
}

const TYPES: ReadonlySet<string> = new Set([
  "gauge",
  "counter",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
  "unknown",
  "untyped",
]);
/** Suffixes a family's samples may carry, longest first. */
const SUFFIXES = ["_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info"];
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Parses an exposition; `openMetrics` says how to read timestamps when it has no `# EOF`. */
export function parseExposition(text: string, openMetrics = false): Exposition {
  const types = new Map<string, MetricType>();
  const samples: Sample[] = [];
  const skipped: { line: string; reason: string }[] = [];
  const lines = text.split("\n");
  const ended = lines.some((line) => line.trimEnd() === "# EOF");
  const seconds = openMetrics || ended;
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      if (line.trimEnd() === "# EOF") break;
      const type = /^#\s+TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (type && TYPES.has(type[2] as string)) {
        const name = type[1] as string;
        types.set(name, type[2] === "untyped" ? "unknown" : type[2] as MetricType);
      }
      continue;
    }
    const sample = parseSample(line, seconds);
    if (typeof sample === "string") {
      skipped.push({ line, reason: sample });
      continue;
    }
    const family = familyOf(sample.name, types);
    samples.push({ ...sample, family, type: types.get(family) ?? "unknown" });
  }
  return { samples, skipped, openMetrics: ended };
}

/** The family a sample belongs to: its name, or its name less a suffix its type gives it. */
function familyOf(name: string, types: ReadonlyMap<string, MetricType>): string {
  if (types.has(name)) return name;
  for (const suffix of SUFFIXES) {
    if (name.endsWith(suffix) && types.has(name.slice(0, -suffix.length))) {
      return name.slice(0, -suffix.length);
    }
  }
  return name;
}

/** One sample line, or why it is not one. */
function parseSample(
  line: string,
  seconds: boolean,
): Omit<Sample, "family" | "type"> | string {
  const name = NAME.exec(line)?.[0];
  if (!name) return "no metric name";
  let at = name.length;
  const labels: [string, string][] = [];
  if (line[at] === "{") {
    at++;
    for (;;) {
      while (line[at] === " " || line[at] === ",") at++;
      if (line[at] === "}") {
        at++;
        break;
      }
      const label = NAME.exec(line.slice(at))?.[0];
      if (!label) return "a label without a name";
      at += label.length;
      if (line[at] !== "=" || line[at + 1] !== '"') return `label "${label}" without ="value"`;
      at += 2;
      let value = "";
      for (;;) {
        const char = line[at++];
        if (char === undefined) return `label "${label}" is not closed`;
        if (char === '"') break;
        if (char === "\\") {
          const escaped = line[at++];
          value += escaped === "n" ? "\n" : escaped ?? "";
        } else value += char;
      }
      labels.push([label, value]);
    }
  }
  const rest = line.slice(at).trim().split(/\s+/);
  if (rest.length > 2 || rest[0] === "") return "not name{labels} value [timestamp]";
  const value = parseNumber(rest[0] as string);
  if (value === undefined) return `value "${rest[0]}" is not a number`;
  if (rest.length === 1) return { name, labels, value };
  const stamp = parseNumber(rest[1] as string);
  if (stamp === undefined || !Number.isFinite(stamp)) {
    return `timestamp "${rest[1]}" is not a number`;
  }
  return { name, labels, value, timestamp: seconds ? stamp : stamp / 1000 };
}

/** A sample's number (and a bucket's `le`): Go's float syntax, with `NaN`, `+Inf` and `-Inf`. */
export function parseNumber(text: string): number | undefined {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
