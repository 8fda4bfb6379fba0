import assert from "node:assert/strict";
import { launchBrowser } from "./browser.ts";
import { captureLog, socketUrl, startTestServer } from "./helpers.ts";

/**
 * Serves, from a second origin, a page that opens the WebSocket named in
 * its `?target=` and puts the outcome in its title.
 */
function serveForeignPage(): Deno.HttpServer<Deno.NetAddr> {
  const page = `<!DOCTYPE html><title>waiting</title><script>
    const target = new URLSearchParams(location.search).get("target");
    const socket = new WebSocket(target);
    socket.onopen = () => { document.title = "open"; socket.close(); };
    socket.onerror = () => { document.title = "refused"; };
  </script>`;
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(page, { headers: { "content-type": "text/html" } }),
  );
}

Deno.test({
  name: "a page on another origin cannot open liveplot's WebSocket unless --origin allows it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using browser = await launchBrowser();
    const { page } = await browser.newPage();
    await using foreign = serveForeignPage();
    const foreignOrigin = `http://127.0.0.1:${foreign.addr.port}`;
    const tryFrom = async (target: URL) => {
      const url = `${foreignOrigin}/?target=${encodeURIComponent(socketUrl(target, "/echo"))}`;
      await page.goto(url);
      await page.waitForFunction("document.title !== 'waiting'");
      return page.title();
    };

    const refusing = captureLog();
    await using strict = await startTestServer({}, { log: refusing.log });
    assert.equal(await tryFrom(strict.url), "refused");
    assert.ok(
      refusing.lines.some((line) =>
        line.includes("event=upgrade-refused") && line.includes("status=403") &&
        line.includes(`origin=${foreignOrigin}`)
      ),
      refusing.lines.join("\n"),
    );

    await using allowing = await startTestServer({ origins: [foreignOrigin] });
    assert.equal(await tryFrom(allowing.url), "open");

    await using other = await startTestServer({ origins: ["http://127.0.0.1:1"] });
    assert.equal(await tryFrom(other.url), "refused", "allowing another origin is not enough");
  },
});
