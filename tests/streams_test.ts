import assert from "node:assert/strict";
import { Hub } from "../stream/hub.ts";
import { naturalCompare, serveStreamsIndex } from "../handlers/streams_index.ts";
import { MAX_WAITING_VIEWERS, Streams, type StreamSummary } from "../stream/registry.ts";
import {
  captureLog,
  closeSocket,
  controlMessages,
  dataLines,
  record,
  socketUrl,
  startTestServer,
  waitFor,
  withTimeout,
} from "./helpers.ts";

const TOKEN = "streams-test-token";

/** A registry of small hubs, at most `maxStreams` of them, for tests without a server. */
function registryOptions(maxStreams: number) {
  return {
    view: (name: string) => ({ window: { points: 10 }, title: name }),
    createHub: () =>
      new Hub({
        window: { points: 10 },
        maxQueuedBytes: 1 << 20,
        historyBytes: 0,
        log: captureLog().log,
      }),
    maxStreams,
    ttlMs: 1000,
    log: captureLog().log,
  };
}

function post(url: URL, stream: string, body: string): Promise<Response> {
  return fetch(new URL(`/s/${stream}`, url), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body,
  });
}

Deno.test("1,000 streams of one point a second each are all kept and listed", async () => {
  await using server = await startTestServer({ token: TOKEN, maxStreams: 1000 });
  const names = Array.from({ length: 1000 }, (_, i) => `sensor-${i}`);
  for (let second = 0; second < 3; second++) {
    const started = Date.now();
    // 50 writers at a time, each stream one point.
    for (let i = 0; i < names.length; i += 50) {
      const answers = await Promise.all(
        names.slice(i, i + 50).map((name) => post(server.url, name, `t=${second}\n`)),
      );
      for (const answer of answers) {
        assert.deepEqual(await answer.json(), { taken: 1, headers: 0, blank: 0, skipped: 0 });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
  }
  const index = await fetch(new URL("/s/", server.url), {
    headers: { accept: "application/json" },
  });
  const { streams } = await index.json() as { streams: { name: string; series: string[] }[] };
  assert.equal(streams.length, 1000);
  assert.ok(streams.every((stream) => stream.series.length === 1));
  assert.equal(server.streams.get("sensor-999")?.hub.pointCount, 3);
  // One more stream is past --max-streams: refused with 507, nothing taken.
  const refused = await post(server.url, "one-too-many", "t=1\n");
  assert.equal(refused.status, 507);
  await refused.body?.cancel();
});

Deno.test("a viewer of /s/NAME gets the stream's window and its live points by name", async () => {
  await using server = await startTestServer({ token: TOKEN });
  assert.equal((await post(server.url, "lab", "temp,hum\n21.5,40\n")).status, 200);
  const socket = new WebSocket(socketUrl(server.url, "/s/lab/data"));
  const recorded = record(socket);
  await withTimeout(
    new Promise((resolve) => socket.addEventListener("open", resolve, { once: true })),
    5000,
    "the viewer to connect",
  );
  assert.equal((await post(server.url, "lab", "22,41\n")).status, 200);
  const deadline = Date.now() + 5000;
  while (dataLines(recorded.messages).length < 4 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const meta = controlMessages(recorded.messages).find((m) => m.type === "meta");
  assert.deepEqual(meta?.series, [{ id: 0, name: "temp" }, { id: 1, name: "hum" }]);
  const values = (id: string) =>
    dataLines(recorded.messages).filter((line) => line.startsWith(`${id} `)).map((line) =>
      Number(line.split(" ")[2])
    );
  assert.deepEqual(values("0"), [21.5, 22]);
  assert.deepEqual(values("1"), [40, 41]);
  assert.equal(meta?.title, "lab", "the page takes its title from the meta message");
  // One page for every stream, existing or not: it finds its endpoints from its own URL.
  const page = await fetch(new URL("/s/lab", server.url));
  const other = await fetch(new URL("/s/not-yet", server.url));
  assert.equal(page.status, 200);
  assert.equal(await page.text(), await other.text());
  const csv = await (await fetch(new URL("/s/lab.csv", server.url))).text();
  assert.match(csv, /^x,temp,hum\r\n/);
  assert.equal(csv.trim().split("\n").length, 3);
  const missing = await fetch(new URL("/s/nothing-here/range", server.url));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const badName = await fetch(new URL("/s/bad%20name", server.url));
  assert.equal(badName.status, 404);
  await badName.body?.cancel();
  await closeSocket(socket);
});

Deno.test("viewers do not create streams: five of them leave --max-streams 5 to the writers", async () => {
  await using server = await startTestServer({
    token: TOKEN,
    maxStreams: 5,
    window: { seconds: 30 },
  });
  const names = ["a1", "a2", "a3", "a4", "a5"];
  const viewers = names.map((name) => new WebSocket(socketUrl(server.url, `/s/${name}/data`)));
  const recorded = viewers.map((socket) => record(socket));
  await withTimeout(
    Promise.all(viewers.map((socket) => new Promise((resolve) => socket.onopen = resolve))),
    5000,
    "the five viewers to connect",
  );
  await waitFor(
    () => recorded.every(({ messages }) => controlMessages(messages).length > 0),
    5000,
    "each viewer to be told it waits",
  );
  // The window the stream will have comes first (--window's, not the page's default).
  const [meta, told] = controlMessages(recorded[0]!.messages);
  assert.equal(meta?.type, "meta");
  assert.equal(meta?.windowSeconds, 30);
  assert.equal(meta?.title, "a1");
  assert.deepEqual(meta?.series, []);
  assert.equal(told?.state, "waiting");
  assert.equal(told?.historyStart, null, "shaped as a stream's own status");
  assert.equal(
    told?.detail,
    'waiting for a first write to stream "a1": POST or PUT lines to /s/a1 with the push token',
  );
  assert.equal(server.streams.size, 0, "no viewer took a slot");
  assert.equal(server.streams.waitingCount, 5);
  const index = await fetch(new URL("/s/", server.url), {
    headers: { accept: "application/json" },
  });
  assert.deepEqual((await index.json()).streams, [], "GET /s/ lists none of them");

  const legit = await post(server.url, "legit", "1\n");
  assert.equal(legit.status, 200, "an authenticated writer is not refused 507");
  await legit.body?.cancel();

  // The first write to a waited-for stream creates it, and its viewer joins.
  assert.equal((await post(server.url, "a1", "temp\n21.5\n")).status, 200);
  await waitFor(
    () => dataLines(recorded[0]!.messages).length >= 1,
    5000,
    "the waiting viewer to get the first point",
  );
  assert.deepEqual(
    controlMessages(recorded[0]!.messages).findLast((m) => m.type === "meta")?.series,
    [{ id: 0, name: "temp" }],
  );
  assert.equal(server.streams.get("a1")?.hub.viewerCount, 1);
  assert.equal(server.streams.waitingCount, 4);
  await Promise.all(viewers.map((socket) => closeSocket(socket)));
  await waitFor(() => server.streams.waitingCount === 0, 5000, "closed viewers to stop waiting");
});

Deno.test("viewers waiting for streams are bounded, and past the bound are told to try later", () => {
  const streams = new Streams(registryOptions(1));
  try {
    const stops = Array.from(
      { length: MAX_WAITING_VIEWERS },
      (_, i) => streams.whenCreated(`s${i % 7}`, () => {}),
    );
    assert.ok(stops.every((stop) => stop !== undefined));
    assert.equal(streams.whenCreated("one-more", () => {}), undefined);
    stops[0]?.();
    const joined: string[] = [];
    assert.ok(streams.whenCreated("one-more", (stream) => joined.push(stream.name)));
    streams.open("one-more");
    assert.deepEqual(joined, ["one-more"]);
    assert.equal(streams.waitingCount, MAX_WAITING_VIEWERS - 1);
  } finally {
    streams.stop();
  }
});

Deno.test("route words and .csv names are reserved: pushes say why, reads never wait", async () => {
  await using server = await startTestServer({ token: TOKEN });
  for (
    const [name, why] of [["range", /reserved/], ["data", /reserved/], ["x.csv", /\.csv/]] as const
  ) {
    const answer = await post(server.url, name, "1\n");
    assert.equal(answer.status, 400, name);
    assert.match((await answer.json()).error, why);
  }
  assert.equal(server.streams.size, 0, "nothing was created");
  for (const path of ["/s/range", "/s/data", "/s/x.csv", "/s/range.csv", "/s/x/range"]) {
    const answer = await fetch(new URL(path, server.url));
    assert.equal(answer.status, 404, path);
    await answer.body?.cancel();
  }
});

Deno.test("series names are NFC and at most 200 characters, cut with an ellipsis", async () => {
  await using server = await startTestServer({ token: TOKEN });
  const long = "n".repeat(300);
  const body = `caf\u0065\u0301=1 caf\u00e9=2 ${long}=3 ${long}x=4\n`;
  assert.deepEqual(await (await post(server.url, "names", body)).json(), {
    taken: 1,
    headers: 0,
    blank: 0,
    skipped: 0,
  });
  const names = server.streams.get("names")?.hub.names ?? [];
  assert.deepEqual(names, ["caf\u00e9", `${"n".repeat(199)}…`]);
  assert.equal([...names[1]!].length, 200);
});

Deno.test("GET /s/ lists streams as HTML, or as JSON when asked", async () => {
  const streams: StreamSummary[] = [
    {
      name: "zeta",
      series: ["<b>"],
      pointsPerSecond: 0,
      viewers: 0,
      writers: 0,
      lastPointAt: null,
      state: "waiting",
      detail: "waiting for a first write",
    },
    {
      name: "alpha",
      series: ["r", "b"],
      pointsPerSecond: 12.34,
      viewers: 3,
      writers: 1,
      lastPointAt: 1_700_000_000,
      state: "live",
      detail: null,
    },
  ];
  const directory = { list: () => [...streams] };
  const json = serveStreamsIndex(
    new Request("http://h/s/", { headers: { accept: "application/json" } }),
    directory,
  );
  assert.equal(json.headers.get("content-type"), "application/json");
  const listed = await json.json();
  assert.deepEqual(listed.streams.map((stream: StreamSummary) => stream.name), ["alpha", "zeta"]);
  assert.equal(listed.streams[0].pointsPerSecond, 12.3);

  // A browser gets the styled page, which lists the same JSON itself (page_items_test.ts
  // checks it in Chromium, names escaped); no stream data is written into its markup.
  const html = serveStreamsIndex(new Request("http://h/s/"), directory);
  assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
  const text = await html.text();
  assert.match(text, /<script src="\/static\/modules\/streams_page.js" type="module">/);
  assert.ok(!text.includes("alpha") && !text.includes("<b>"), "no stream data in the markup");
});

Deno.test("stream names sort naturally: digit runs as numbers, however long", () => {
  const names = [
    "x10",
    "x9",
    "x",
    "x01",
    "x1",
    "9",
    "10",
    "x1a",
    "x1.5",
    "x99999999999999999999",
    "x100000000000000000000",
    "_",
  ];
  assert.deepEqual([...names].sort(naturalCompare), [
    "9",
    "10",
    "_",
    "x",
    "x01",
    "x1",
    "x1.5",
    "x1a",
    "x9",
    "x10",
    "x99999999999999999999",
    "x100000000000000000000",
  ]);
});

Deno.test("a registry holds no timer until its first stream, and stop clears them", () => {
  // The demo has no stream: its start neither sweeps nor samples (Deno.unrefTimer loads Node's
  // timers). The test's op sanitizer fails it if a timer is left running.
  const options = registryOptions(2);
  const idle = new Streams(options);
  assert.equal(idle.size, 0);
  const used = new Streams(options);
  assert.ok(used.open("one"));
  assert.equal(used.summaries()[0]?.pointsPerSecond, 0);
  used.stop();
});

Deno.test("a push's bad lines count on its stream's page, as a source's do, each kind logged once", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ token: TOKEN, maxLineBytes: 16 }, { log });
  const first = await post(server.url, "lab?format=pairs", `a=1\nfoo bar\nb=${"9".repeat(20)}\n`);
  assert.deepEqual(await first.json(), { taken: 1, headers: 0, blank: 0, skipped: 2 });
  const again = await post(server.url, "lab?format=pairs", `nope\nc=${"9".repeat(20)}\na=2\n`);
  assert.deepEqual(await again.json(), { taken: 1, headers: 0, blank: 0, skipped: 2 });
  const status = server.streams.get("lab")!.hub.status;
  assert.equal(status.skipped, 2);
  assert.equal(status.truncated, 2);
  assert.deepEqual(status.recentSkipped.map((skipped) => skipped.line), ["foo bar", "nope"]);
  const logged = (event: string) => lines.filter((line) => line.includes(`event=${event} `));
  assert.equal(logged("lines-skipped").length, 1, lines.join("\n"));
  assert.match(logged("lines-skipped")[0]!, /stream=lab .*reason=/);
  assert.equal(logged("lines-cut-off").length, 1, lines.join("\n"));
  assert.match(logged("lines-cut-off")[0]!, /stream=lab limit=16 /);
});

Deno.test("a series past the cap is refused and logged once, with the way out", async () => {
  const { log, lines } = captureLog();
  await using server = await startTestServer({ token: TOKEN }, { log });
  const wide = Array.from({ length: 70 }, (_, i) => `s${i}=${i}`).join(" ");
  const answer = await post(server.url, "wide", `${wide}\n${wide}\n`);
  assert.deepEqual(await answer.json(), { taken: 2, headers: 0, blank: 0, skipped: 0 });
  const hub = server.streams.get("wide")!.hub;
  assert.equal(hub.names.length, 64);
  assert.equal(hub.status.refused, 12, "6 series past the cap, twice");
  const logged = lines.filter((line) => line.includes("event=series-refused "));
  assert.equal(logged.length, 1, lines.join("\n"));
  assert.match(logged[0]!, /stream=wide series=s64 limit=64 note=".*--match/);
});
