import assert from "node:assert/strict";
import type { Backplane, Batch } from "../backplane/backplane.ts";
import { BackplaneUrlError } from "../backplane/backplane.ts";
import { StreamFeed } from "../backplane/feed.ts";
import { createRedisBackplane, parseRedisUrl } from "../backplane/redis.ts";
import { SILENCE_MS } from "../backplane/redis_client.ts";
import { captureLog, waitFor, waitForLine } from "./helpers.ts";
import { startRedis } from "./redis_server.ts";

/** What one process's subscriber heard: per stream, points as `name x y`. */
function listen(backplane: Backplane) {
  const points = new Map<string, string[]>();
  const batches: Batch[] = [];
  backplane.subscribe((stream, batch) => {
    batches.push(batch);
    const list = points.get(stream) ?? [];
    for (let i = 0; i < batch.xs.length; i++) {
      list.push(`${batch.names[batch.series[i] as number]} ${batch.xs[i]} ${batch.ys[i]}`);
    }
    points.set(stream, list);
  });
  return { points, batches };
}

/** `waitFor` with this file's order of arguments and its 5 s default. */
function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  return waitFor(condition, ms, what);
}

Deno.test("batches written on either process reach both, in the same order, once", async () => {
  await using redis = await startRedis();
  await using one = createRedisBackplane({ url: redis.url, log: captureLog().log });
  await using two = createRedisBackplane({ url: redis.url, log: captureLog().log });
  const heardOne = listen(one);
  const heardTwo = listen(two);
  await until(() => one.state === "connected" && two.state === "connected", "both connected");

  const writers = [one.writer("cpu"), two.writer("cpu"), one.writer("net.eth0")];
  let expected = 0;
  for (let read = 0; read < 200; read++) {
    const writer = writers[read % 3]!;
    writer.setXKind("index");
    writer.add("a", read, read * 2);
    writer.add("b", read, -read);
    writer.commit();
    expected += 2;
    if (read % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const total = (heard: ReturnType<typeof listen>) =>
    [...heard.points.values()].reduce((sum, list) => sum + list.length, 0);
  await until(() => total(heardOne) >= expected && total(heardTwo) >= expected, "all points");
  await new Promise((resolve) => setTimeout(resolve, 50));

  assert.equal(total(heardOne), expected);
  assert.deepEqual(heardOne.points.get("cpu"), heardTwo.points.get("cpu"));
  assert.deepEqual(heardOne.points.get("net.eth0"), heardTwo.points.get("net.eth0"));
  // Each writer's own points keep their order.
  const fromFirst = heardOne.points.get("net.eth0")!.filter((line) => line.startsWith("a "));
  assert.deepEqual(
    fromFirst,
    [...fromFirst].sort((p, q) => Number(p.split(" ")[1]) - Number(q.split(" ")[1])),
  );
  assert.equal(heardOne.batches[0]?.xKind, "index");
  assert.deepEqual(await one.streams().then((names) => names.sort()), ["cpu", "net.eth0"]);
});

Deno.test("recent() gives the last points of each series, oldest first", async () => {
  await using redis = await startRedis();
  await using writerSide = createRedisBackplane({ url: redis.url, log: captureLog().log });
  await until(() => writerSide.state === "connected", "connected");
  const writer = writerSide.writer("w");
  for (let read = 0; read < 100; read++) {
    writer.add("r", read, read);
    if (read % 2 === 0) writer.add("s", read, -read);
    writer.commit();
    // One entry per read: let each commit go out before the next.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));

  await using late = createRedisBackplane({ url: redis.url, log: captureLog().log });
  // Asked before it has connected, as a process started with --stream asks: it waits.
  assert.equal(late.state, "waiting");
  const window = await late.recent("w", 10);
  const xs = (name: string) =>
    window.flatMap((batch) =>
      [...batch.xs].filter((_, i) => batch.names[batch.series[i] as number] === name)
    );
  assert.deepEqual(xs("r").slice(-10), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  assert.ok(xs("s").length >= 10, `s has ${xs("s").length} points`);
  assert.deepEqual(xs("s").slice(-3), [94, 96, 98]);
  // Oldest first, and no more than needed for the sparser series.
  assert.ok(window.length <= 25, `${window.length} batches`);
  assert.deepEqual(await late.recent("none", 10), []);
});

Deno.test("Redis killed and restarted: waiting, then connected, queued points sent once, gap reported", async () => {
  await using redis = await startRedis();
  const writerLog = captureLog();
  const readerLog = captureLog();
  await using one = createRedisBackplane({ url: redis.url, log: writerLog.log });
  await using two = createRedisBackplane({ url: redis.url, log: readerLog.log });
  const heardOne = listen(one);
  const heardTwo = listen(two);
  await until(() => one.state === "connected" && two.state === "connected", "both connected");
  const states: string[] = [];
  two.onStateChange((state) => states.push(state));

  const writer = one.writer("s");
  let y = 0;
  const write = (count: number) => {
    for (let i = 0; i < count; i++) {
      writer.add("v", y, y);
      writer.commit();
      y++;
    }
  };
  write(50);
  await until(() => (heardTwo.points.get("s")?.length ?? 0) === 50, "points before the outage");

  await redis.kill();
  await until(() => one.state === "waiting" && two.state === "waiting", "state waiting");
  const firstDuringOutage = y;
  for (let round = 0; round < 10; round++) {
    write(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const lastDuringOutage = y - 1;
  assert.equal(writer.counts.lost, 0);
  await redis.start();
  await until(() => one.state === "connected" && two.state === "connected", "reconnected", 8000);
  write(20);

  for (const heard of [heardOne, heardTwo]) {
    await until(
      () => heard.points.get("s")?.at(-1) === `v ${y - 1} ${y - 1}`,
      "the last point after the restart",
    );
    const ys = heard.points.get("s")!.map((line) => Number(line.split(" ")[2]));
    // Strictly increasing: no duplicate, no reordering.
    assert.ok(ys.every((value, i) => i === 0 || value > (ys[i - 1] as number)), ys.join(","));
    // Everything written while Redis was away arrives.
    for (let value = firstDuringOutage; value <= lastDuringOutage; value++) {
      assert.ok(ys.includes(value), `missing ${value}`);
    }
    assert.ok(heard.batches.some((batch) => batch.gap), "a batch flagged as after a gap");
  }
  assert.deepEqual(states, ["waiting", "connected"]);
  assert.ok(readerLog.lines.some((line) => line.includes("event=redis-reset")));
  assert.equal(readerLog.lines.filter((line) => line.includes("event=redis-waiting")).length, 1);
});

Deno.test("a Redis that hangs (stopped, connections open) is waited out like one that went away", async () => {
  await using redis = await startRedis();
  const { log, lines } = captureLog();
  await using backplane = createRedisBackplane({ url: redis.url, log });
  const heard = listen(backplane);
  await until(() => backplane.state === "connected", "connected");
  const writer = backplane.writer("h");
  writer.add("v", 1, 1);
  writer.commit();
  await until(() => heard.points.get("h")?.length === 1, "a point before");
  redis.hang(true);
  try {
    writer.add("v", 2, 2);
    writer.commit();
    // Silent for SILENCE_MS: the connections are closed and waited on, as after a kill.
    await until(() => backplane.state === "waiting", "state waiting", SILENCE_MS + 5000);
    assert.ok(lines.some((line) => /event=redis-waiting .*reason="no answer for 5 s"/.test(line)));
  } finally {
    redis.hang(false);
  }
  await until(() => backplane.state === "connected", "connected again", 10_000);
  await until(() => heard.points.get("h")?.length === 2, "the point sent while it hung");
  assert.deepEqual(heard.points.get("h"), ["v 1 1", "v 2 2"], "once each, in order");
});

Deno.test("Redis unreachable at start: waits, says so once, connects when it can", async () => {
  await using redis = await startRedis();
  await redis.kill();
  const { log, lines } = captureLog();
  await using backplane = createRedisBackplane({ url: redis.url, log });
  const heard = listen(backplane);
  const writer = backplane.writer("late");
  writer.add("a", 1, 2);
  writer.commit();
  await waitForLine(lines, "redis-waiting", 5000, "waiting line");
  assert.equal(backplane.state, "waiting");
  await redis.start();
  await until(() => backplane.state === "connected", "connected");
  writer.add("a", 2, 3);
  writer.commit();
  await until(() => heard.points.get("late")?.length === 2, "both points");
  assert.deepEqual(heard.points.get("late"), ["a 1 2", "a 2 3"]);
});

Deno.test("a full local queue counts lost points and says so", async () => {
  await using redis = await startRedis();
  await redis.kill();
  const { log, lines } = captureLog();
  await using backplane = createRedisBackplane({ url: redis.url, log, bufferBytes: 1000 });
  const writers = [backplane.writer("a"), backplane.writer("b")];
  for (let i = 0; i < 100; i++) {
    const writer = writers[i % 2]!;
    writer.add("v", i, i);
    writer.commit();
  }
  assert.ok(backplane.full);
  const lost = writers[0]!.counts.lost + writers[1]!.counts.lost;
  assert.ok(lost > 0);
  assert.equal(lost + writers[0]!.counts.sent + writers[1]!.counts.sent, 100);
  assert.ok(lines.some((line) => line.includes("event=redis-queue-full")));
});

Deno.test("a database or password Redis refuses is said to be a setting to fix, not an outage", async () => {
  await using redis = await startRedis();
  const urls = [redis.url.replace(/\/0$/, "/99"), redis.url.replace("redis://", "redis://:pw@")];
  for (const url of urls) {
    const { log, lines } = captureLog();
    await using _backplane = createRedisBackplane({ url, log });
    const waiting = await waitForLine(lines, "redis-waiting", 5000, "waiting line");
    assert.match(waiting, /note="Redis refuses what --redis asks/, url);
  }
});

Deno.test("points still queued when Redis is away at shutdown are logged as lost", async () => {
  await using redis = await startRedis();
  await redis.kill();
  const { log, lines } = captureLog();
  const backplane = createRedisBackplane({ url: redis.url, log });
  const writer = backplane.writer("s");
  for (let i = 0; i < 3; i++) writer.add("v", i, i);
  writer.commit();
  await backplane[Symbol.asyncDispose]();
  assert.ok(lines.some((line) => /event=redis-unsent .*points=3 /.test(line)), lines.join("\n"));
});

Deno.test("a Redis URL that cannot be used is refused with one clear line", () => {
  for (const text of ["x", "localhost:6379", "http://127.0.0.1:6379", "redis://h:1/zero"]) {
    assert.throws(
      () => createRedisBackplane({ url: text, log: captureLog().log }),
      (error: Error) =>
        error instanceof BackplaneUrlError &&
        error.message ===
          `--redis must be a URL like redis://127.0.0.1:6379/0, not ${JSON.stringify(text)}`,
    );
  }
  assert.equal(parseRedisUrl("redis://127.0.0.1:6379/2").pathname, "/2");
  assert.equal(parseRedisUrl("redis://redis.internal").hostname, "redis.internal");
});

Deno.test("an entry Redis refuses for good is logged and skipped; others go on", async () => {
  await using redis = await startRedis();
  await redis.command("SET", "liveplot:s:taken", "not a stream");
  const { log, lines } = captureLog();
  await using backplane = createRedisBackplane({ url: redis.url, log });
  const heard = listen(backplane);
  await until(() => backplane.state === "connected", "connected");
  const blocked = backplane.writer("taken");
  blocked.add("a", 1, 1);
  blocked.commit();
  const fine = backplane.writer("fine");
  fine.add("a", 1, 1);
  fine.commit();
  await until(() => heard.points.get("fine")?.length === 1, "the other stream's point");
  assert.ok(
    lines.some((line) => line.includes("event=redis-refused") && line.includes("WRONGTYPE")),
  );
  assert.equal(backplane.lost, 1);
  assert.ok(lines.some((line) => line.includes("event=redis-foreign-key")));
  assert.deepEqual(await backplane.recent("taken", 10), []);
  fine.add("a", 2, 2);
  fine.commit();
  await until(() => heard.points.get("fine")?.length === 2, "reading goes on");
});

Deno.test("1,000 streams of one point each reach another process", async () => {
  await using redis = await startRedis();
  await using one = createRedisBackplane({ url: redis.url, log: captureLog().log });
  await using two = createRedisBackplane({ url: redis.url, log: captureLog().log });
  const heard = listen(two);
  await until(() => one.state === "connected" && two.state === "connected", "both connected");
  const writers = Array.from({ length: 1000 }, (_, i) => one.writer(`s${i}`));
  for (const round of [1, 2]) {
    writers.forEach((writer, i) => {
      writer.add("v", round, i);
      writer.commit();
    });
    await until(
      () =>
        heard.points.size === 1000 && [...heard.points.values()].every((p) => p.length === round),
      `round ${round} on all 1,000 streams`,
      10_000,
    );
  }
  assert.deepEqual(heard.points.get("s999"), ["v 1 999", "v 2 999"]);
  assert.equal((await two.streams()).length, 1000);
});

Deno.test("a stream joined late gets its window, then live points, with no gap or duplicate", async () => {
  await using redis = await startRedis();
  await using one = createRedisBackplane({ url: redis.url, log: captureLog().log });
  await using two = createRedisBackplane({ url: redis.url, log: captureLog().log });
  await until(() => one.state === "connected" && two.state === "connected", "both connected");
  const ys: number[] = [];
  const sink = {
    add: (_name: string, _x: number, y: number) => ys.push(y) > 0,
    commit: () => {},
    setXKind: () => {},
  };
  let feed: StreamFeed | undefined;
  two.subscribe((stream, batch) => {
    if (stream === "late") feed?.push(batch);
  });
  const writer = one.writer("late");
  let y = 0;
  const writing = (async () => {
    for (let i = 0; i < 150; i++) {
      writer.add("v", y, y);
      writer.add("v", y + 1, y + 1);
      writer.commit();
      y += 2;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (i === 75) feed = new StreamFeed(two, "late", sink, 20);
    }
  })();
  await writing;
  await feed!.ready;
  await until(() => ys.at(-1) === y - 1, "the last point");
  assert.ok(ys.length >= 20 + 100, `${ys.length} points`);
  assert.ok(ys.every((value, i) => i === 0 || value === (ys[i - 1] as number) + 1), ys.join(","));
});

Deno.test("a live batch the late join's window already held is not applied again, whenever it comes", async () => {
  // Redis answers the window (XREVRANGE) and the live batches (XREAD) on two connections, so a
  // live batch can arrive after a window that held it: the order is forced here, with batches
  // as the backplane makes them and a backplane that answers only `recent`.
  const batch = (id: string, y: number, epoch = "e1"): Batch => ({
    id,
    epoch,
    xKind: "index",
    names: ["v"],
    series: new Uint16Array([0]),
    xs: new Float64Array([y]),
    ys: new Float64Array([y]),
    gap: false,
  });
  const window = [batch("1-0", 1), batch("2-0", 2)];
  const backplane = { recent: () => Promise.resolve(window) } as unknown as Backplane;
  const ys: number[] = [];
  const sink = {
    add: (_: string, _x: number, y: number) => ys.push(y) > 0,
    commit() {},
    setXKind() {},
  };
  const feed = new StreamFeed(backplane, "late", sink, 20);
  feed.push(batch("2-0", 2)); // held while the window is read, and in it
  feed.push(batch("3-0", 3));
  await feed.ready;
  feed.push(batch("3-0", 3)); // late over its connection: the window's, or a held one's
  feed.push(batch("2-0", 2));
  feed.push(batch("4-0", 4));
  feed.push(batch("1-0", 5, "e2")); // Redis restarted without its data: a new epoch starts over
  assert.deepEqual(ys, [1, 2, 3, 4, 5]);
});
