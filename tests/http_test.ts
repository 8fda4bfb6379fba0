import assert from "node:assert/strict";
import { DEFAULTS } from "../config.ts";
import { matchesEtag } from "../handlers/assets.ts";
import { SECURITY_HEADERS } from "../handlers/respond.ts";
import { createHandler } from "../handlers/router.ts";
import { Connections } from "../handlers/websocket.ts";
import { createStreams } from "../stream/streams_setup.ts";
import { captureLog, startTestServer } from "./helpers.ts";
import { rawExchange } from "./raw_socket.ts";

Deno.test("GET /test answers the seed's plain text with no header but its type (Deno's fast path)", async () => {
  await using server = await startTestServer();
  const response = await fetch(new URL("/test", server.url));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "Yes this is a test!");
  // Deno's own three (length, type, date) and nothing else: any other header leaves its fast path.
  assert.deepEqual([...response.headers], [
    ["content-length", "19"],
    ["content-type", "text/plain;charset=UTF-8"],
    ["date", response.headers.get("date")],
  ]);
});

Deno.test("GET / and GET /data serve the same page with Content-Length", async () => {
  await using server = await startTestServer();
  const root = await fetch(new URL("/", server.url));
  const data = await fetch(new URL("/data", server.url));
  assert.equal(root.status, 200);
  assert.equal(data.status, 200);
  assert.equal(root.headers.get("content-type"), "text/html; charset=utf-8");
  const body = await root.text();
  assert.equal(root.headers.get("content-length"), String(new TextEncoder().encode(body).length));
  assert.equal(await data.text(), body);
  assert.match(body, /Start Plot/);
  assert.match(body, /<meta name="liveplot-source" content="demo">/);
});

Deno.test("the page's script, style and chart library are served by liveplot itself", async () => {
  await using server = await startTestServer();
  const page = await (await fetch(new URL("/", server.url))).text();
  const expected: Record<string, string> = {
    "/static/app.js": "text/javascript; charset=utf-8",
    "/static/style.css": "text/css; charset=utf-8",
    "/static/uplot.js": "text/javascript; charset=utf-8",
    "/static/uplot.css": "text/css; charset=utf-8",
  };
  // uPlot is imported as an ES module by the chart module, not linked from the page.
  const chart = await (await fetch(new URL("/static/modules/chart.js", server.url))).text();
  assert.match(chart, /^import uPlot from "\.\.\/uplot\.js";$/m);
  for (const [path, type] of Object.entries(expected)) {
    if (path !== "/static/uplot.js") {
      assert.ok(page.includes(`"${path}"`), `the page links ${path}`);
    }
    const response = await fetch(new URL(path, server.url));
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), type, path);
    assert.ok((await response.text()).length > 100, `${path} has content`);
  }
  assert.doesNotMatch(page, /https?:\/\/(?!www\.w3\.org)/, "no external URL in the page");
});

Deno.test("every file in static/ is served as it is on disk", async () => {
  await using server = await startTestServer();
  const root = new URL("../static/", import.meta.url);
  // The pages are templates, served at / and /s/ with their blanks filled in.
  const pages = new Set(["index.html", "streams.html"]);
  const files: string[] = [];
  for (const dir of ["", "modules/"]) {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      if (entry.isFile && !pages.has(entry.name)) files.push(`${dir}${entry.name}`);
    }
  }
  assert.ok(files.length > 20, `static/ has the page's files: ${files}`);
  for (const file of files) {
    const response = await fetch(new URL(`/static/${file}`, server.url));
    assert.equal(response.status, 200, `/static/${file} is served`);
    assert.equal(await response.text(), await Deno.readTextFile(new URL(file, root)), file);
  }
});

