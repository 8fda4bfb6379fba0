/**
 * The MQTT source (`--mqtt mqtt://[user:pass@]host[:port]/TOPIC-FILTER`),
 * with the npm `mqtt` client. Each topic is a series (`sensors/kitchen/temp`)
 * when its payload is one number; any other payload is lines in the stream's
 * format, read by a reader of the topic's own, and its series are named
 * `topic.field` (a JSON `{"temp":21}` on `sensors/kitchen` is
 * `sensors/kitchen.temp`).
 *
 * When the broker goes or refuses the login, the client reconnects with
 * back-off (250 ms doubling to 10 s) and the status says the latest reason.
 * No point is counted twice: the filter is subscribed at QoS 0 (a broker
 * never sends one again), and a retained message the broker sends again on
 * resubscribing is skipped when it is the topic's last message already read
 * (docs/sources.md says when one is read again all the same).
 *
 * @module
 */

import type { MqttClient } from "mqtt";
import process from "node:process";
import { describeError } from "../log.ts";
import { HEX_NUMBER, isHexNumber, parseValue } from "./formats/numbers.ts";
import type { LineReader } from "./formats/mod.ts";
import { withoutEscapes } from "./escapes.ts";
import { LineFeed } from "./line_feed.ts";
import type { PointSink, XKind } from "./sink.ts";
import { endedWhen, type RunningSource, type SourceOptions } from "./running_source.ts";
import { type MqttSpec, redact } from "./source_spec.ts";

/** The first wait before reconnecting, doubled after each failure. */
const FIRST_RETRY_MS = 250;
/** The longest wait between two attempts: a broker back within it is found within it. */
const MAX_RETRY_MS = 10_000;
/** Topics given readers of their own; past it a new topic's payloads are skipped. */
const MAX_TOPICS = 4096;
/** Payloads up to this long are remembered per topic (a longer retained one may be read again). */
const MAX_REMEMBERED_BYTES = 64 * 1024;
/** A payload read as one number is at most this long (`-1.2345678901234567e-300`). */
const MAX_NUMBER_BYTES = 32;

/** The parts of the `mqtt` package liveplot uses: the client and its TCP and TLS transports. */
interface MqttParts {
  MqttClient: typeof import("mqtt").MqttClient;
  tcp: StreamBuilder;
  tls: StreamBuilder;
}
type StreamBuilder = (client: MqttClient, options: Record<string, unknown>) => unknown;

/**
 * Loads the `mqtt` client, only when `--mqtt` is given. It brings the `debug`
 * package, whose Node build lists every environment variable as it loads:
 * that needs all of `--allow-env`, where liveplot grants a few names. Its
 * browser build, chosen while `process.type` is "renderer", reads `DEBUG`
 * alone; so `process.type` says so for the load, and is put back after.
 * The transports are taken one by one: `mqtt.connect` would also load its
 * WebSocket transport (npm `ws`, which reads environment variables of its own).
 */
async function loadMqtt(): Promise<MqttParts> {
  const host = process as unknown as { type?: string };
  const type = host.type;
  host.type = "renderer";
  try {
    const [{ MqttClient }, tcp, tls] = await Promise.all([
      import("mqtt"),
      import("mqtt/lib/connect/tcp"),
      import("mqtt/lib/connect/tls"),
    ]);
    return { MqttClient, tcp: builderOf(tcp), tls: builderOf(tls) };
  } finally {
    host.type = type;
  }
}

/** A transport module's stream builder (CommonJS, `exports.default`). */
function builderOf(module: unknown): StreamBuilder {
  const exported = (module as { default: unknown }).default;
  const inner = (exported as { default?: unknown }).default;
  return (typeof inner === "function" ? inner : exported) as StreamBuilder;
}

/** Connects as `mqtt.connect(broker)` would, over TCP or TLS only. */
function connectTo(
  parts: MqttParts,
  broker: string,
  options: Record<string, unknown>,
): MqttClient {
  const url = new URL(broker);
  const secure = url.protocol === "mqtts:";
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const settings: Record<string, unknown> = {
    protocol: secure ? "mqtts" : "mqtt",
    host: hostname,
    hostname,
    port: Number(url.port) || (secure ? 8883 : 1883),
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
    ...options,
  };
  const build = secure ? parts.tls : parts.tcp;
  return new parts.MqttClient((client) => build(client, settings) as never, settings);
}

