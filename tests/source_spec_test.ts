/**
 * The addresses of `--serial`, `--mqtt`, `--udp` and `--scrape`: what each
 * takes, and the one line a bad one gets from the command line.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  describeSource,
  parseMqttUrl,
  parseScrapeSpec,
  parseSerialSpec,
  parseSourceFlags,
  parseUdpAddress,
  SourceAddressError,
} from "../stream/source_spec.ts";
import { runCli } from "./helpers.ts";

Deno.test("--mqtt URLs: default ports, credentials kept but never shown, + and # filters", () => {
  assert.deepEqual(parseMqttUrl("mqtt://broker.local/sensors/#"), {
    kind: "mqtt",
    broker: "mqtt://broker.local:1883",
    topic: "sensors/#",
  });
  const secure = parseMqttUrl("mqtts://ann:s%40cret@example.com:8884/home/+/temp");
  assert.deepEqual(secure, {
    kind: "mqtt",
    broker: "mqtts://ann:s%40cret@example.com:8884",
    topic: "home/+/temp",
  });
  assert.equal(describeSource(secure), "mqtts://ann:***@example.com:8884/home/+/temp");
  assert.equal(parseMqttUrl("mqtts://example.com/%23").topic, "#");
  assert.equal(parseMqttUrl("mqtts://example.com/a").broker, "mqtts://example.com:8883");
});

Deno.test("bad --mqtt URLs are refused with why", () => {
  const cases: [string, string][] = [
    ["http://example.com/t", "not"],
    ["mqtt://example.com", "not"],
    ["mqtt://example.com/", "a topic filter is needed (# for every topic)"],
    ["mqtt://example.com/a/#/b", "+ must be a whole level and # the last one"],
    ["mqtt://example.com/a+", "+ must be a whole level and # the last one"],
    ["mqtt://:1883/t", "a host is needed"],
    ["mqtt://127.0.0.1:99999/x", "with a port from 1 to 65535"],
    ["mqtt://broker:port/x", "with a port from 1 to 65535"],
  ];
  for (const [url, why] of cases) {
    assert.throws(() => parseMqttUrl(url), (error: Error) => {
      assert.ok(error instanceof SourceAddressError);
      assert.equal(
        error.message,
        `--mqtt must be mqtt://[USER:PASS@]HOST[:PORT]/TOPIC (or mqtts://), ${why}: "${url}"`,
      );
      return true;
    });
  }
  assert.throws(() => parseMqttUrl("mqtt://u:pw@h:99999/t"), /"mqtt:\/\/u:\*\*\*@h:99999\/t"/);
});

Deno.test("--udp addresses: loopback unless a host is given; IPv6 in brackets", () => {
  assert.deepEqual(parseUdpAddress("9870"), { kind: "udp", hostname: "127.0.0.1", port: 9870 });
  assert.deepEqual(parseUdpAddress("0.0.0.0:9870").hostname, "0.0.0.0");
  assert.deepEqual(parseUdpAddress("[::1]:9870").hostname, "::1");
  for (const bad of ["", "0", "70000", "host:", "a:b:c", "9870x"]) {
    assert.throws(() => parseUdpAddress(bad), SourceAddressError, bad);
  }
});

Deno.test("--serial and --baud: the rates stty takes", () => {
  assert.deepEqual(parseSerialSpec("/dev/ttyACM0"), {
    kind: "serial",
    path: "/dev/ttyACM0",
    baud: 9600,
  });
  assert.equal(parseSerialSpec("/dev/ttyUSB0", "115200").baud, 115200);
  assert.throws(
    () => parseSerialSpec("/dev/ttyUSB0", "115201"),
    /^SourceAddressError: --baud must be a rate stty takes, like 9600 or 115200, not "115201"$/,
  );
  assert.throws(() => parseSerialSpec(" "), SourceAddressError);
});

Deno.test("--scrape, --every and --match", () => {
  assert.deepEqual(parseScrapeSpec("http://127.0.0.1:9100/metrics", "500ms", "^node_"), {
    kind: "scrape",
    url: "http://127.0.0.1:9100/metrics",
    everySeconds: 0.5,
    match: "^node_",
  });
  assert.equal(parseScrapeSpec("https://example.com/metrics", "1m").everySeconds, 60);
  assert.throws(() => parseScrapeSpec("ftp://example.com/"), /--scrape must be an http/);
  assert.throws(() => parseScrapeSpec("http://x/", "10ms"), /--every must be a duration/);
  assert.throws(() => parseScrapeSpec("http://x/", "1s", "("), /--match must be a regular/);
});

Deno.test("one source at a time; companions only with their source", () => {
  const flags = (values: Record<string, string>) => (name: string) => values[name];
  assert.throws(
    () => parseSourceFlags(flags({ udp: "9870", mqtt: "mqtt://h/t" }), undefined),
    /^SourceAddressError: --mqtt is the source: give no other source with it \(--udp\)$/,
  );
  assert.throws(
    () => parseSourceFlags(flags({ udp: "9870" }), "a command"),
    /--udp is the source: give no other source with it \(a command\)/,
  );
  assert.throws(
    () => parseSourceFlags(flags({ baud: "9600" }), undefined),
    /--baud goes with --serial/,
  );
  assert.throws(
    () => parseSourceFlags(flags({ every: "1s" }), undefined),
    /--every goes with --scrape/,
  );
  assert.equal(parseSourceFlags(flags({}), undefined), undefined);
});

Deno.test("the CLI refuses a bad source address with one line, as any usage error", async () => {
  const usage = await runCli(["--window", "nonsense"]);
  const bad = await runCli(["--mqtt", "mqtt://broker"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.code, usage.code);
  assert.equal(
    bad.stderr.split("\n")[0],
    "liveplot: --mqtt must be mqtt://[USER:PASS@]HOST[:PORT]/TOPIC (or mqtts://), not: " +
      '"mqtt://broker" (see liveplot --help)',
  );
  const both = await runCli(["--udp", "9870", "--", "vmstat", "1"]);
  assert.equal(both.code, usage.code);
  assert.match(both.stderr, /--udp is the source: give no other source with it \(a command\)/);
});

Deno.test("--help lists every new source flag", async () => {
  const { code, stdout } = await runCli(["--help"]);
  assert.equal(code, 0);
  for (
    const flag of ["--serial PATH", "--baud N", "--mqtt URL", "--udp [HOST:]PORT", "--scrape URL"]
  ) {
    assert.ok(stdout.includes(flag), flag);
  }
});
