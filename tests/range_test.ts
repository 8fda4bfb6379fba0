import assert from "node:assert/strict";
import { createCsvExportRoute } from "../handlers/data_csv.ts";
import {
  createRangeRoute,
  MAX_WIDTH_PX,
  RANGE_RETRY_AFTER_SECONDS,
  type StoredStream,
} from "../handlers/range.ts";
import { History } from "../stream/history.ts";

const csvRoute = createCsvExportRoute();
const rangeRoute = createRangeRoute();
/** From a local client (loopback: no per-address share). */
const serveCsvExport = (request: Request, stored: StoredStream, filename: string) =>
  csvRoute(request, stored, filename, "127.0.0.1");
const serveRange = (request: Request, stored: StoredStream) =>
  rangeRoute(request, stored, "127.0.0.1");

function stream(points: number): StoredStream {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 10 });
  for (let index = 0; index < points; index++) {
    history.append(0, 100 + index, index);
    if (index % 2 === 0) history.append(1, 100 + index, -index);
  }
  return { history, names: ["up", "down"], xKind: "number" };
}

async function json(response: Response) {
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get("content-type"), "application/json");
  return await response.json();
}

Deno.test("GET range answers every point of the chosen series in [from, to]", async () => {
  const body = await json(
    serveRange(new Request("http://x/data/range?from=102&to=105&width=100&series=1"), stream(10)),
  );
  assert.deepEqual(body, {
    x: "number",
    from: 102,
    to: 105,
    historyStart: 100,
    series: [{ id: 1, name: "down", reduced: false, x: [102, 104], y: [-2, -4] }],
  });
});

Deno.test("GET range reduces past twice the width, and defaults to all of history", async () => {
  const body = await json(serveRange(new Request("http://x/data/range?width=10"), stream(10_000)));
  assert.equal(body.from, 100);
  assert.equal(body.to, 100 + 9_999);
  assert.equal(body.series.length, 2);
  for (const series of body.series) {
    assert.equal(series.reduced, true);
    assert.ok(series.x.length <= 40 && series.x.length >= 20, `${series.x.length} points`);
  }
  assert.equal(body.series[0].y.at(-1), 9_999, "the last point is kept");
});

Deno.test("GET range with bad parameters answers 400 with the reason", async () => {
  const cases: [string, RegExp][] = [
    ["from=abc", /^Bad "from": expected a number, got "abc"$/],
    ["to=1e999", /^Bad "to"/],
    ["width=0", /^Bad "width": expected an integer from 1 to 10000/],
    [`width=${MAX_WIDTH_PX + 1}`, /^Bad "width"/],
    ["width=2.5", /^Bad "width"/],
    ["series=0,x", /^Bad "series": expected series ids/],
    ["series=2", /^Bad "series": no series 2$/],
    ["from=5&to=4", /^Bad range: "from" \(5\) is after "to" \(4\)$/],
  ];
  for (const [query, reason] of cases) {
    const response = serveRange(new Request(`http://x/data/range?${query}`), stream(10));
    assert.equal(response.status, 400, query);
    const text = await response.text();
    assert.match(text.trimEnd(), reason);
    assert.equal(text.split("\n").length, 2, "one line");
  }
});

Deno.test("GET range is made a series at a time as it is read; past the cap, 503 until one ends", async () => {
  const route = createRangeRoute(2);
  const wide = stream(100_000);
  const request = () => new Request("http://x/data/range?width=10000");
  const first = route(request(), wide, "127.0.0.1");
  const second = route(request(), wide, "127.0.0.1");
  const third = route(request(), wide, "127.0.0.1");
  assert.equal(third.status, 503);
  assert.equal(third.headers.get("retry-after"), String(RANGE_RETRY_AFTER_SECONDS));
  assert.match(await third.text(), /^Too many range queries at once \(2\): try again\n$/);
  // Nothing is made before it is read, and then a little at a time.
  const reader = first.body!.getReader();
  const parts: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(new TextDecoder().decode(value));
  }
  // Each read is a part of about 64 KiB, not a series.
  const total = parts.join("").length;
  assert.ok(total > 256 * 1024 && parts.length > total / (128 * 1024), `${parts.length} reads`);
  assert.ok(parts.every((part) => part.length < 128 * 1024), "no read holds a whole series");
  const whole = JSON.parse(parts.join(""));
  assert.equal(whole.series.length, 2);
  assert.equal(whole.series[0].reduced, true);
  // A finished answer and a cancelled one give their places back.
  const fourth = route(request(), wide, "127.0.0.1");
  assert.equal(
    route(request(), wide, "127.0.0.1").status,
    503,
    "the second and the fourth are being made",
  );
  await second.body!.cancel();
  const fifth = route(request(), wide, "127.0.0.1");
  assert.equal((await json(fourth)).series.length, 2);
  assert.equal((await json(fifth)).series.length, 2);
});