/** Connects to the broker (and keeps reconnecting); never throws for a broker that is away. */
export async function startMqtt(spec: MqttSpec, options: SourceOptions): Promise<RunningSource> {
  const parts = await loadMqtt();
  const { hub, log } = options;
  const where = `${redact(spec.broker)}/${spec.topic}`;
  const feed = new LineFeed(options);
  const topics = new Map<string, { reader: LineReader; sink: PointSink }>();
  /** Each topic's last payload, to know a retained message sent again. */
  const last = new Map<string, string>();
  const decoder = new TextDecoder();
  let retryMs = FIRST_RETRY_MS;
  /** Why the last attempt failed, while attempts fail: each new reason is said once. */
  let failing: string | undefined;
  let stopped = false;
  let timeSet = false;

  hub.report({ state: "connecting", detail: `connecting to ${where}` });
  log.info("source-started", { mqtt: where });
  const client: MqttClient = connectTo(parts, spec.broker, {
    reconnectPeriod: FIRST_RETRY_MS,
    connectTimeout: 5000,
    clean: true,
    resubscribe: true,
    // mqtt.js stops for good after a refused login unless told: a broker whose password file is
    // fixed (and reloaded) must be found as one that was down is.
    reconnectOnConnackError: true,
  });

  client.on("connect", () => {
    retryMs = FIRST_RETRY_MS;
    client.options.reconnectPeriod = retryMs;
    failing = undefined;
    client.subscribe(spec.topic, { qos: 0 }, (error) => {
      if (!error) return;
      hub.report({ state: "waiting", detail: `${where}: ${error.message}` });
      log.warn("source-subscribe-failed", { mqtt: where, error: error.message });
    });
    hub.report({ state: "live", detail: null });
    log.info("source-connected", { mqtt: where });
  });
  client.on("error", (error) => {
    // Said once per reason in a run of failures (a broker back with other credentials is news,
    // and the status says the latest); the same reason again is retried quietly.
    const why = describeMqttError(error);
    if (failing === why || stopped) return;
    failing = why;
    const detail = `Cannot connect to ${redact(spec.broker)}: ${why}`;
    hub.report({ state: "connecting", detail: `${detail}; retrying` });
    log.warn("source-connect-failed", { mqtt: where, error: why });
  });
  client.on("close", () => {
    if (stopped) return;
    if (failing === undefined && hub.status.state === "live") {
      hub.report({ state: "connecting", detail: `reconnecting to ${where}` });
      log.warn("source-disconnected", { mqtt: where, note: "reconnecting with back-off" });
    }
    client.options.reconnectPeriod = retryMs;
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  });
  client.on("message", (topic, payload, packet) => {
    const text = payload.length <= MAX_REMEMBERED_BYTES ? decoder.decode(payload) : undefined;
    // A broker sends a topic's retained message again on every resubscription, with the
    // retain flag (a live subscriber got it first without): one that is the topic's last
    // message is that one again, and is not read twice.
    if (packet.retain && text !== undefined && last.get(topic) === text) return;
    if (text !== undefined && (last.size < MAX_TOPICS || last.has(topic))) last.set(topic, text);
    if (text !== undefined && payload.length <= MAX_NUMBER_BYTES) {
      // A number in colour is that number, as a line of one is (stream/escapes.ts).
      const trimmed = withoutEscapes(text).trim();
      const value = parseValue(trimmed);
      if (trimmed !== "" && !Number.isNaN(value)) {
        if (!timeSet) feed.sink.setXKind("time");
        timeSet = true;
        feed.sink.add(topic, Date.now() / 1000, value);
        feed.sink.commit();
        return;
      }
      // The topic's number in hex is none, as in any format: skipped and said, never held as
      // a header (the topic's stream would wait for data behind it).
      if (isHexNumber(trimmed)) return feed.skip(1, trimmed, HEX_NUMBER);
    }
    let known = topics.get(topic);
    if (!known) {
      if (topics.size >= MAX_TOPICS) {
        feed.skip(1, topic, `more than ${MAX_TOPICS} topics`);
        return;
      }
      known = { reader: feed.createReader(), sink: prefixed(feed.sink, `${topic}.`) };
      topics.set(topic, known);
    }
    feed.readMessage(payload, known.reader, known.sink);
  });

  const ended = endedWhen(
    new Promise<void>((resolve) => client.once("end", () => resolve())),
    options,
    { mqtt: where },
    () => stopped,
  );
  return {
    ended,
    stop: async () => {
      stopped = true;
      // Forced: a broker that is away has no DISCONNECT to wait for.
      client.end(true);
      await ended;
    },
  };
}

/** A sink that names every series `prefix` + its name, for one topic's payloads. */
function prefixed(sink: PointSink, prefix: string): PointSink {
  return {
    add: (name: string, x: number, y: number) => sink.add(prefix + name, x, y),
    commit: () => sink.commit(),
    setXKind: (kind: XKind) => sink.setXKind(kind),
  };
}

/** A refused login in words of its own; the rest as every error is described (log.ts). */
function describeMqttError(error: Error): string {
  const code = (error as { code?: string | number }).code;
  // CONNACK's return codes 4 and 5: the broker refused the user name, password or client.
  if (code === 4 || code === 5) return `not authorized (${error.message})`;
  const described = describeError(error);
  // A broker whose certificate a private CA signed: say how to trust it (docs/sources.md).
  return UNTRUSTED.test(error.message)
    ? `${described} (trust its CA with DENO_CERT=ca.pem, or the system's with ` +
      "DENO_TLS_CA_STORE=system)"
    : described;
}

/** What TLS says of a certificate it cannot trust. */
const UNTRUSTED = /self[- ]signed certificate|unable to (get|verify) .*certificate|UnknownIssuer/i;
