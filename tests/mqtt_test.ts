/**
 * `--mqtt URL`: against a real Mosquitto broker started on a free port: values
 * arrive (numbers, JSON, pairs; `#` and `+` filters), a broker restart is
 * survived with no point lost or counted twice, and a broker that is not
 * there, or refuses the login, is one clear line while liveplot keeps trying.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  captureLog,
  spawnCli,
  startTestServer,
  waitFor,
  waitForLine,
  withTimeout,
} from "./helpers.ts";
import { freeTcpPort, MOSQUITTO, seriesValues, startMosquitto, waitForPort } from "./services.ts";
import type { Hub } from "../stream/hub.ts";

/** Publishes `message` on `topic` with Debian's mosquitto_pub. */
async function publish(
  port: number,
  topic: string,
  message: string,
  ca?: string,
  extra: string[] = [],
): Promise<void> {
  const tls = ca === undefined ? ["-h", "127.0.0.1"] : ["-h", "localhost", "--cafile", ca];
  const { success, stderr } = await withTimeout(
    new Deno.Command("mosquitto_pub", {
      args: [...tls, "-p", String(port), "-t", topic, "-m", message, ...extra],
      stdout: "null",
      stderr: "piped",
    }).output(),
    10_000,
    `mosquitto_pub to ${topic}`,
  );
  assert.ok(success, new TextDecoder().decode(stderr));
}

/**
 * Runs `fn` with a broker on a free port and a server subscribed to `topic`
 * there, its subscription live; both stop after.
 */
async function withSubscribed(
  topic: string,
  fn: (publishTo: (topic: string, message: string) => Promise<void>, hub: Hub) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtt-" });
  try {
    await using broker = await startMosquitto(dir, freeTcpPort());
    await using server = await startTestServer({
      source: { kind: "mqtt", broker: `mqtt://127.0.0.1:${broker.port}`, topic },
    });
    const hub = server.hub!;
    await waitFor(() => hub.status.state === "live", 10_000, "the subscription");
    await fn((to, message) => publish(broker.port, to, message), hub);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--mqtt: a topic's number, JSON fields and pairs each plot; # takes every topic under it", async () => {
  await withSubscribed("sensors/#", async (publishTo, hub) => {
    await publishTo("sensors/hall/temp", "19.5");
    await publishTo("sensors/kitchen", '{"temp": 21.5, "hum": 40}');
    await publishTo("sensors/garage", "temp:12 hum:70");
    await publishTo("elsewhere/temp", "99");
    await waitFor(() => hub.names.length === 5, 10_000, "five series");
    assert.deepEqual(hub.names.toSorted(), [
      "sensors/garage.hum",
      "sensors/garage.temp",
      "sensors/hall/temp",
      "sensors/kitchen.hum",
      "sensors/kitchen.temp",
    ]);
    assert.deepEqual(seriesValues(hub, "sensors/kitchen.temp"), [21.5]);
    assert.deepEqual(seriesValues(hub, "sensors/garage.hum"), [70]);
  });
});

Deno.test("--mqtt: a payload of one hex number (0xff) is skipped with its reason, not held as a header", async () => {
  await withSubscribed("sensors/#", async (publishTo, hub) => {
    await publishTo("sensors/reg", "0xff");
    // Published after it: once it plots, the hex payload was read.
    await publishTo("sensors/temp", "21.5");
    await waitFor(() => hub.names.length === 1, 10_000, "the number after the hex payload");
    assert.deepEqual(hub.names, ["sensors/temp"]);
    assert.deepEqual([hub.status.headers, hub.status.skipped], [0, 1]);
    assert.deepEqual(hub.status.recentSkipped.map(({ line, reason }) => [line, reason]), [
      ["0xff", "a hex number (0x…): only decimal numbers are read"],
    ]);
  });
});

Deno.test("--mqtt: + matches one level only", async () => {
  await withSubscribed("home/+/temp", async (publishTo, hub) => {
    await publishTo("home/attic/temp", "30");
    await publishTo("home/attic/hum", "50");
    await publishTo("home/attic/box/temp", "31");
    await publishTo("home/cellar/temp", "12");
    await waitFor(() => hub.names.length === 2, 10_000, "two series");
    assert.deepEqual(hub.names, ["home/attic/temp", "home/cellar/temp"]);
  });
});

