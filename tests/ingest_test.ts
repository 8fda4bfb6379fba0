import assert from "node:assert/strict";
import {
  createIngestHandler,
  type IngestOptions,
  type IngestStreams,
  type IngestWriter,
} from "../handlers/ingest.ts";
import { identifyClient } from "../handlers/policy.ts";
import { createLineReader } from "../stream/formats/mod.ts";
import type { LineOutcome, LineReader } from "../stream/formats/types.ts";
import type { PointSink, XKind } from "../stream/sink.ts";
import { captureLog, withTimeout } from "./helpers.ts";

const TOKEN = "s3cret-token";

/** A sink that keeps what it was given, by stream. */
class KeptStream implements PointSink {
  readonly points: string[] = [];
  readonly xs: number[] = [];
  readonly skipped: string[] = [];
  cutOff = 0;
  commits = 0;
  xKind: XKind | undefined;
  add(name: string, x: number, y: number): boolean {
    if (!Number.isFinite(y)) return false;
    this.points.push(`${name} ${y}`);
    this.xs.push(x);
    return true;
  }
  commit(): void {
    this.commits++;
  }
  setXKind(kind: XKind): void {
    this.xKind = kind;
  }
}

/** Whitespace-separated numbers, one series per column (`c0`, `c1`…); `#` lines are headers. */
function columnsReader(): LineReader {
  let skipReason = "";
  return {
    get skipReason() {
      return skipReason;
    },
    detected: undefined,
    read(line: string, arrival: number, sink: PointSink): LineOutcome {
      if (line.trim() === "") return "blank";
      if (line.startsWith("#")) return "header";
      const values = line.trim().split(/\s+/).map(Number);
      if (values.some((value) => !Number.isFinite(value))) {
        skipReason = "not a number";
        return "skipped";
      }
      values.forEach((value, i) => sink.add(`c${i}`, arrival, value));
      return "points";
    },
  };
}

interface Harness extends AsyncDisposable {
  url: (path: string) => string;
  streams: Map<string, KeptStream>;
  lines: string[];
  /** Set to make the streams refuse points (as a full backplane would), or refuse a new one. */
  refuse: { now: string | undefined; full: boolean };
  open: { writers: number };
}

function startIngest(overrides: Partial<IngestOptions> = {}): Harness {
  const streams = new Map<string, KeptStream>();
  const { log, lines } = captureLog();
  const refuse: Harness["refuse"] = { now: undefined, full: false };
  const open = { writers: 0 };
  const registry: IngestStreams = {
    openWriter(name): IngestWriter | undefined {
      if (refuse.full) return undefined;
      const sink = streams.get(name) ?? new KeptStream();
      streams.set(name, sink);
      open.writers++;
      return {
        sink,
        blocked: () => refuse.now,
        readerFor: (format) =>
          format === "auto" ? columnsReader() : createLineReader(format, { kind: "auto" }),
        close: () => open.writers--,
        detected: () => {},
        skipped: (line, reason) => sink.skipped.push(`${line}: ${reason}`),
        cutOff: () => sink.cutOff++,
        headers: () => {},
      };
    },
  };
  const ingest = createIngestHandler({
    token: TOKEN,
    policy: { origins: ["https://allowed.example"], hostname: "127.0.0.1", trustProxy: false },
    streams: registry,
    format: "auto",
    x: { kind: "auto" },
    maxBodyBytes: 1000,
    maxIngestRate: 1_000_000,
    maxLineBytes: 1024,
    log,
    ...overrides,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request, info) => {
      const { pathname } = new URL(request.url);
      const client = identifyClient(request, info.remoteAddr, false);
      return ingest(request, { name: decodeURIComponent(pathname.slice(3)), client });
    },
  );
  return {
    url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
    streams,
    lines,
    refuse,
    open,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function post(url: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    body,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
}

Deno.test("POST /s/NAME with the token appends its lines and answers the counts", async () => {
  await using ingest = startIngest();
  const response = await post(ingest.url("/s/cpu.load"), "# user sys\n1 2\n\nnope\n3 4\n5 6");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), { taken: 3, headers: 1, blank: 1, skipped: 1 });
  assert.deepEqual(ingest.streams.get("cpu.load")?.points, [
    "c0 1",
    "c1 2",
    "c0 3",
    "c1 4",
    "c0 5",
    "c1 6",
  ]);
  assert.equal(ingest.open.writers, 0, "the writer's seat is given back");
  assert.deepEqual(ingest.streams.get("cpu.load")?.skipped, ["nope: not a number"]);
  // Each line's arrival time, later than the one before: x never goes back.
  const xs = ingest.streams.get("cpu.load")!.xs.filter((_, i) => i % 2 === 0);
  assert.ok(xs.every((x, i) => i === 0 || x > (xs[i - 1] as number)), xs.join(","));
  assert.ok(Math.abs((xs[0] as number) - Date.now() / 1000) < 60);
});

