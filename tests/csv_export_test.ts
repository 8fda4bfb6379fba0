import assert from "node:assert/strict";
import { createCsvExportRoute, MAX_CSV_EXPORTS } from "../handlers/data_csv.ts";
import { CSV_CHUNK_BYTES, csvChunks, quote } from "../stream/csv_export.ts";
import { History, type MergedPoint } from "../stream/history.ts";
import { FIXTURES, startPiped, startTestServer, waitFor, withTimeout } from "./helpers.ts";
import { rawExchange } from "./raw_socket.ts";

const serveCsvExport = createCsvExportRoute();

const FIXTURE = `${FIXTURES}csv_memory.ts`;

function history(points: [number, number, number][]): History {
  const history = new History({ maxBytes: 1 << 30, windowPoints: 10 });
  for (const [series, x, y] of points) history.append(series, x, y);
  return history;
}

/** A history that counts the points its merge has handed out, to see how far an export got. */
class CountingHistory extends History {
  handedOut = 0;
  override *merged(from?: number, to?: number): Generator<MergedPoint, void, undefined> {
    for (const point of super.merged(from, to)) {
      this.handedOut++;
      yield point;
    }
  }
}

const SAMPLE: [number, number, number][] = [
  [0, 1, 10],
  [1, 1, 20],
  [0, 2, 11],
  [2, 2.5, 30],
  [1, 3, 21],
  [1, 3, 22],
];

Deno.test("wide CSV: one row per x, names quoted per RFC 4180, empty cells for gaps", () => {
  const text = [...csvChunks({
    history: history(SAMPLE),
    names: ["plain", 'with "quotes", comma', "line\nbreak"],
    xKind: "number",
  })].join("");
  assert.equal(
    text,
    'x,plain,"with ""quotes"", comma","line\nbreak"\r\n' +
      "1,10,20,\r\n" +
      "2,11,,\r\n" +
      "2.5,,,30\r\n" +
      "3,,21,\r\n" +
      "3,,22,\r\n",
  );
});

Deno.test("long CSV: series,x,y in x order; from and to bound it", () => {
  const text = [...csvChunks({
    history: history(SAMPLE),
    names: ["a", "b,c", "d"],
    xKind: "number",
    long: true,
    from: 2,
    to: 3,
  })].join("");
  assert.equal(text, 'series,x,y\r\na,2,11\r\nd,2.5,30\r\n"b,c",3,21\r\n"b,c",3,22\r\n');
});

Deno.test("time x is written as ISO 8601 UTC with milliseconds or microseconds", () => {
  const start = Date.UTC(2026, 10, 25, 20, 4, 3) / 1000;
  const text = [...csvChunks({
    history: history([[0, start, 1], [0, start + 0.25, 2], [0, start + 1.000001, 3]]),
    names: ["v"],
    xKind: "time",
  })].join("");
  assert.equal(
    text,
    "x,v\r\n2026-11-25T20:04:03.000Z,1\r\n2026-11-25T20:04:03.250Z,2\r\n" +
      "2026-11-25T20:04:04.000001Z,3\r\n",
  );
});

Deno.test("an empty history exports the header alone; missing names get a default", () => {
  const empty = new History({ maxBytes: 0, windowPoints: 1 });
  assert.equal([...csvChunks({ history: empty, names: [], xKind: "index" })].join(""), "x\r\n");
  const one = history([[1, 0, 5]]);
  assert.equal(
    [...csvChunks({ history: one, names: ["a"], xKind: "index" })].join(""),
    "x,a,series 1\r\n0,,5\r\n",
  );
  assert.equal(quote("a b"), "a b");
  assert.equal(quote('"'), '""""');
});

Deno.test("a million points stream out in chunks with flat memory", async () => {
  // A process of its own, so that a full collection can tell what is held from garbage.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-read", FIXTURE],
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const { bytes, chunks, peak } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.ok(bytes > 40_000_000, `only ${bytes} bytes`);
  assert.ok(chunks > bytes / (2 * CSV_CHUNK_BYTES), `${chunks} chunks for ${bytes} bytes`);
  // The whole text at once would take `bytes` of heap at least; chunks take 64 KiB.
  assert.ok(peak < 4_000_000, `the heap held ${peak} more bytes during a ${bytes} byte export`);
});

