/**
 * The bare-Deno baseline of the ingest case in `deno task bench`: reads
 * standard input to its end, splits it into lines and every line into
 * numbers (on spaces or commas), and counts them, with nothing stored or
 * sent. Then prints one JSON line: `{"points":N,"cpuSeconds":S,"rssMiB":M}`,
 * read from its own `/proc/self` before it exits.
 *
 * Usage: deno run -A deno_ingest.ts
 *
 * @module
 */

import { cpuSeconds, residentMiB } from "../lib/proc.ts";

let points = 0;
let carry = "";
const decoder = new TextDecoder();
for await (const chunk of Deno.stdin.readable) {
  const lines = (carry + decoder.decode(chunk, { stream: true })).split("\n");
  carry = lines.pop() ?? "";
  for (const line of lines) {
    for (const field of line.split(/[ ,]/)) if (Number.isFinite(Number(field))) points++;
  }
}
const cpu = cpuSeconds([Deno.pid]);
console.log(JSON.stringify({ points, cpuSeconds: cpu, rssMiB: await residentMiB(Deno.pid) }));
