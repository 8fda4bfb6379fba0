import assert from "node:assert/strict";
import dgram from "node:dgram";
import { MAX_SERIES } from "../stream/sink.ts";
import {
  captureLog,
  closeSocket,
  controlMessages,
  dataLines,
  record,
  socketUrl,
  spawnCli,
  startTestServer,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";
import { startRedis } from "./redis_server.ts";

const TOKEN = "test-token-0123456789";

/** A liveplot process on Redis: `args` may add a source. */
function startProcess(redis: string, args: string[] = []) {
  return spawnCli(["--port", "0", "--no-open", "--redis", redis, "--token", TOKEN, ...args], {
    stdin: args.includes("-") ? "piped" : "null",
  });
}

/**
 * Waits until every process says it is connected to Redis. A process reads Redis from what is
 * there when it connects (redis_reader.ts): a point pushed before then never reaches it.
 */
async function connectedToRedis(...clis: { stderr: string[] }[]): Promise<void> {
  for (const [index, cli] of clis.entries()) {
    await waitForLine(
      cli.stderr,
      "redis-connected",
      10_000,
      `process ${index + 1} connected to Redis`,
    );
  }
}

/** A viewer of `path` that keeps every data line as `name x y`, using the meta's names. */
async function viewerOf(url: URL, path: string) {
  const socket = new WebSocket(socketUrl(url, path));
  const recorded = record(socket);
  await withTimeout(
    new Promise((resolve) => socket.addEventListener("open", resolve, { once: true })),
    5000,
    `a viewer of ${path}`,
  );
  const named = () => {
    const metas = controlMessages(recorded.messages).filter((m) => m.type === "meta");
    const names = new Map<string, string>();
    for (const meta of metas) {
      for (const series of meta.series as { id: number; name: string }[]) {
        names.set(String(series.id), series.name);
      }
    }
    return dataLines(recorded.messages).map((line) => {
      const [id, x, y] = line.split(" ");
      return `${names.get(id as string) ?? `#${id}`} ${x} ${y}`;
    });
  };
  return { socket, messages: recorded.messages, named };
}

async function push(url: URL, stream: string, body: string, token = TOKEN): Promise<Response> {
  return await fetch(new URL(`/s/${stream}`, url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });
}

/**
 * Pushes as a client should: a 503 while the process is still connecting to Redis is
 * tried again after its Retry-After (shortened here), until `ms` have passed.
 */
async function pushWhenReady(url: URL, stream: string, body: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await push(url, stream, body);
    if (response.status !== 503 || Date.now() > deadline) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("two processes on one Redis: a command on one, a push on the other, identical viewers", async () => {
  await using redis = await startRedis();
  const first = startProcess(redis.url, [
    "--stream",
    "mixed",
    "--x",
    "index",
    "--",
    "sh",
    "-c",
    'sleep 1; for i in 1 2 3 4 5; do echo "a=$i"; sleep 0.1; done',
  ]);
  const second = startProcess(redis.url);
  const [firstUrl, secondUrl] = await Promise.all([first.url, second.url]);
  await connectedToRedis(first, second);
  const onFirst = await viewerOf(firstUrl, "/s/mixed/data");
  const onSecond = await viewerOf(secondUrl, "/s/mixed/data");

  const pushed = await pushWhenReady(secondUrl, "mixed", "b=10\nb=20\n");
  assert.equal(pushed.status, 200);
  assert.deepEqual(await pushed.json(), { taken: 2, headers: 0, blank: 0, skipped: 0 });

  const complete = (lines: string[]) =>
    lines.filter((line) => line.startsWith("a ")).length === 5 &&
    lines.filter((line) => line.startsWith("b ")).length === 2;
  await waitFor(() => complete(onFirst.named()), 10_000, "5 points of a and 2 of b on the first");
  await waitFor(() => complete(onSecond.named()), 10_000, "the same on the second");
  assert.deepEqual(onSecond.named(), onFirst.named(), "identical points in identical order");

  // A late joiner on either process gets the same window: a joiner's window comes series by
  // series, so each series' points are compared in order, not how the two series interleaved.
  const bySeries = (lines: string[]) =>
    Object.groupBy(lines, (line) => line.split(" ")[0] as string);
  const late = await viewerOf(secondUrl, "/s/mixed/data");
  await waitFor(() => complete(late.named()), 5000, "the window for a late joiner");
  assert.deepEqual(bySeries(late.named()), bySeries(onFirst.named()));

  // Killing the first process moves its viewers to the second with no gap.
  first.process.kill("SIGKILL");
  await first.process.status;
  const moved = await viewerOf(secondUrl, "/s/mixed/data");
  await waitFor(() => complete(moved.named()), 5000, "the window after the move");
  assert.deepEqual(bySeries(moved.named()), bySeries(onFirst.named()));

  for (const viewer of [onSecond, late, moved]) await closeSocket(viewer.socket);
  onFirst.socket.close();
  await first.stop();
  assert.equal((await second.stop()).code, 0);
});

Deno.test("Redis stopped and restarted: viewers are told, pushes get 503, then all resumes", async () => {
  await using redis = await startRedis();
  const server = startProcess(redis.url, ["--stream", "s", "--x", "index", "-"]);
  const url = await server.url;
  const writer = server.process.stdin.getWriter();
  const encoder = new TextEncoder();
  const viewer = await viewerOf(url, "/data");
  await writer.write(encoder.encode("1\n2\n"));
  await waitFor(() => viewer.named().length === 2, 5000, "two points through Redis");

  await redis.kill();
  await waitFor(
    () =>
      controlMessages(viewer.messages).some((m) => m.type === "status" && m.store === "waiting"),
    10_000,
    "a status saying the data store is away",
  );
  const refused = await push(url, "other", "5\n");
  assert.equal(refused.status, 503);
  assert.ok(refused.headers.get("retry-after"));
  await refused.body?.cancel();
  // The source goes on being read into the local buffer meanwhile.
  await writer.write(encoder.encode("3\n"));
  const page = await fetch(url);
  assert.equal(page.status, 200, "pages stay served");
  await page.body?.cancel();

  await redis.start();
  await waitFor(
    () =>
      controlMessages(viewer.messages).some((m) => m.type === "status" && m.store === "connected"),
    15_000,
    "the data store back",
  );
  await waitFor(() => viewer.named().length >= 3, 10_000, "the buffered point after the outage");
  const ys = viewer.named().map((line) => line.split(" ")[2]);
  assert.deepEqual(ys.slice(0, 3), ["1", "2", "3"], "no duplicate, in order");
  assert.equal(new Set(viewer.named()).size, viewer.named().length, "no duplicates");
  // Redis came back empty: the page is told its data store lost points.
  await waitFor(
    () => controlMessages(viewer.messages).some((m) => m.type === "status" && Number(m.gaps) > 0),
    10_000,
    "a status reporting the gap",
  );
  await writer.close();
  await closeSocket(viewer.socket);
  assert.equal((await server.stop()).code, 0);
});

Deno.test("pushes need the token and a same-origin (or no) Origin", async () => {
  await using redis = await startRedis();
  const server = startProcess(redis.url);
  const url = await server.url;
  const noToken = await fetch(new URL("/s/x", url), { method: "POST", body: "1\n" });
  assert.equal(noToken.status, 401);
  await noToken.body?.cancel();
  const wrong = await push(url, "x", "1\n", "wrong-token");
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const foreign = await fetch(new URL("/s/x", url), {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" },
    body: "1\n",
  });
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  const good = await pushWhenReady(url, "x", "1\n2\n");
  assert.deepEqual(await good.json(), { taken: 2, headers: 0, blank: 0, skipped: 0 });
  const index = await fetch(new URL("/s/", url), { headers: { accept: "application/json" } });
  const listed = await index.json() as { streams: { name: string }[] };
  assert.ok(listed.streams.some((stream) => stream.name === "x"), JSON.stringify(listed));
  assert.equal((await server.stop()).code, 0);
});

Deno.test("an unparseable --redis URL is one line and exit 2", async () => {
  const cli = spawnCli(["--port", "0", "--no-open", "--redis", "not a url"]);
  const status = await withTimeout(cli.process.status, 10_000, "liveplot to exit");
  assert.equal(status.code, 2);
  await cli.stop();
  assert.match(cli.stderr[0] ?? "", /^liveplot: --redis must be a URL like redis:\/\//);
});

Deno.test({
  name: "two processes share one port with --reuse-port and serve the same stream through Redis",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using redis = await startRedis();
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String(probe.addr.port);
    probe.close();
    const common = ["--no-open", "--redis", redis.url, "--token", TOKEN, "--reuse-port", "-v"];
    // Deno.serve's reusePort is behind --unstable-net in Deno 2.9: spawnCli gives the start
    // task's unstable flags.
    const first = spawnCli(["--port", port, ...common]);
    const second = spawnCli(["--port", port, ...common]);
    const [url] = await Promise.all([first.url, second.url]);
    await connectedToRedis(first, second);
    // Viewers land on either process; a push through either reaches all of them.
    const viewers = await Promise.all(
      Array.from({ length: 16 }, () => viewerOf(url as URL, "/s/shared/data")),
    );
    const pushed = await pushWhenReady(url as URL, "shared", "v=1\nv=2\nv=3\n");
    assert.equal(pushed.status, 200);
    await pushed.body?.cancel();
    for (const viewer of viewers) {
      await waitFor(() => viewer.named().length === 3, 10_000, "three points on every viewer");
      assert.deepEqual(viewer.named().map((line) => line.split(" ")[2]), ["1", "2", "3"]);
    }
    // The kernel spread the 16 viewers over both (all on one: a chance of 1 in 32,768).
    const opened = (cli: typeof first) =>
      cli.stderr.filter((line) => line.includes("event=websocket-opened")).length;
    assert.ok(opened(first) > 0 && opened(second) > 0, `${opened(first)} and ${opened(second)}`);
    for (const viewer of viewers) await closeSocket(viewer.socket);
    assert.equal((await first.stop()).code, 0);
    assert.equal((await second.stop()).code, 0);
  },
});

Deno.test("a start that fails (port taken, source cannot start) leaves no Redis connection", async () => {
  await using redis = await startRedis();
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const udp = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  // Connections Redis has had and has, less the INFO calls' own (one each, open while it answers).
  let calls = 0;
  const connections = async () => {
    const info = await redis.command("INFO", "clients", "stats");
    calls++;
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1]);
    return {
      made: field("total_connections_received") - calls,
      open: field("connected_clients") - 1,
    };
  };
  const before = (await connections()).made;
  const failedStart = async (overrides: Parameters<typeof startTestServer>[0], error: RegExp) => {
    const made = (await connections()).made;
    await assert.rejects(startTestServer({ redis: redis.url, ...overrides }), error);
    // Its two clients connected (now or a moment later, had they been left connecting)...
    await waitFor(async () => (await connections()).made >= made + 2, 5000, "two connections");
    // ...and none stays.
    await waitFor(async () => (await connections()).open === 0, 5000, "no connection left open");
  };
  try {
    await failedStart(
      { port: tcp.addr.port },
      /^ListenError: Cannot listen on 127\.0\.0\.1:\d+: port \d+ is already in use \(--port N/,
    );
    const { port } = udp.address();
    await failedStart(
      { source: { kind: "udp", hostname: "127.0.0.1", port } },
      /^SourceStartError: Cannot listen for UDP on .*: the port is already in use$/,
    );
    assert.equal((await connections()).made, before + 4);
  } finally {
    tcp.close();
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
});

Deno.test("a viewer-only process lists its / stream only once a point arrives through Redis", async () => {
  await using redis = await startRedis();
  await using server = await startTestServer({ redis: redis.url, token: TOKEN });
  const listed = async () => {
    const index = await fetch(new URL("/s/", server.url), {
      headers: { accept: "application/json" },
    });
    return ((await index.json()).streams as { name: string }[]).map((stream) => stream.name);
  };
  assert.deepEqual(await listed(), [], "no phantom stream before any point");
  const pushed = await pushWhenReady(server.url, "default", "v=1\n");
  assert.equal(pushed.status, 200);
  await pushed.body?.cancel();
  await waitFor(async () => (await listed()).includes("default"), 10_000, "default listed");
});

Deno.test("points refused before Redis (past the series cap, not finite) are counted and the cap logged", async () => {
  await using redis = await startRedis();
  const captured = captureLog();
  await using server = await startTestServer(
    { redis: redis.url, token: TOKEN },
    { log: captured.log },
  );
  const columns = Array.from({ length: MAX_SERIES + 6 }, (_, index) => `c${index}`);
  const row = columns.map((_, index) => String(index)).join(" ");
  const body = `${columns.join(" ")}\n${row}\n${row.replace(/^0 /, "1e999 ")}\n`;
  const pushed = await pushWhenReady(server.url, "wide", body);
  assert.equal(pushed.status, 200);
  await pushed.body?.cancel();
  const hub = () => server.streams.get("wide")?.hub;
  await waitFor(() => hub()?.names.length === MAX_SERIES, 10_000, "the first 64 series");
  // 6 columns past the cap on each row, and 1e999 (not finite): as a process without Redis counts them.
  await waitFor(() => hub()?.status.refused === 13, 5000, "13 points refused");
  const logged = captured.lines.filter((line) => line.includes("event=series-refused"));
  assert.equal(logged.length, 1, logged.join("\n"));
  assert.match(logged[0]!, /stream=wide series=c64 limit=64/);
});

Deno.test("a process started with --stream serves that stream's window from Redis at once", async () => {
  await using redis = await startRedis();
  await using writer = await startTestServer({ redis: redis.url, token: TOKEN });
  const lines = Array.from({ length: 50 }, (_, index) => `${index} ${index * 2}`).join("\n");
  const pushed = await pushWhenReady(writer.url, "cnt", `${lines}\n`);
  assert.equal(pushed.status, 200);
  await pushed.body?.cancel();
  // Its main stream is made at start, before it has connected to Redis.
  await using late = await startTestServer({ redis: redis.url, stream: "cnt" });
  await waitFor(
    async () => {
      const range = await (await fetch(new URL("/data/range", late.url))).json();
      return range.series?.[0]?.x.length === 50;
    },
    10_000,
    "the 50 points pushed before it started",
  );
});

Deno.test("a stream from Redis past --max-streams is not served, and the log says so", async () => {
  await using redis = await startRedis();
  await using writer = await startTestServer({ redis: redis.url, token: TOKEN });
  const captured = captureLog();
  // Room for its own stream (`/`'s) alone.
  await using full = await startTestServer({ redis: redis.url, maxStreams: 1 }, {
    log: captured.log,
  });
  // Connected (its reader synced): it reads what is written from now on.
  await waitFor(
    () => full.streams.get("default")?.hub.status.store === "connected",
    10_000,
    "connected",
  );
  const pushed = await pushWhenReady(writer.url, "extra", "1\n");
  assert.equal(pushed.status, 200);
  await pushed.body?.cancel();
  await waitForLine(
    captured.lines,
    /event=stream-not-served stream=extra limit=1/,
    10_000,
    "stream-not-served logged",
  );
  assert.equal(full.streams.get("extra"), undefined);
});
