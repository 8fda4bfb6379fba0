/**
 * `deno task compile`, for real. `deno compile` type-checks and builds the
 * whole module graph, embedded assets included, before it fetches its
 * runtime (denort). Where no runtime can be had (no download, no
 * `DENORT_BIN`), the build must still get as far as that fetch, and the run
 * of the binary is reported as ignored with the reason, never as passed.
 */

import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };
import { FIXTURES, ROOT, withTimeout } from "./helpers.ts";
const OUTPUT_DIR = await Deno.makeTempDir({ prefix: "liveplot-compile-" });
const BINARY = `${OUTPUT_DIR}/liveplot${Deno.build.os === "windows" ? ".exe" : ""}`;

/** The compile task's own flags, with the output sent to a temporary folder. */
const COMPILE_ARGS = manifest.tasks.compile.split(" ").slice(1)
  .map((word, i, words) => words[i - 1] === "--output" ? BINARY : word);

const compiled = await new Deno.Command(Deno.execPath(), {
  args: COMPILE_ARGS,
  cwd: ROOT,
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const compileLog = new TextDecoder().decode(compiled.stderr);
const built = compiled.success;
/** The build failed only where it fetches the runtime: no runtime here. */
const noRuntime = !built && /Setting up base binary/.test(compileLog);

if (!built && noRuntime) {
  const reason = compileLog.split("\n").find((line) =>
    /error sending request|DENORT_BIN/.test(line)
  );
  console.error(
    `compile_test: the compiled binary's run is IGNORED: deno compile could not get a Deno ` +
      `runtime (denort): ${reason?.trim() ?? "download failed"}. Set DENORT_BIN to a denort ` +
      `binary of Deno ${Deno.version.deno} to run it.`,
  );
}

Deno.test("deno task compile type-checks and embeds every asset", () => {
  assert.ok(
    built || noRuntime,
    `deno compile failed before fetching its runtime:\n${compileLog}`,
  );
  assert.match(compileLog, /Compile .*main\.ts/);
});

Deno.test({
  name: "the compiled binary serves the same page and opens the browser the same way",
  ignore: !built,
  async fn() {
    const log = `${OUTPUT_DIR}/browser.log`;
    const child = new Deno.Command(BINARY, {
      args: ["--port", "0"],
      env: { BROWSER: `${FIXTURES}record_browser.sh`, LIVEPLOT_BROWSER_LOG: log },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    const url = await withTimeout(
      (async () => {
        while (!/listening on (\S+)/.test(output)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the binary exited: ${output}`);
          output += value;
        }
        return new URL(/listening on (\S+)/.exec(output)?.[1] ?? "");
      })(),
      10_000,
      "the binary's URL line",
    );
    const test = await fetch(new URL("/test", url));
    assert.equal(await test.text(), "Yes this is a test!");
    const page = await fetch(new URL("/static/uplot.js", url));
    assert.ok((await page.text()).includes("uPlot"), "the chart library is embedded");
    for (let i = 0; i < 100 && !(await Deno.stat(log).catch(() => null)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await Deno.readTextFile(log), `${url.href}\n`);
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    reader.releaseLock();
    await child.stdout.cancel();
  },
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(OUTPUT_DIR, { recursive: true });
});
