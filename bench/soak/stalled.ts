/**
 * The stalled-viewer half of `deno task soak` (issue 16 §2): one liveplot
 * process with a full-speed source on `/data` (`yes`, `--history 0`) and a
 * slow pushed stream (`/s/slow`, 100 lines a second); 300 viewers of the
 * slow stream and 100 of the fast one do the handshake and never read.
 * Deno cannot drop them (denoland/deno#36337): each is closed with 1013 once
 * past its budget and holds what it has queued until its peer goes. Checked:
 * RSS grows by at most 32 MiB + 1.6 MiB per stalled socket and is flat; a
 * healthy viewer keeps its rate; one over `--max-clients` gets 503 with
 * `Retry-After`; once the stalled peers close, every slot is back within 5 s.
 *
 * `deno run -A bench/soak/stalled.ts [SLOW] [FAST]` runs it alone.
 *
 * @module
 */

import { residentMiB } from "../lib/proc.ts";
import { LIVEPLOT_ENV, ROOT } from "../lib/servers.ts";
import { sleep } from "../lib/time.ts";
import type { AbuseRow } from "./abuse.ts";
import { rawUpgrade } from "./sockets.ts";

const encoder = new TextEncoder();
const TOKEN = "soak-stalled-token-0123456789";

/** Runs the case; `slow` and `fast` stalled viewers (300 and 100 in the soak). */
export async function runStalled(slow = 300, fast = 100): Promise<AbuseRow> {
  const stalledCount = slow + fast;
  const maxClients = stalledCount + 1; // and one healthy viewer
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", `${ROOT}main.ts`, "--port", "0", "--no-open", "--x", "index"],
      ...["--max-clients", String(maxClients), "--history", "0", "--token", TOKEN],
      // A stalled socket keeps up to about twice its budget: 512 KiB keeps it under 1.6 MiB.
      ...["--max-queue", "512KiB"],
      ...["--", "yes", "1 2 3 4 5 6 7 8"],
    ],
    // As users run it: with what `deno task start` sets.
    env: LIVEPLOT_ENV,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let url: URL | undefined;
  for (let text = ""; !url;) {
    const next = await lines.read();
    if (next.done) {
      const { code } = await server.status;
      throw new Error(`liveplot exited before listening (exit code ${code})`);
    }
    text += next.value;
    const match = /liveplot listening on (\S+)/.exec(text);
    if (match?.[1]) url = new URL(match[1]);
  }
  lines.releaseLock();
  server.stdout.cancel().catch(() => {});
  const port = Number(url.port);
  const pid = server.pid;

  // The slow stream: 8 series, 100 lines a second, pushed for as long as the case runs.
  let pushing = true;
  let pushed = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!pushing) return controller.close();
      await sleep(100);
      let text = "";
      for (let i = 0; i < 10; i++) text += `${pushed++} 2 3 4 5 6 7 8\n`;
      controller.enqueue(encoder.encode(text));
    },
  });
  const push = fetch(new URL("/s/slow", url), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body,
  }).then((response) => response.body?.cancel(), () => {});
  await sleep(1000);

  // A healthy viewer of the slow stream: it must get every line.
  const healthy = new WebSocket(`ws://${url.host}/s/slow/data`);
  const seen = new Set<number>();
  healthy.onmessage = (event) => {
    if (typeof event.data !== "string" || event.data.startsWith("{")) return;
    for (const line of event.data.split("\n")) {
      if (line.startsWith("0 ")) seen.add(Number(line.split(" ")[2]));
    }
  };
  await new Promise((resolve) => healthy.onopen = resolve);
  await sleep(2000);
  const before = await residentMiB(pid);

  const stalled = [];
  for (let i = 0; i < stalledCount; i += 50) {
    stalled.push(
      ...await Promise.all(
        Array.from(
          { length: Math.min(50, stalledCount - i) },
          (_, j) => rawUpgrade(port, i + j < slow ? "/s/slow/data" : "/data"),
        ),
      ),
    );
  }
  const admitted = stalled.filter((raw) => raw.status === 101).length;
  const extra = await rawUpgrade(port, "/data");
  extra.connection.close();
  const retryAfter = /\r\nretry-after: \d+/i.test(extra.head);

  // Steady state: sample for 20 s; the healthy viewer must miss nothing of it.
  const from = pushed;
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    await sleep(1000);
    samples.push(await residentMiB(pid));
  }
  const to = pushed;
  await sleep(2000);
  let missed = 0;
  for (let x = from; x < to; x++) if (!seen.has(x)) missed++;

  const closedAt = Date.now();
  for (const raw of stalled) {
    try {
      raw.connection.close();
    } catch {
      // Gone already.
    }
  }
  // Every slot back: as many new viewers as there were stalled ones are let in.
  let freedMs = -1;
  while (Date.now() - closedAt < 15_000) {
    const probe = await rawUpgrade(port, "/data");
    probe.connection.close();
    if (probe.status === 101) {
      const fresh = await Promise.all(
        Array.from({ length: stalledCount - 1 }, () => rawUpgrade(port, "/data")),
      );
      for (const raw of fresh) raw.connection.close();
      if (fresh.every((raw) => raw.status === 101)) {
        freedMs = Date.now() - closedAt;
        break;
      }
    }
    await sleep(100);
  }

  pushing = false;
  healthy.close();
  await push;
  server.kill("SIGTERM");
  await server.status;

  const peak = Math.max(...samples);
  const bound = 32 + 1.6 * stalledCount;
  const half = samples.slice(samples.length / 2);
  const flat = Math.max(...half) - Math.max(...samples.slice(0, samples.length / 2)) <= 16;
  return {
    abuse: `${slow} stalled viewers of a slow stream, ${fast} of a full-speed one (--history 0)`,
    sockets: [0, admitted, 0],
    rssMiB: [before, peak, samples.at(-1) ?? 0],
    outcome: `${admitted} admitted, one more got ${extra.status}` +
      `${retryAfter ? " with Retry-After" : ""}; RSS +${(peak - before).toFixed(0)} MiB ` +
      `(bound +${bound.toFixed(0)}), ${flat ? "flat" : "growing"}; the healthy viewer missed ` +
      `${missed} of ${to - from} lines; every slot back ${(freedMs / 1000).toFixed(1)} s ` +
      "after the peers closed (bound 5 s)",
    held: admitted === stalledCount && extra.status === 503 && retryAfter &&
      peak - before <= bound && flat && to > from && missed === 0 && freedMs >= 0 &&
      freedMs <= 5000,
  };
}

if (import.meta.main) {
  const [slow, fast] = Deno.args.map(Number);
  console.log(JSON.stringify(await runStalled(slow, fast), null, 1));
}