Deno.test("a matching If-None-Match answers 304 with no body", async () => {
  await using server = await startTestServer();
  for (const path of ["/", "/static/app.js", "/static/uplot.js"]) {
    const first = await fetch(new URL(path, server.url));
    await first.body?.cancel();
    const etag = first.headers.get("etag") ?? "";
    assert.ok(etag?.startsWith('"'), `${path} has a strong ETag`);
    const again = await fetch(new URL(path, server.url), { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304, path);
    assert.equal(await again.text(), "");
    assert.equal(again.headers.get("etag"), etag);
    const stale = await fetch(new URL(path, server.url), { headers: { "if-none-match": '"old"' } });
    assert.equal(stale.status, 200, `${path} with a stale ETag`);
    await stale.body?.cancel();
  }
});

Deno.test("If-None-Match lists, weak tags and * are compared as RFC 9110 says", () => {
  assert.ok(matchesEtag('"a", "b"', '"b"'));
  assert.ok(matchesEtag('W/"b"', '"b"'));
  assert.ok(matchesEtag("*", '"b"'));
  assert.ok(!matchesEtag('"a"', '"b"'));
  assert.ok(!matchesEtag(null, '"b"'));
});

Deno.test("a live page is headed by its source, HTML-escaped", async () => {
  await using server = await startTestServer({
    source: { kind: "command", command: "sh", args: ["-c", "echo '<b>&'"] },
  });
  const page = await (await fetch(server.url)).text();
  assert.match(page, /<h3 id="title">liveplot: sh -c echo '&lt;b&gt;&amp;'<\/h3>/);
  assert.match(page, /<meta name="liveplot-source" content="live">/);
});

Deno.test("HEAD answers with the headers of GET and no body", async () => {
  await using server = await startTestServer();
  for (const path of ["/test", "/", "/data", "/static/uplot.js"]) {
    const get = await fetch(new URL(path, server.url));
    const body = await get.arrayBuffer();
    const head = await fetch(new URL(path, server.url), { method: "HEAD" });
    assert.equal(head.status, 200, path);
    assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), path);
    assert.equal(head.headers.get("content-length"), String(body.byteLength), path);
    assert.equal((await head.arrayBuffer()).byteLength, 0, path);
  }
});

Deno.test("other methods answer 405 with an Allow header", async () => {
  await using server = await startTestServer();
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const response = await fetch(new URL("/test", server.url), { method });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    assert.equal(await response.text(), "Method not allowed\n");
  }
});

Deno.test("unknown paths answer 404", async () => {
  await using server = await startTestServer();
  for (const path of ["/nope", "/static/", "/static/missing.js", "/test/", "/DATA"]) {
    const response = await fetch(new URL(path, server.url));
    assert.equal(response.status, 404, path);
    assert.equal(await response.text(), "Not found\n");
  }
});

Deno.test("/s and /s/NAME/ redirect (308) to /s/ and /s/NAME, the read token checked first and kept", async () => {
  await using server = await startTestServer({ readToken: "read-token-for-redirects" });
  const get = (path: string) => fetch(new URL(path, server.url), { redirect: "manual" });
  for (const [path, to] of [["/s", "/s/"], ["/s/lab/", "/s/lab"], ["/s/a.b-c_1/", "/s/a.b-c_1"]]) {
    const refused = await get(path!);
    assert.equal(refused.status, 401, `${path} without the read token`);
    await refused.body?.cancel();
    const moved = await get(`${path}?token=read-token-for-redirects`);
    assert.equal(moved.status, 308, path);
    assert.equal(moved.headers.get("location"), `${to}?token=read-token-for-redirects`, path);
    await moved.body?.cancel();
  }
  // A push there is told where to go (curl -L follows with its body).
  const push = await fetch(new URL("/s/lab/", server.url), {
    method: "PUT",
    body: "1\n",
    redirect: "manual",
  });
  assert.equal(push.status, 308);
  assert.equal(push.headers.get("location"), "/s/lab");
  await push.body?.cancel();
  // Another Host is refused before any redirect; a name no stream may have is still not found.
  const foreign = await rawExchange(
    Number(server.url.port),
    "GET /s HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
  );
  assert.match(foreign, /^HTTP\/1\.1 421/);
  for (const path of ["/s/range/?token=read-token-for-redirects", "/s/a/b/", "/s//"]) {
    const answer = await get(path);
    assert.equal(answer.status, 404, path);
    await answer.body?.cancel();
  }
});

Deno.test("the demo's /data.csv and /data/range answer 404 saying it keeps no history", async () => {
  await using server = await startTestServer();
  for (const path of ["/data.csv", "/data.csv?long", "/data/range?from=0&to=1&width=100"]) {
    const response = await fetch(new URL(path, server.url));
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8", path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(
      await response.text(),
      "No history: the demo keeps none (run liveplot with a source)\n",
      path,
    );
  }
});