Deno.test("every line of a push is counted once: taken, headers, blank or skipped", async () => {
  await using ingest = startIngest({ format: "pairs", maxLineBytes: 64 });
  // Issue 20's pairs body, a header-free run of kinds, a blank line and one line over the limit.
  const lines = ["a=1 b=2", "<script>x</script>", "foo bar", "c:3", "", "d=" + "9".repeat(80)];
  const response = await post(ingest.url("/s/pairs"), lines.join("\n") + "\n");
  assert.equal(response.status, 200);
  const counts = await response.json();
  assert.deepEqual(counts, { taken: 2, headers: 0, blank: 1, skipped: 3 });
  assert.deepEqual(ingest.streams.get("pairs")?.points, ["a 1", "b 2", "c 3"]);
  // The stream hears of each: two lines that fit no format, one cut off.
  assert.equal(ingest.streams.get("pairs")?.skipped.length, 2);
  assert.equal(ingest.streams.get("pairs")?.cutOff, 1);

  await using csv = startIngest({ format: "csv" });
  const headed = await post(csv.url("/s/lab"), "t,temp\n\n1700000000,21.5\n#\n");
  assert.deepEqual(await headed.json(), { taken: 1, headers: 1, blank: 1, skipped: 1 });
});

Deno.test("a missing or wrong token answers 401, logged once per address per minute", async () => {
  await using ingest = startIngest();
  const missing = await fetch(ingest.url("/s/a"), { method: "POST", body: "1\n" });
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  await missing.body?.cancel();
  for (const token of ["s3cret-tokeN", "s3cret-token2", "", "s3cret"]) {
    const wrong = await post(ingest.url("/s/a"), "1\n", { authorization: `Bearer ${token}` });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
  }
  assert.equal(ingest.streams.size, 0);
  assert.equal(ingest.lines.filter((line) => line.includes("event=ingest-unauthorized")).length, 1);
});