Deno.test("GET data.csv stops making CSV while the client does not read", async () => {
  const store = new CountingHistory({ maxBytes: 1 << 30, windowPoints: 10 });
  const total = 2_000_000;
  for (let index = 0; index < total; index++) store.append(0, index, index % 1000);
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      serveCsvExport(request, { history: store, names: ["v"], xKind: "index" }, "a b.csv", "::1"),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/data.csv`);
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
  assert.equal(response.headers.get("content-disposition"), 'attachment; filename="a_b.csv"');
  const reader = response.body!.getReader();
  let rows = 0;
  const count = (bytes: Uint8Array) => {
    for (const byte of bytes) if (byte === 10) rows++;
  };
  count((await reader.read()).value!);
  // Let the server run ahead as far as it will: only socket buffers' worth.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stalledAt = store.handedOut;
  console.log(`export stalled at ${stalledAt} of ${total} points`);
  assert.ok(stalledAt < total / 2, `the export ran on to ${stalledAt} of ${total} points`);
  await withTimeout(
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        count(value);
      }
    })(),
    20_000,
    "the rest of the export",
  );
  assert.equal(store.handedOut, total);
  assert.equal(rows, total + 1, "a header and a row per point");
});

Deno.test("at most four CSV exports run at once; the fifth gets 503 with Retry-After", async () => {
  await using server = await startTestServer({ token: "csv-cap" });
  await server.streams.ready();
  const stream = server.streams.open("big")!;
  // More CSV than socket buffers hold, so an export that is not read stays running.
  for (let index = 0; index < 2_000_000; index++) stream.hub.add("v", index, index % 1000);
  stream.hub.commit();
  const port = Number(server.url.port);
  const request = new TextEncoder().encode(
    `GET /s/big.csv HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`,
  );
  /** Opens an export and reads its head alone; the rest is left unread. */
  const openExport = async () => {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port });
    await connection.write(request);
    const buffer = new Uint8Array(1024);
    const read = await withTimeout(connection.read(buffer), 10_000, "an export's head");
    return { connection, head: new TextDecoder().decode(buffer.subarray(0, read ?? 0)) };
  };
  const running = [];
  for (let i = 0; i < MAX_CSV_EXPORTS; i++) {
    const opened = await openExport();
    running.push(opened.connection);
    assert.match(opened.head, /^HTTP\/1\.1 200/, `export ${i + 1}`);
  }
  try {
    const refused = await rawExchange(port, request);
    assert.match(refused, /^HTTP\/1\.1 503/);
    assert.match(refused, /retry-after: 5/i);
    assert.match(refused, /Too many CSV exports at once \(4\): try again/);
    // A client that goes away gives its slot back.
    running.shift()?.close();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const opened = await openExport();
      if (opened.head.startsWith("HTTP/1.1 200")) {
        running.push(opened.connection);
        break;
      }
      opened.connection.close();
      assert.ok(Date.now() < deadline, "a slot came free once a reader left");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    for (const connection of running) connection.close();
  }
});

Deno.test("series names that would start a spreadsheet formula are written as text", () => {
  const store = history([
    [0, 1, -1.5],
    [1, 1, 2],
    [2, 1, 3],
    [3, 1, 4],
    [4, 1, 5],
    [5, 1, 6],
    [6, 1, 7],
  ]);
  const names = ['=HYPERLINK("http://x")', "@SUM(1+1)", "+1", "-cmd", "\tx", "\rcr", " =1+1"];
  const wide = [...csvChunks({ history: store, names, xKind: "index" })].join("");
  assert.equal(
    wide.split("\r\n")[0],
    `x,"'=HYPERLINK(""http://x"")",'@SUM(1+1),'+1,'-cmd,'\tx,"'\rcr"," =1+1"`,
  );
  assert.equal(wide.split("\r\n")[1], "1,-1.5,2,3,4,5,6,7", "numbers stay numbers, -1.5 included");
  const long = [...csvChunks({ history: store, names, xKind: "index", long: true })].join("");
  assert.equal(long.split("\r\n")[1], `"'=HYPERLINK(""http://x"")",1,-1.5`);
  assert.equal(long.split("\r\n")[2], "'@SUM(1+1),1,2");
});

Deno.test("the page's CSV button writes every x with the digits of the server's export", async () => {
  const { tableCsv } = await import("../static/modules/export.js");
  const xs = [
    1767225600,
    1767225600.000001,
    1767225600.1234567,
    1767225600.9999996,
    1767225600.665001,
    -1.5,
    -0.0000015,
    0,
    8.64e12,
    8.64e12 + 1,
    -9e12,
    1e300,
  ];
  for (const kind of ["time", "index", "number"] as const) {
    const server = [...csvChunks({
      history: history(xs.map((x, i) => [0, x, i])),
      names: ["v"],
      xKind: kind,
    })].join("").split("\r\n").slice(1, -1).map((line) => line.split(",")[0]);
    const sorted = [...xs].sort((a, b) => a - b);
    const page = tableCsv({
      xs: sorted,
      columns: [sorted.map((x) => xs.indexOf(x))],
      names: ["v"],
      kind,
      from: 0,
      to: sorted.length,
    }).split("\n").slice(1, -1).map((line) => line.split(",")[0]);
    assert.deepEqual(page, server, kind);
  }
});

Deno.test("served: a CSV's date and time columns are one x, exported as date plus time", async () => {
  await using piped = await startPiped({ x: { kind: "auto" } });
  const hub = piped.server.hub!;
  await piped.write(
    "date,time,temp\n2026-12-07,10:00:00,21.5\n2026-12-07,10:00:01,22.5\n" +
      "2026-12-07,10:00:02,23.5\n",
  );
  await waitFor(() => hub.pointCount === 3, 5000, "the three rows");
  const csv = await (await fetch(new URL("/data.csv", piped.server.url))).text();
  const iso = (second: number) => new Date(2026, 11, 7, 10, 0, second).toISOString();
  assert.deepEqual(csv.trim().split("\r\n"), [
    "x,temp",
    `${iso(0)},21.5`,
    `${iso(1)},22.5`,
    `${iso(2)},23.5`,
  ]);
  assert.ok(
    piped.log.some((line) =>
      line.includes("event=format-detected format=csv series=1 x=date+time")
    ),
    piped.log.join("\n"),
  );
});
