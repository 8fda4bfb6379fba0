/**
 * vmstat-like input for the page's browser tests: 17 columns of very
 * different ranges fed at a steady pace, and readings of what uPlot drew
 * (axis labels, colours and their contrast).
 *
 * @module
 */

import type { Page } from "playwright-core";
import {
  type Browser,
  type FedServer,
  launchBrowser,
  sleep,
  startFedServer,
  waitForPage,
} from "./browser.ts";

const VMSTAT_HEADER =
  "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n" +
  " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n";
export const VMSTAT_NAMES = VMSTAT_HEADER.split("\n")[1]?.trim().split(/\s+/) ?? [];

/** One vmstat-like sample: `free` around 22 million, cpu columns 0–100. */
function vmstatLine(i: number): string {
  return [
    i % 3,
    i % 2,
    0,
    22_000_000 + 1000 * (i % 17),
    1_200_000 + 40 * i,
    10_500_000 + 700 * (i % 13),
    0,
    0,
    (37 * i) % 500,
    (91 * i) % 800,
    900 + (i % 50),
    1800 + (i % 90),
    10 + (i % 7),
    3 + (i % 2),
    85 - (i % 9),
    i % 2,
    0,
  ].join(" ") + "\n";
}

/** Feeds `count` samples spread over about `ms` milliseconds. */
export async function feedVmstat(
  write: (text: string) => Promise<void>,
  count: number,
  ms: number,
) {
  await write(VMSTAT_HEADER);
  for (let i = 0; i < count; i++) {
    await write(vmstatLine(i));
    await sleep(ms / count);
  }
}

/** What each chart's axes show, measured in the page. */
interface AxisReport {
  names: string[];
  axes: {
    scale: string;
    labels: string[];
    /** Widest label, in CSS pixels, in the axis font. */
    widest: number;
    /** The axis gutter (width for y, height for x). */
    size: number;
    /** Smallest distance between neighbouring tick positions, in CSS pixels. */
    spacing: number;
    /** Right edge of the last label (centred on its tick), in CSS pixels from the chart's left. */
    lastRight: number;
    /** Left edge of the first label, in CSS pixels from the chart's left. */
    firstLeft: number;
  }[];
  /** The plot area's left edge, in CSS pixels. */
  left: number;
  /** The x range shown. */
  x: [number, number];
  width: number;
  height: number;
}

export function axisReport(page: Page): Promise<AxisReport[]> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const { liveplot, document, devicePixelRatio } = globalThis as any;
    const context = document.createElement("canvas").getContext("2d");
    // deno-lint-ignore no-explicit-any
    return liveplot.charts.map((u: any, index: number) => ({
      names: liveplot.groups[index],
      width: u.width,
      height: u.height,
      // deno-lint-ignore no-explicit-any
      axes: u.axes.filter((axis: any) => axis.show !== false).map((axis: any) => {
        context.font = axis.font[0];
        const labels: string[] = axis._values ?? [];
        const widest = Math.max(
          0,
          ...labels.flatMap((label) =>
            String(label).split("\n").map((line) => context.measureText(line).width)
          ),
        );
        const positions = (axis._splits ?? []).map((value: number) =>
          u.valToPos(value, axis.scale, false)
        );
        let spacing = Infinity;
        for (let i = 1; i < positions.length; i++) {
          spacing = Math.min(spacing, Math.abs(positions[i] - positions[i - 1]));
        }
        const lastLabel = String(labels.at(-1) ?? "").split("\n")[0] ?? "";
        const lastRight = (u.bbox.left / devicePixelRatio) + (positions.at(-1) ?? 0) +
          context.measureText(lastLabel).width / 2;
        const firstLabel = String(labels[0] ?? "").split("\n")[0] ?? "";
        const firstLeft = (u.bbox.left / devicePixelRatio) + (positions[0] ?? 0) -
          context.measureText(firstLabel).width / 2;
        return {
          scale: axis.scale,
          labels,
          widest,
          size: axis._size,
          spacing,
          lastRight,
          firstLeft,
        };
      }),
      left: u.bbox.left / devicePixelRatio,
      x: [u.scales.x.min, u.scales.x.max],
    }));
  });
}

/** Relative luminance of `rgb(…)`/`hsl(…)` text, computed by the browser. */
export function luminances(page: Page, colors: string[]): Promise<number[]> {
  return page.evaluate((colors) => {
    // deno-lint-ignore no-explicit-any
    const { document, getComputedStyle } = globalThis as any;
    const probe = document.createElement("span");
    document.body.append(probe);
    const result = colors.map((color: string) => {
      probe.style.color = color;
      const [r, g, b] = getComputedStyle(probe).color.match(/[\d.]+/g).map(Number);
      const channel = (c: number) => {
        const v = c / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    });
    probe.remove();
    return result;
  }, colors);
}

/** Runs `check` until it passes (the page settles on its next frames), for up to `ms`. */
export async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** The page's series colours for `count` series, in order. */
export function paletteOf(page: Page, count: number): Promise<string[]> {
  return page.evaluate(async (count) => {
    const { seriesColor } = await import("/static/modules/colors.js");
    return Array.from({ length: count }, (_, i) => seriesColor(i));
  }, count);
}

/** A server fed 60 vmstat-like samples and a 1600×900 page showing all 17 series. */
export interface VmstatPage extends AsyncDisposable {
  server: FedServer;
  browser: Browser;
  page: Page;
  /** Console errors and CSP violations the page reported. */
  problems: string[];
}

/** Starts the server, feeds it, and opens the page once every series has its 60 points. */
export async function openVmstatPage(): Promise<VmstatPage> {
  const server = await startFedServer();
  const feeding = feedVmstat(server.write, 60, 1200);
  const browser = await launchBrowser([], { viewport: { width: 1600, height: 900 } });
  const { page, problems } = await browser.newPage();
  await page.goto(server.url.href);
  await feeding;
  await waitForPage(
    page,
    (state) => state.series.length === 17 && state.series.every((s) => s.points === 60),
    "17 series of 60 points",
  );
  return {
    server,
    browser,
    page,
    problems,
    async [Symbol.asyncDispose]() {
      await browser[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
    },
  };
}