Deno.test("a foreign Origin answers 403 whatever the token; allowed origins and none pass", async () => {
  await using ingest = startIngest();
  const foreign = await post(ingest.url("/s/a"), "1\n", { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  const listed = await post(ingest.url("/s/a"), "1\n", { origin: "https://allowed.example" });
  assert.equal(listed.status, 200);
  await listed.body?.cancel();
  const own = await post(ingest.url("/s/a"), "2\n", { origin: new URL(ingest.url("/")).origin });
  assert.equal(own.status, 200);
  await own.body?.cancel();
  assert.deepEqual(ingest.streams.get("a")?.points, ["c0 1", "c0 2"]);
});

Deno.test("bad names, formats and methods are refused before anything is read", async () => {
  await using ingest = startIngest();
  for (
    const [path, method, status] of [
      ["/s/bad%20name", "POST", 400],
      [`/s/${"x".repeat(65)}`, "POST", 400],
      ["/s/ok?format=nonsense", "POST", 400],
      ["/s/ok", "DELETE", 405],
    ] as const
  ) {
    const response = await fetch(ingest.url(path), {
      method,
      body: "1\n",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, status, `${method} ${path}`);
    await response.body?.cancel();
  }
  assert.equal(ingest.streams.size, 0);
});

Deno.test("curl -T - (a PUT) streams each line as it is written", async () => {
  await using ingest = startIngest();
  const curl = new Deno.Command("curl", {
    args: ["-sS", "-T", "-", "-H", `Authorization: Bearer ${TOKEN}`, ingest.url("/s/piped")],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = curl.stdin.getWriter();
  await writer.write(new TextEncoder().encode("1 2\n"));
  await withTimeout(
    (async () => {
      while ((ingest.streams.get("piped")?.points.length ?? 0) < 2) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })(),
    5000,
    "curl's first line while its input is still open",
  );
  await writer.write(new TextEncoder().encode("3 4\n"));
  await writer.close();
  const { stdout, code } = await curl.output();
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
    taken: 2,
    headers: 0,
    blank: 0,
    skipped: 0,
  });
  assert.equal(ingest.streams.get("piped")?.points.length, 4);
});

Deno.test("Content-Length over --max-body answers 413 at once; a chunked body is streamed", async () => {
  await using ingest = startIngest();
  const big = "1\n".repeat(600);
  const refused = await post(ingest.url("/s/big"), big);
  assert.equal(refused.status, 413);
  assert.match((await refused.json()).error, /over the limit of 1000/);
  assert.equal(ingest.streams.size, 0);

  const chunked = await post(
    ingest.url("/s/big"),
    ReadableStream.from([new TextEncoder().encode(big)]),
  );
  assert.equal(chunked.status, 200);
  assert.deepEqual(await chunked.json(), { taken: 600, headers: 0, blank: 0, skipped: 0 });
});

Deno.test("a chunked body's lines reach the stream before the body ends", async () => {
  await using ingest = startIngest();
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const answer = post(ingest.url("/s/live"), body);
  controller.enqueue(encoder.encode("1\n2\n"));
  await withTimeout(
    (async () => {
      while ((ingest.streams.get("live")?.points.length ?? 0) < 2) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })(),
    3000,
    "the first chunk's points while the body is still open",
  );
  assert.ok((ingest.streams.get("live")?.commits ?? 0) >= 1);
  controller.enqueue(encoder.encode("3\n"));
  controller.close();
  const response = await answer;
  assert.deepEqual(await response.json(), { taken: 3, headers: 0, blank: 0, skipped: 0 });
  assert.deepEqual(ingest.streams.get("live")?.points, ["c0 1", "c0 2", "c0 3"]);
});

Deno.test("over --max-ingest-rate answers 429 with Retry-After and what was taken", async () => {
  // One line a second: the bucket cannot refill between the two requests below.
  await using ingest = startIngest({ maxIngestRate: 1 });
  const response = await post(
    ingest.url("/s/fast"),
    ReadableStream.from([new TextEncoder().encode("1\n2\n3\n4\n5\n6\n7\n8\n")]),
  );
  assert.equal(response.status, 429);
  assert.ok(Number(response.headers.get("retry-after")) >= 1);
  assert.equal(response.headers.get("connection"), "close", "the client sends no more on it");
  const answer = await response.json();
  assert.equal(answer.taken, 1);
  assert.deepEqual(ingest.streams.get("fast")?.points, ["c0 1"]);
  // The bucket is empty: the next request is refused before reading.
  const next = await post(ingest.url("/s/fast"), "9\n");
  assert.equal(next.status, 429);
  assert.equal((await next.json()).taken, 0);
  // One line each, naming the stream and the client.
  const log = ingest.lines.join("\n");
  const said = log.match(/refused status=429 stream=fast remote=127\.0\.0\.1:\d+ taken=\d/g);
  assert.deepEqual(said?.map((line) => line.at(-1)), ["1", "0"], log);
  // Another stream has its own bucket.
  const other = await post(ingest.url("/s/slow"), "1\n");
  assert.equal(other.status, 200);
  await other.body?.cancel();
});

Deno.test("a stream that cannot take points answers 507 or 503, with what was taken", async () => {
  await using ingest = startIngest();
  ingest.refuse.full = true;
  const full = await post(ingest.url("/s/new"), "1\n");
  assert.equal(full.status, 507);
  assert.deepEqual(await full.json(), {
    error: "Too many streams: try again later",
    taken: 0,
    headers: 0,
    blank: 0,
    skipped: 0,
  });
  ingest.refuse.full = false;

  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const answer = post(ingest.url("/s/new"), body);
  controller.enqueue(encoder.encode("1\n2\n"));
  while ((ingest.streams.get("new")?.points.length ?? 0) < 2) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  ingest.refuse.now = "Waiting for the data store";
  controller.enqueue(encoder.encode("3\n"));
  const response = await answer;
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.deepEqual(await response.json(), {
    error: "Waiting for the data store",
    taken: 2,
    headers: 0,
    blank: 0,
    skipped: 0,
  });
  assert.deepEqual(ingest.streams.get("new")?.points, ["c0 1", "c0 2"]);
  controller.close();
});

Deno.test("the real line readers work behind the route: a CSV body with a header", async () => {
  await using ingest = startIngest({ format: "csv" });
  const response = await post(
    ingest.url("/s/lab"),
    "time,temp,rh\n1700000000,21.5,40\n1700000001,21.6,41\n",
  );
  assert.deepEqual(await response.json(), { taken: 2, headers: 1, blank: 0, skipped: 0 });
  const kept = ingest.streams.get("lab")!;
  assert.deepEqual(kept.points, ["temp 21.5", "rh 40", "temp 21.6", "rh 41"]);
  assert.deepEqual(kept.xs, [1700000000, 1700000000, 1700000001, 1700000001]);
});
