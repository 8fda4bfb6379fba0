/**
 * A summary of the V8 CPU profiles liveplot processes write with
 * `deno task bench --cpu-prof DIR`: the top functions and files by self time.
 *
 * @module
 */

import { fmt } from "./format.ts";
import { ROOT } from "./servers.ts";

/** Top functions by self time in a V8 .cpuprofile. */
export async function profileSummary(dir: string, top = 15): Promise<string[]> {
  const files = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".cpuprofile")) files.push(`${dir}/${entry.name}`);
  }
  const out: string[] = [];
  for (const file of files.sort()) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as {
      nodes: {
        id: number;
        callFrame: { functionName: string; url: string; lineNumber: number };
      }[];
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    const byFile = new Map<string, number>();
    let busy = 0;
    let idle = 0;
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!.callFrame;
      const delta = profile.timeDeltas[i] ?? 0;
      if (frame.functionName === "(idle)") {
        idle += delta;
        return;
      }
      const file = frame.url.replace(`file://${ROOT}`, "");
      const where = file ? `${file}:${frame.lineNumber + 1}` : "";
      const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + delta);
      const group = file || frame.functionName;
      byFile.set(group, (byFile.get(group) ?? 0) + delta);
      busy += delta;
    });
    out.push(
      `${file}: ${fmt(busy / 1e6, 2)} s busy, ${fmt(idle / 1e6, 2)} s idle ` +
        "(start-up included); self time as % of busy:",
    );
    for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out.push(`  ${fmt((micros / busy) * 100, 1)}%  ${key}`);
    }
    out.push("  by file:");
    for (const [key, micros] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      out.push(`  ${fmt((micros / busy) * 100, 1)}%  ${key}`);
    }
  }
  return out;
}
