/**
 * A real headless Chromium (Debian's), driven by playwright-core, for the
 * page tests. Console errors, page errors and CSP violations are collected
 * on every page so a test can require there were none.
 *
 * @module
 */

import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { Config } from "../config.ts";
import { startTestServer } from "./helpers.ts";

/** Chromium's path: `CHROMIUM_BIN`, else Debian's. */
export const CHROMIUM = Deno.env.get("CHROMIUM_BIN") ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A plain snapshot of what the page shows, read from `globalThis.liveplot`. */
export interface PageState {
  received: number;
  connection: string;
  /** The socket's agreed subprotocol (`liveplot-f64`: binary data frames), null when closed. */
  protocol: string | null;
  status: string;
  series: {
    id: string;
    name: string;
    points: number;
    hidden: boolean;
    y2: boolean;
    last: number | undefined;
    color: string;
  }[];
  /** The first chart: uPlot's aligned data, the y scale's minimum and the series labels. */
  chart: { data: (number | null)[][]; yMin: number; labels: string[]; timeAxis: boolean } | null;
  /** Series names of each chart. */
  groups: string[][];
  split: boolean;
  view: { from: number; to: number; following: boolean; paused: boolean };
  /** Text of the legend under the charts. */
  legend: string;
}

/** Reads the page's state. */
export function readPage(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const window = globalThis as any;
    const { liveplot } = window;
    const chart = liveplot.chart;
    return {
      received: liveplot.received,
      connection: liveplot.connection,
      protocol: liveplot.protocol,
      status: window.document.getElementById("status").textContent,
      series: liveplot.series,
      chart: chart && {
        // uPlot's cells for missing points are undefined; JSON has no undefined.
        data: chart.data.map((column: number[]) =>
          Array.from(column.slice(0, chart.data[0].length), (v) => v ?? null)
        ),
        yMin: chart.scales.y.min,
        labels: chart.series.map((series: { label: string }) => series.label),
        timeAxis: Boolean(chart.scales.x.time),
      },
      groups: liveplot.groups,
      split: liveplot.split,
      view: liveplot.view,
      legend: window.document.getElementById("legend")?.textContent ?? "",
    };
  });
}

/** Polls the page until `condition` holds; the timeout names `what`. */
export async function waitForPage(
  page: Page,
  condition: (state: PageState) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<PageState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await readPage(page);
    if (condition(state)) return state;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}: ${
          JSON.stringify(state).slice(0, 500)
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for the page's next animation frame, so the canvas shows the latest data. */
export async function nextFrame(page: Page): Promise<void> {
  await page.evaluate(() =>
    // deno-lint-ignore no-explicit-any
    new Promise((resolve) => (globalThis as any).requestAnimationFrame(resolve))
  );
}

/** A browser with a fresh profile; closing it removes the profile. */
export interface Browser extends AsyncDisposable {
  context: BrowserContext;
  /** Opens a page that records problems into `problems`. */
  newPage(init?: () => void): Promise<{ page: Page; problems: string[] }>;
}

/** Launches Chromium; fails with what to install when it is missing. */
export async function launchBrowser(
  extraFlags: string[] = [],
  options: { colorScheme?: "light" | "dark"; viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_BIN`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "liveplot-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...extraFlags],
    viewport: options.viewport ?? { width: 1000, height: 520 },
    colorScheme: options.colorScheme ?? "light",
    acceptDownloads: true,
  });
  return {
    context,
    async newPage(init) {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      await page.exposeFunction(
        "__reportViolation",
        (text: string) => problems.push(`CSP: ${text}`),
      );
      await page.addInitScript(() => {
        // deno-lint-ignore no-explicit-any
        const window = globalThis as any;
        // deno-lint-ignore no-explicit-any
        window.document.addEventListener("securitypolicyviolation", (event: any) => {
          window.__reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
        });
      });
      if (init) await page.addInitScript(init);
      return { page, problems };
    },
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** A liveplot server reading standard input that the test writes. */
export interface FedServer extends AsyncDisposable {
  url: URL;
  /** Writes input text (lines with their newlines). */
  write(text: string): Promise<void>;
  /** Ends the input. */
  end(): Promise<void>;
  /** The server's streams (to report a source's state through a stream's hub). */
  streams: Awaited<ReturnType<typeof startTestServer>>["streams"];
}

/** Starts the real server on port 0 with a `stdin` source the test feeds. */
export async function startFedServer(overrides: Partial<Config> = {}): Promise<FedServer> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const server = await startTestServer({ source: { kind: "stdin" }, ...overrides }, {
    input: pipe.readable,
  });
  const writer = pipe.writable.getWriter();
  const encoder = new TextEncoder();
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    await writer.close().catch(() => {});
  };
  return {
    url: server.url,
    write: (text) => writer.write(encoder.encode(text)),
    end,
    streams: server.streams,
    async [Symbol.asyncDispose]() {
      await end();
      await server.shutdown();
    },
  };
}

/** Clicks `selector` and returns the downloaded file's bytes and suggested name. */
export async function downloadOf(
  page: Page,
  click: () => Promise<void>,
): Promise<{ name: string; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await Deno.readFile(path) };
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Counts the chart canvas's pixels in the series' warm colours (the seed's
 * red line and orange fill); axes and grid are grey or black, so an empty
 * chart counts none.
 */
export function paintedPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const canvas = (globalThis as any).document.querySelector("#placeholder canvas");
    const context = canvas?.getContext("2d");
    if (!context) return 0;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height) as ImageData;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [red, blue, alpha] = [data[i] as number, data[i + 2] as number, data[i + 3] as number];
      if (alpha > 40 && red > 180 && blue < 100) painted++;
    }
    return painted;
  });
}