Deno.test("a range answer that fails while being made gives its place back", async () => {
  const route = createRangeRoute(1);
  const failing = stream(10);
  // The second series' points cannot be read: the answer fails after its first part.
  const range = failing.history.rangeSteps.bind(failing.history);
  failing.history.rangeSteps = (id, ...rest) => {
    if (id === 1) throw new Error("history gone");
    return range(id, ...rest);
  };
  const answer = route(new Request("http://x/data/range"), failing, "127.0.0.1");
  await assert.rejects(answer.text(), /history gone/);
  const next = route(new Request("http://x/data/range?series=0"), failing, "127.0.0.1");
  assert.equal((await json(next)).series.length, 1, "the one place is free again");
});

Deno.test("GET range reaches to the greatest x held, also after x went back", async () => {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 10 });
  for (let x = 100; x < 160; x++) history.append(0, x, 1);
  // A clock set back: the newest points have the smallest x.
  for (let x = 0; x < 30; x++) history.append(0, x, -1);
  const body = await json(
    await serveRange(
      new Request("http://x/data/range"),
      { history, names: ["v"], xKind: "number" },
    ),
  );
  assert.deepEqual([body.from, body.to, body.series[0].x.length], [0, 159, 90]);
});

Deno.test("one address gets half the range and export slots; loopback and others are served", () => {
  const wide = stream(100_000);
  const range = createRangeRoute(4);
  const ask = (address: string) => range(new Request("http://x/data/range"), wide, address);
  const held = [ask("203.0.113.5"), ask("203.0.113.5")];
  const third = ask("203.0.113.5");
  assert.equal(third.status, 503);
  assert.equal(third.headers.get("retry-after"), "1");
  assert.equal(ask("198.51.100.7").status, 200, "another address");
  assert.equal(ask("127.0.0.1").status, 200, "loopback is not held to a share");
  assert.equal(ask("198.51.100.7").status, 503, "all four taken");
  const csv = createCsvExportRoute(4);
  const exportTo = (address: string) =>
    csv(new Request("http://x/data.csv"), wide, "a.csv", address);
  const exports = [exportTo("203.0.113.5"), exportTo("203.0.113.5")];
  const refused = exportTo("203.0.113.5");
  assert.equal(refused.status, 503);
  assert.equal(exportTo("198.51.100.7").status, 200);
  for (const response of [...held, ...exports]) response.body?.cancel();
  assert.equal(exportTo("203.0.113.5").status, 200, "given back");
  return Promise.all([third.text(), refused.text()]).then(([rangeText, csvText]) => {
    assert.equal(rangeText, "Too many range queries from one address at once (2): try again\n");
    assert.equal(csvText, "Too many CSV exports from one address at once (2): try again\n");
  });
});

Deno.test("GET range takes ISO 8601 dates for time x", async () => {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 10 });
  const start = Date.UTC(2026, 0, 1) / 1000;
  for (let index = 0; index < 10; index++) history.append(0, start + index, index);
  const request = new Request(
    "http://x/data/range?from=2026-01-01T00:00:02Z&to=2026-01-01T00:00:03.5Z",
  );
  const body = await json(serveRange(request, { history, names: ["t"], xKind: "time" }));
  assert.deepEqual(body.series[0].y, [2, 3]);
});

Deno.test("GET data.csv streams text/csv as an attachment; long form and range apply", async () => {
  const response = serveCsvExport(
    new Request("http://x/data.csv?from=101&to=102&long"),
    stream(4),
    "liveplot.csv",
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
  assert.equal(response.headers.get("content-disposition"), 'attachment; filename="liveplot.csv"');
  assert.equal(await response.text(), "series,x,y\r\nup,101,1\r\nup,102,2\r\ndown,102,-2\r\n");
  const wide = serveCsvExport(new Request("http://x/data.csv"), stream(3), "my stream.csv");
  assert.equal(wide.headers.get("content-disposition"), 'attachment; filename="my_stream.csv"');
  assert.equal(await wide.text(), "x,up,down\r\n100,0,0\r\n101,1,\r\n102,2,-2\r\n");
  const bad = serveCsvExport(new Request("http://x/data.csv?to=nope"), stream(3), "liveplot.csv");
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), 'Bad "to": expected a number, got "nope"\n');
});

Deno.test("the page asks a busy server again after its Retry-After, then gives up", async () => {
  const { fetchRange } = await import("../static/modules/history.js");
  let asked = 0;
  let busyFor = 2;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    asked++;
    if (asked <= busyFor) {
      return new Response("busy\n", { status: 503, headers: { "retry-after": "0.05" } });
    }
    return Response.json({ x: "number", from: 0, to: 1, historyStart: 0, series: [] });
  });
  const base = `http://127.0.0.1:${server.addr.port}/s/a/range`;
  // The page's module resolves the path against its page's location, as in a browser.
  Object.defineProperty(globalThis, "location", { value: new URL(base), configurable: true });
  assert.deepEqual((await fetchRange(base, { from: 0, to: 1 })).series, []);
  assert.equal(asked, 3, "twice busy, then answered");
  asked = 0;
  busyFor = Infinity;
  await assert.rejects(fetchRange(base, { from: 0, to: 1 }), /Range query failed: 503/);
  assert.equal(asked, 3, "three tries in all");
  Reflect.deleteProperty(globalThis, "location");
});
