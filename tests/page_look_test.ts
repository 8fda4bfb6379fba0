/**
 * How the page looks in a real Chromium with vmstat-like input: at least 20
 * distinct colours readable in light and dark, light labels in dark mode, a
 * 390 px phone without sideways scrolling, awkward series names as sent.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startFedServer, waitForPage } from "./browser.ts";
import {
  axisReport,
  contrast,
  eventually,
  luminances,
  openVmstatPage,
  paletteOf,
} from "./vmstat_page.ts";

const browserTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "vmstat-like input, as it looks",
  ...browserTest,
  async fn(t) {
    await using opened = await openVmstatPage();
    const { server, browser, page, problems } = opened;

    await t.step("at least 20 distinct colours, readable in light and dark", async () => {
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const palette = await paletteOf(page, 20);
        assert.equal(new Set(palette).size, 20, `${scheme}: 20 distinct colours`);
        const background = await page.evaluate(() =>
          // deno-lint-ignore no-explicit-any
          (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor
        );
        const [back = 0, ...lums] = await luminances(page, [background, ...palette]);
        assert.ok(
          scheme === "dark" ? back < 0.05 : back > 0.9,
          `${scheme} background ${background}`,
        );
        for (const [i, lum] of lums.entries()) {
          assert.ok(contrast(lum, back) >= 2.5, `${scheme}: colour ${palette[i]} on ${background}`);
        }
      }
      await page.emulateMedia({ colorScheme: "light" });
    });

    await t.step("dark mode draws light labels on a dark page", async () => {
      const { page: target } = await browser.newPage();
      await target.emulateMedia({ colorScheme: "dark" });
      await target.setViewportSize({ width: 1600, height: 900 });
      await target.goto(server.url.href);
      await waitForPage(
        target,
        (state) => state.chart !== null && state.series.length === 17,
        "dark",
      );
      const colors = await target.evaluate(() => {
        // deno-lint-ignore no-explicit-any
        const { liveplot, getComputedStyle, document } = globalThis as any;
        return {
          background: getComputedStyle(document.body).backgroundColor,
          axis: liveplot.chart.axes[1].stroke(liveplot.chart, 1),
          text: getComputedStyle(document.getElementById("status")).color,
        };
      });
      const [background = 0, axis = 0, text = 0] = await luminances(target, [
        colors.background,
        colors.axis,
        colors.text,
      ]);
      assert.ok(background < 0.05, `background ${colors.background}`);
      assert.ok(contrast(axis, background) >= 7, `axis labels ${colors.axis}`);
      assert.ok(contrast(text, background) >= 4.5, `status ${colors.text}`);
      await target.close();
    });

    await t.step(
      "a 390 px phone: no sideways scrolling, charts as wide as the screen",
      async () => {
        const { page: phone } = await browser.newPage();
        await phone.setViewportSize({ width: 390, height: 844 });
        await phone.goto(server.url.href);
        await waitForPage(
          phone,
          (state) => state.chart !== null && state.series.length === 17,
          "phone",
        );
        const layout = await phone.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const { liveplot, document } = globalThis as any;
          const controls = [...document.querySelectorAll("#toolbar button, #toolbar input")];
          return {
            scrollWidth: document.documentElement.scrollWidth,
            // deno-lint-ignore no-explicit-any
            widths: liveplot.charts.map((u: any) => u.width),
            // deno-lint-ignore no-explicit-any
            offscreen: controls.filter((e: any) => e.getBoundingClientRect().right > 390).length,
          };
        });
        assert.ok(layout.scrollWidth <= 390, `page ${layout.scrollWidth} px wide`);
        assert.ok(layout.widths.every((w: number) => w >= 340 && w <= 390), `${layout.widths}`);
        assert.equal(layout.offscreen, 0, "every control on screen");
        // A long title (a command line) takes two lines at most: the charts keep their room.
        const lines = await phone.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const { document, getComputedStyle } = globalThis as any;
          const title = document.getElementById("title");
          title.textContent = "liveplot: " + "sh -c 'echo 1 2 3; sleep 1' ".repeat(20);
          const fontSize = parseFloat(getComputedStyle(title).fontSize);
          return title.getBoundingClientRect().height / (1.25 * fontSize);
        });
        assert.ok(lines > 1.5 && lines < 2.5, `a long title takes ${lines} lines`);
        await eventually(async () => {
          for (const chart of await axisReport(phone)) {
            for (const axis of chart.axes.slice(1)) {
              assert.ok(
                axis.widest <= axis.size - 6,
                `${chart.names}: ${axis.widest} in ${axis.size}`,
              );
            }
          }
        });
        await phone.close();
      },
    );

    await t.step("series names with braces, spaces and UTF-8 are shown as sent", async () => {
      await using server = await startFedServer();
      const names = ["a {b", "c d", "température", "日本"];
      for (let i = 0; i < 5; i++) {
        const record = Object.fromEntries(names.map((name, k) => [name, i * (k + 1)]));
        await server.write(JSON.stringify(record) + "\n");
      }
      const { page, problems } = await browser.newPage();
      await page.goto(server.url.href);
      const state = await waitForPage(
        page,
        (state) =>
          state.series.length === 4 && state.series.every((s) => s.points === 5) &&
          state.chart?.labels.length === 5,
        "four named series",
      );
      assert.deepEqual(state.series.map((s) => s.name), names);
      for (const name of names) {
        assert.ok(await page.getByRole("button", { name, exact: true }).isVisible(), name);
      }
      assert.deepEqual(state.chart?.labels.slice(1), names);
      const csv = await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).liveplot.csv()
      );
      assert.equal(csv.split("\n")[0], "x,a {b,c d,température,日本");
      assert.deepEqual(problems, []);
      await page.close();
    });

    assert.deepEqual(problems, []);
  },
});
