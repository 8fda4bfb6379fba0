import assert from "node:assert/strict";
import {
  closeSocket,
  controlMessages,
  dataLines,
  record,
  socketUrl,
  startTestServer,
  withTimeout,
} from "./helpers.ts";

const TOKEN = "streams-test-token";

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
      for (const answer of answers) assert.deepEqual(await answer.json(), { taken: 1, skipped: 0 });
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
