/**
 * `deno task screenshots`: takes the README's pictures in a real Chromium
 * and writes them to docs/ — the demo after Start Plot, three live series
 * (light and dark), vmstat-like input split into charts of similar range,
 * and a zoomed view. Tests never write to docs/; this task is the only
 * thing that does.
 *
 * Usage: deno run -A tests/screenshots.ts [--out DIR]
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { launchBrowser, nextFrame, sleep, startFedServer, waitForPage } from "./browser.ts";
import { startTestServer } from "./helpers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { out: { type: "string", default: new URL("../docs/", import.meta.url).pathname } },
});
const OUT = values.out.endsWith("/") ? values.out : `${values.out}/`;
await Deno.mkdir(OUT, { recursive: true });

/** Waits for two frames, then writes `name` in docs/. */
async function shoot(page: Page, name: string) {
  await nextFrame(page);
  await nextFrame(page);
  await page.screenshot({ path: `${OUT}${name}` });
  console.log(`wrote ${OUT}${name}`);
}

/** Three waves, one sample every 20 ms, for about `seconds`. */
async function feedWaves(write: (text: string) => Promise<void>, seconds: number) {
  await write("sine cosine sawtooth\n");
  const count = Math.round(seconds * 50);
  for (let i = 0; i < count; i++) {
    const sine = (1.5 + Math.sin(i / 8)).toFixed(4);
    const cosine = (1.5 + Math.cos(i / 8)).toFixed(4);
    await write(`${sine} ${cosine} ${((i % 25) / 25).toFixed(4)}\n`);
    await sleep(20);
  }
}

/** vmstat-like samples: 17 columns from 0–100 up to 22 million. */
async function feedVmstat(write: (text: string) => Promise<void>, count: number) {
  await write(
    "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n" +
      " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n",
  );
  for (let i = 0; i < count; i++) {
    const busy = Math.max(0, Math.sin(i / 9)) * 40;
    await write(
      [
        Math.round(1 + busy / 15),
        i % 7 === 0 ? 1 : 0,
        0,
        Math.round(22_200_000 - busy * 20_000 + 3000 * Math.sin(i / 4)),
        1_204_000 + 12 * i,
        Math.round(10_480_000 + busy * 9000),
        0,
        0,
        Math.round(busy * 8 + 4),
        Math.round(120 + busy * 12 + 40 * Math.sin(i / 3)),
        Math.round(800 + busy * 20),
        Math.round(1500 + busy * 50),
        Math.round(4 + busy),
        Math.round(2 + busy / 4),
        Math.round(94 - busy * 1.25),
        i % 11 === 0 ? 1 : 0,
        0,
      ].join(" ") + "\n",
    );
    await sleep(40);
  }
}

await using browser = await launchBrowser([], { viewport: { width: 1200, height: 700 } });

{
  await using server = await startTestServer();
  const { page } = await browser.newPage();
  await page.setViewportSize({ width: 1000, height: 520 });
  await page.goto(server.url.href);
  await page.click("text=Start Plot");
  await waitForPage(
    page,
    (s) => s.connection === "done" && s.chart?.data[1]?.length === 100,
    "demo",
  );
  await shoot(page, "screenshot.png");
  await page.close();
}

{
  await using server = await startFedServer();
  const feeding = feedWaves(server.write, 5);
  const { page } = await browser.newPage();
  await page.goto(server.url.href);
  await feeding;
  await waitForPage(page, (s) => s.series.length === 3 && s.received >= 240, "three waves");
  await sleep(300);
  await shoot(page, "screenshot-live.png");

  const box = await page.locator("#placeholder .u-over").first().boundingBox();
  if (box) {
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitForPage(page, (s) => !s.view.following, "a zoomed view");
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
  }
  await sleep(200);
  await shoot(page, "screenshot-zoomed.png");

  const { page: dark } = await browser.newPage();
  await dark.emulateMedia({ colorScheme: "dark" });
  await dark.goto(server.url.href);
  await waitForPage(dark, (s) => s.series.length === 3 && s.received >= 240, "dark");
  await sleep(300);
  await shoot(dark, "screenshot-dark.png");
  await dark.close();
  await page.close();
}

{
  await using server = await startFedServer();
  const feeding = feedVmstat(server.write, 90);
  const { page } = await browser.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(server.url.href);
  await feeding;
  await waitForPage(page, (s) => s.split && s.series.length === 17, "vmstat split");
  await sleep(300);
  await shoot(page, "screenshot-split.png");
  await page.close();
}
