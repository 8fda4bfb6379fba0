import assert from "node:assert/strict";
import { launchBrowser } from "./browser.ts";
import { clientAddress, parseForwarded, publicUrl } from "../handlers/policy.ts";
import { captureLog, socketUrl, startTestServer } from "./helpers.ts";
import { openRawSocket, rawExchange, upgradeHeaders } from "./raw_socket.ts";

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

/** Status line of a raw upgrade to /echo with `headers`. */
async function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  const lines = Object.entries(upgradeHeaders({ host: `127.0.0.1:${port}`, ...headers }))
    .map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const answer = await rawExchange(port, `GET /echo HTTP/1.1\r\n${lines}\r\n`, 1000);
  return Number(answer.slice(9, 12));
}

Deno.test("--trust-proxy takes the page's scheme and host from Forwarded or X-Forwarded-*", async () => {
  const seen = { origin: "https://plot.example.com" };
  const forwarded = { forwarded: 'for=192.0.2.60;proto=https;host="plot.example.com"' };
  const xForwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "plot.example.com" };

  await using trusting = await startTestServer({ trustProxy: true });
  const port = Number(trusting.url.port);
  assert.equal(await upgradeStatus(port, { ...seen, ...forwarded }), 101);
  assert.equal(await upgradeStatus(port, { ...seen, ...xForwarded }), 101);
  assert.equal(await upgradeStatus(port, { ...seen }), 403, "no forwarding headers: own origin");
  assert.equal(
    await upgradeStatus(port, { origin: "https://evil.example", ...xForwarded }),
    403,
    "another origin is still refused",
  );
  assert.equal(
    await upgradeStatus(port, {
      ...seen,
      "x-forwarded-proto": "http",
      "x-forwarded-host": "plot.example.com",
    }),
    403,
    "the scheme counts",
  );

  await using ignoring = await startTestServer();
  const other = Number(ignoring.url.port);
  assert.equal(await upgradeStatus(other, { ...seen, ...forwarded }), 403, "off by default");
  assert.equal(await upgradeStatus(other, { ...seen, ...xForwarded }), 403, "off by default");
  // Forwarding headers on a refusal: the answer says what was likely forgotten.
  const refusal = (headers: Record<string, string>) =>
    rawExchange(
      other,
      `GET /echo HTTP/1.1\r\n${
        Object.entries(upgradeHeaders({ host: `127.0.0.1:${other}`, ...seen, ...headers }))
          .map(([name, value]) => `${name}: ${value}\r\n`).join("")
      }\r\n`,
      1000,
    );
  assert.match(await refusal(xForwarded), /behind a proxy, give --trust-proxy/);
  assert.doesNotMatch(await refusal({}), /--trust-proxy/);
});

Deno.test("forwarding headers are parsed as RFC 7239 says, and only one proxy is trusted", () => {
  assert.deepEqual(parseForwarded('for="[2001:db8::1]:4711";proto=https, for=10.0.0.1'), [
    { for: "[2001:db8::1]:4711", proto: "https" },
    { for: "10.0.0.1" },
  ]);
  const request = (headers: Record<string, string>) =>
    new Request("http://127.0.0.1:8000/s/cpu?x=1", { headers });
  assert.equal(
    publicUrl(
      request({ "x-forwarded-proto": "https", "x-forwarded-host": "plot.example.com" }),
      true,
    )
      .href,
    "https://plot.example.com/s/cpu?x=1",
  );
  assert.equal(
    publicUrl(request({ forwarded: "proto=https;host=plot.example.com:443" }), true).href,
    "https://plot.example.com/s/cpu?x=1",
  );
  assert.equal(
    publicUrl(request({ "x-forwarded-host": "a.example/evil" }), true).host,
    "127.0.0.1:8000",
  );
  assert.equal(publicUrl(request({ "x-forwarded-proto": "https" }), false).protocol, "http:");
  assert.equal(
    clientAddress(request({ "x-forwarded-for": "1.2.3.4, 10.0.0.9" }), "127.0.0.1", true),
    "10.0.0.9",
  );
  assert.equal(
    clientAddress(request({ "x-forwarded-for": "[2001:db8::1]:4711" }), "127.0.0.1", true),
    "2001:db8::1",
  );
  assert.equal(
    clientAddress(request({ "x-forwarded-for": "192.0.2.60:80" }), "127.0.0.1", true),
    "192.0.2.60",
  );
  // A client's own Forwarded: for= is its word, not the proxy's: the proxy appends to XFF.
  assert.equal(
    clientAddress(
      request({ forwarded: "for=127.0.0.1", "x-forwarded-for": "203.0.113.7" }),
      "10.0.0.2",
      true,
    ),
    "203.0.113.7",
  );
  assert.equal(
    clientAddress(request({ forwarded: "for=10.9.9.1" }), "10.0.0.2", true),
    "10.0.0.2",
  );
  assert.equal(
    clientAddress(request({ "x-forwarded-for": "1.2.3.4" }), "127.0.0.1", false),
    "127.0.0.1",
  );
});

Deno.test("--trust-proxy: a client's own Forwarded: for= neither makes it loopback nor a new address", async () => {
  await using server = await startTestServer({ trustProxy: true, maxClientsPerAddress: 1 });
  const port = Number(server.url.port);
  // What the proxy appended is the last X-Forwarded-For entry; the rest is the client's say.
  const proxied = (forwarded: string) => ({
    forwarded,
    "x-forwarded-for": "198.51.100.4, 203.0.113.7",
  });
  using _first = await openRawSocket(port, "/echo", proxied("for=127.0.0.1"));
  assert.equal(server.connections.countFor("203.0.113.7"), 1);
  for (const forwarded of ["for=127.0.0.1", "for=10.9.9.1", "for=10.9.9.2"]) {
    const headers = upgradeHeaders({ host: `127.0.0.1:${port}`, ...proxied(forwarded) });
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const answer = await rawExchange(port, `GET /echo HTTP/1.1\r\n${lines.join("")}\r\n`, 1000);
    assert.match(answer, /^HTTP\/1\.1 503/, forwarded);
  }
});
