/**
 * Numbers into report text, in one place: medians, percentiles, fixed
 * decimals, ratios and Markdown tables.
 *
 * @module
 */

/** The median of the finite values (NaN when there are none). */
export function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** The value at quantile `q` (0–1) of `values`, nearest rank below; NaN when empty. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** `value` with `digits` decimals (by default 0–2, fewer for larger values); "–" if not finite. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return "–";
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString("en-US", {
    maximumFractionDigits: places,
    minimumFractionDigits: places,
  });
}

/** ` (1.23×)`: `value` against `base`, or nothing when either is missing. */
export function ratio(value: number, base: number | undefined): string {
  if (base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base === 0) {
    return "";
  }
  return ` (${fmt(value / base, 2)}×)`;
}

/** A Markdown table; `align` holds `l` or `r` per column. */
export function table(head: string[], align: string, rows: string[][]): string[] {
  const rule = [...align].map((a) => (a === "r" ? "--:" : "---"));
  return [head, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`);
}

/** One note per kind over the rounds: "source held back: 80%/71% of its rate". */
export function mergeNotes(notes: string[]): string[] {
  const kinds = new Map<string, string[]>();
  for (const note of notes) {
    const kind = note.replace(/[\d.,]+/g, "#");
    kinds.set(kind, [...(kinds.get(kind) ?? []), ...(note.match(/[\d.,]+/g) ?? [])]);
  }
  return [...kinds].map(([kind, values]) => {
    const slots = (kind.match(/#/g) ?? []).length;
    if (slots !== 1) return kind.replace(/#/g, () => values.shift() ?? "");
    return kind.replace("#", values.join("/"));
  });
}