Deno.test("--mqtt: a broker restart is survived, said, and no point is lost or counted twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtt-" });
  const { log, lines } = captureLog();
  const port = freeTcpPort();
  try {
    let broker = await startMosquitto(dir, port, { persistence: true });
    try {
      await using server = await startTestServer({
        source: { kind: "mqtt", broker: `mqtt://127.0.0.1:${port}`, topic: "data/#" },
      }, { log });
      const hub = server.hub!;
      await waitFor(() => hub.status.state === "live", 10_000, "the subscription");
      for (let n = 1; n <= 3; n++) await publish(port, "data/count", String(n));
      await publish(port, "data/setpoint", "50", undefined, ["-r"]);
      await waitFor(() => seriesValues(hub, "data/setpoint").length === 1, 10_000, "the setpoint");

      await broker.stop();
      await waitFor(() => hub.status.state === "connecting", 10_000, "the connecting state");
      assert.equal(hub.status.detail?.startsWith(`reconnecting to mqtt://127.0.0.1:${port}`), true);
      broker = await startMosquitto(dir, port, { persistence: true });
      // The broker kept the retained setpoint, and sends it again on resubscribing.
      assert.equal(await retainedValue(port, "data/setpoint"), "50");
      await waitFor(() => hub.status.state === "live", 15_000, "the reconnection");
      for (let n = 4; n <= 6; n++) await publish(port, "data/count", String(n));
      await waitFor(() => seriesValues(hub, "data/count").length >= 6, 10_000, "six values");
      assert.deepEqual(seriesValues(hub, "data/count"), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(seriesValues(hub, "data/setpoint"), [50]);
      assert.ok(lines.some((line) => line.includes("event=source-disconnected")));
    } finally {
      await broker.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The retained message on `topic`, as mosquitto_sub gets it. */
async function retainedValue(port: number, topic: string): Promise<string> {
  const { stdout } = await withTimeout(
    new Deno.Command("mosquitto_sub", {
      args: ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-C", "1", "-W", "5"],
      stdout: "piped",
      stderr: "null",
    }).output(),
    10_000,
    `the retained message on ${topic}`,
  );
  return new TextDecoder().decode(stdout).trim();
}

Deno.test("--mqtt to a port with no broker: one clear line, and it keeps trying until one comes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtt-" });
  const { log, lines } = captureLog();
  const port = freeTcpPort();
  try {
    await using server = await startTestServer({
      source: { kind: "mqtt", broker: `mqtt://127.0.0.1:${port}`, topic: "t" },
    }, { log });
    const hub = server.hub!;
    const expected = `Cannot connect to mqtt://127.0.0.1:${port}: connection refused; retrying`;
    await waitFor(() => hub.status.detail === expected, 10_000, "the refusal in the status");
    assert.equal(hub.status.state, "connecting");
    await using broker = await startMosquitto(dir, port);
    await waitFor(() => hub.status.state === "live", 15_000, "a connection once the broker is up");
    await publish(broker.port, "t", "7");
    await waitFor(() => seriesValues(hub, "t").length === 1, 10_000, "a value");
    const failures = lines.filter((line) => line.includes("event=source-connect-failed"));
    assert.deepEqual(failures, [
      `level=warn event=source-connect-failed mqtt=mqtt://127.0.0.1:${port}/t error="connection refused"`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes `dir`/passwd with one user, as `mosquitto_passwd -b -c` does. */
async function writePasswords(dir: string, user: string, password: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("mosquitto_passwd", {
    args: ["-b", "-c", `${dir}/passwd`, user, password],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
}

/**
 * Mosquitto on `port` taking only the logins in `dir`/passwd, logging to `dir`/broker.log;
 * `reload()` is its SIGHUP (the password file read again), and it stops when disposed.
 */
async function startLoginBroker(dir: string, port: number) {
  const config = `${dir}/login.conf`;
  await Deno.writeTextFile(
    config,
    `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${dir}/passwd\n` +
      `log_dest file ${dir}/broker.log\nuser root\n`,
  );
  const child = new Deno.Command(MOSQUITTO, {
    args: ["-c", config],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
  };
  try {
    await waitForPort(port, 10_000, `mosquitto on port ${port}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    reload: () => child.kill("SIGHUP"),
    /** The broker's log lines that refused a login. */
    refusals: async () =>
      (await Deno.readTextFile(`${dir}/broker.log`)).split("\n")
        .filter((line) => line.includes("not authorised")).length,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

Deno.test("--mqtt with a login the broker refuses: said, retried, and live once it takes it, also after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtt-" });
  const { log, lines } = captureLog();
  const port = freeTcpPort();
  try {
    await writePasswords(dir, "ann", "old");
    let broker = await startLoginBroker(dir, port);
    try {
      await using server = await startTestServer({
        source: { kind: "mqtt", broker: `mqtt://ann:new@127.0.0.1:${port}`, topic: "t" },
      }, { log });
      const hub = server.hub!;
      const refused = `Cannot connect to mqtt://ann:***@127.0.0.1:${port}: not authorized ` +
        "(Connection refused: Not authorized); retrying";
      await waitFor(() => hub.status.detail === refused, 10_000, "the refused login in the status");
      // Tried again at the back-off, not once only.
      await waitFor(async () => await broker.refusals() >= 3, 10_000, "three refused attempts");
      assert.equal(hub.status.state, "connecting");
      await writePasswords(dir, "ann", "new");
      broker.reload();
      await waitFor(
        () => hub.status.state === "live",
        15_000,
        "the login once the broker takes it",
      );
      await publish(port, "t", "7", undefined, ["-u", "ann", "-P", "new"]);
      await waitFor(() => seriesValues(hub, "t").length === 1, 10_000, "a value");

      // Restarted with other credentials: the status says so, not the refusal while it was away.
      await broker.stop();
      const away =
        `Cannot connect to mqtt://ann:***@127.0.0.1:${port}: connection refused; retrying`;
      await waitFor(() => hub.status.detail === away, 10_000, "the broker away in the status");
      await writePasswords(dir, "ann", "other");
      broker = await startLoginBroker(dir, port);
      await waitFor(
        () => hub.status.detail === refused,
        15_000,
        "the refused login after a restart",
      );
      await writePasswords(dir, "ann", "new");
      broker.reload();
      await waitFor(() => hub.status.state === "live", 15_000, "the login once taken again");
      await publish(port, "t", "8", undefined, ["-u", "ann", "-P", "new"]);
      await waitFor(() => seriesValues(hub, "t").length === 2, 10_000, "a second value");
      assert.deepEqual(seriesValues(hub, "t"), [7, 8]);
      const failures = lines.filter((line) => line.includes("event=source-connect-failed"));
      assert.ok(failures.length >= 2, failures.join("\n"));
      assert.ok(failures.every((line) => !line.includes(":new@")), failures.join("\n"));
    } finally {
      await broker.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--mqtt mqtts://: TLS against the trusted roots; an untrusted broker is one clear line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtts-" });
  try {
    await using broker = await startMosquitto(dir, freeTcpPort(), { tls: true });
    const url = `mqtts://localhost:${broker.port}/secure/#`;
    // DENO_CERT adds the test's CA to the roots Deno trusts, as a system CA would be.
    await using trusting = spawnCli(["--no-open", "-p", "0", "--mqtt", url], {
      env: { DENO_CERT: `${dir}/ca.pem` },
    });
    await using untrusting = spawnCli(["--no-open", "-p", "0", "--mqtt", url]);
    const base = await trusting.url;
    await waitForLine(trusting.stderr, "source-connected", 15_000, "the TLS connection");
    await publish(broker.port, "secure/temp", "23.5", `${dir}/ca.pem`);
    const csv = await withTimeout(
      (async () => {
        for (;;) {
          const text = await (await fetch(new URL("/data.csv", base))).text();
          if (text.includes("23.5")) return text;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      15_000,
      "the value in /data.csv",
    );
    assert.match(csv, /^x,secure\/temp\r\n/);
    await untrusting.url;
    await waitForLine(untrusting.stderr, "source-connect-failed", 15_000, "the refusal");
    const refusal = untrusting.stderr.filter((line) => line.includes("source-connect-failed"));
    assert.deepEqual(refusal, [
      `level=warn event=source-connect-failed mqtt=${url} error="self-signed certificate in ` +
      `certificate chain (trust its CA with DENO_CERT=ca.pem, or the system's with ` +
      `DENO_TLS_CA_STORE=system)"`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start -- --mqtt runs with the start task's own permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "liveplot-mqtt-" });
  try {
    await using broker = await startMosquitto(dir, freeTcpPort());
    await using cli = spawnCli(
      ["--port", "0", "--no-open", "--mqtt", `mqtt://127.0.0.1:${broker.port}/t`],
      { task: true },
    );
    await cli.url;
    await waitForLine(cli.stderr, "source-connected", 15_000, "the subscription");
    assert.ok(!cli.stderr.some((line) => line.includes("NotCapable")), cli.stderr.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