Deno.test("GET /echo without upgrade answers 426 with a one-line body", async () => {
  await using server = await startTestServer();
  const response = await fetch(new URL("/echo", server.url));
  assert.equal(response.status, 426);
  assert.equal(response.headers.get("upgrade"), "websocket");
  const body = await response.text();
  assert.equal(body.split("\n").length, 2, "one line and its newline");
});

Deno.test("every answer but /test's fixed text carries CSP, nosniff and no-referrer", async () => {
  await using server = await startTestServer();
  const answers: [string, RequestInit][] = [
    ["/", {}],
    ["/static/app.js", {}],
    ["/s/", {}],
    ["/nope", {}],
    ["/test", { method: "POST" }],
  ];
  for (const [path, init] of answers) {
    const response = await fetch(new URL(path, server.url), init);
    await response.body?.cancel();
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /script-src 'self'/, path);
    assert.match(csp, /connect-src 'self'/, path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
  }
});

Deno.test("traversal and encoded paths reach only known routes or 404", async () => {
  await using server = await startTestServer();
  const paths = [
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static%2f..%2f..%2fetc%2fpasswd",
    "/static/..%5c..%5cetc%5cpasswd",
    "/..\\..\\etc\\passwd",
    "/%00",
    "/static/app.js%00.html",
    "/main.ts",
    "/deno.json",
    "/static/index.html",
  ];
  for (const path of paths) {
    const answer = await rawExchange(
      server.url.port ? Number(server.url.port) : 80,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
    assert.ok([400, 404].includes(status), `${path} answered ${status}`);
    assert.doesNotMatch(answer, /root:|"tasks"|import /, `${path} leaked a file`);
  }
});

Deno.test("$&, $' and $$ in a command line reach the page's title as written", async () => {
  await using server = await startTestServer({
    // Valid sh, so the command runs quietly: it prints the four patterns.
    source: { kind: "command", command: "sh", args: ["-c", `echo "$&" '$$' '$\`' "$'"`] },
  });
  const page = await (await fetch(server.url)).text();
  const title = /<title>(.*)<\/title>/.exec(page)?.[1] ?? "";
  assert.equal(title, `liveplot: sh -c echo "$&amp;" '$$' '$\`' "$'"`.replaceAll('"', "&quot;"));
});

Deno.test("GET and HEAD are answered at once, not through a promise, and every copy is whole", async () => {
  // Deno.serve takes a Response or a promise of one; a GET that awaits nothing costs no promise.
  // An embedded file is built on its first request (a start digests nothing), then kept.
  const { log } = captureLog();
  const config = { ...DEFAULTS, port: 0, open: false };
  const { streams } = await createStreams(config, log);
  try {
    const handler = createHandler({
      config,
      connections: new Connections(config, log),
      streams,
      log,
    });
    const info = {
      remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 },
      completed: Promise.resolve(),
    };
    for (const [method, path] of [["GET", "/test"], ["HEAD", "/"], ["GET", "/static/app.js"]]) {
      const url = `http://127.0.0.1:1${path}`;
      const first = await handler(new Request(url, { method }), info);
      assert.equal(first.status, 200);
      await first.body?.cancel();
      for (let copy = 0; copy < 3; copy++) {
        const answer = handler(new Request(url, { method }), info);
        assert.ok(answer instanceof Response, `${method} ${path}`);
        assert.equal(answer.status, 200);
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          const expected = path === "/test" ? null : value;
          assert.equal(answer.headers.get(name), expected, `${method} ${path}: ${name}`);
        }
        if (path === "/test") assert.equal(await answer.text(), "Yes this is a test!");
        else await answer.body?.cancel();
      }
    }
  } finally {
    streams.stop();
  }
});

Deno.test("an embedded file's first requests, side by side, all get it whole with one ETag that answers 304", async () => {
  await using server = await startTestServer();
  const url = new URL("/static/uplot.js", server.url);
  const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(url)));
  const etags = new Set<string | null>();
  for (const answer of answers) {
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /uPlot/);
    etags.add(answer.headers.get("etag"));
  }
  assert.equal(etags.size, 1);
  const etag = [...etags][0] ?? "";
  assert.match(etag, /^"[0-9a-f]{24}"$/);
  const again = await fetch(url, { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  await again.body?.cancel();
});
