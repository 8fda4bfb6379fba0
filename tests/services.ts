/**
 * Real services the source tests run against, each on a free loopback port
 * and each stopped by its test: a Mosquitto broker, a Prometheus node
 * exporter, and a socat pseudo-terminal pair standing in for a serial board.
 *
 * @module
 */

import dgram from "node:dgram";
import type { Hub } from "../stream/hub.ts";
import { waitFor, withTimeout } from "./helpers.ts";

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it next). */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A free UDP port on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Resolves once a TCP connection to `port` succeeds, within `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  await withTimeout(
    (async () => {
      for (;;) {
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })(),
    timeoutMs,
    what,
  );
}

/** A running daemon, stopped with SIGTERM (then SIGKILL) and waited for. */
export interface Service extends AsyncDisposable {
  readonly port: number;
  stop(): Promise<void>;
}

/** Spawns `command` and waits for `port` to answer. */
async function startDaemon(
  command: string,
  args: string[],
  port: number,
  what: string,
): Promise<Service> {
  const stop = await spawnUntil(command, args, () => waitForPort(port, 10_000, what));
  return { port, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Spawns `command` and waits for `ready`; returns how to stop it (SIGTERM, then SIGKILL
 * after 3 s). A child that never gets ready is stopped before the error is thrown.
 */
async function spawnUntil(
  command: string,
  args: string[],
  ready: () => Promise<void>,
): Promise<() => Promise<void>> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }, 3000);
      await child.status;
      clearTimeout(timer);
    })();
  try {
    await ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

/** The broker Debian ships, at /usr/sbin/mosquitto. */
export const MOSQUITTO = "/usr/sbin/mosquitto";

/**
 * Starts Mosquitto on `port` (anonymous, loopback) with a config in `dir`;
 * with `tls`, over TLS with a certificate for localhost signed by a test CA
 * (`dir`/ca.pem), made with openssl; with `persistence`, keeping retained
 * messages in `dir` across a restart.
 */
export async function startMosquitto(
  dir: string,
  port: number,
  options: { tls?: boolean; persistence?: boolean } = {},
): Promise<Service> {
  const config = `${dir}/mosquitto.conf`;
  let text = `listener ${port} 127.0.0.1\nallow_anonymous true\n`;
  if (options.persistence) {
    // Retained messages outlive a restart; run as root to write the temporary folder.
    text += `persistence true\npersistence_location ${dir}/\nuser root\n`;
  }
  if (options.tls) {
    await makeCertificates(dir);
    text += `cafile ${dir}/ca.pem\ncertfile ${dir}/server.pem\nkeyfile ${dir}/server.key\n`;
  }
  await Deno.writeTextFile(config, text);
  return await startDaemon(MOSQUITTO, ["-c", config], port, `mosquitto on port ${port}`);
}

/** A CA (`ca.pem`) and a certificate it signed for localhost and 127.0.0.1, in `dir`. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = async (...args: string[]) => {
    const { success, stderr } = await new Deno.Command("openssl", { args, cwd: dir }).output();
    if (!success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=liveplot test CA",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  await Deno.writeTextFile(`${dir}/ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext",
  );
  // Mosquitto started as root reads its files as the mosquitto user.
  await Deno.chmod(dir, 0o755);
  for (const file of ["ca.pem", "server.pem", "server.key"]) {
    await Deno.chmod(`${dir}/${file}`, 0o644);
  }
}

/** Starts Debian's node exporter on `port` with only a few quick collectors. */
export async function startNodeExporter(port: number): Promise<Service> {
  return await startDaemon(
    "prometheus-node-exporter",
    [
      `--web.listen-address=127.0.0.1:${port}`,
      "--collector.disable-defaults",
      "--collector.loadavg",
      "--collector.cpu",
      "--collector.meminfo",
    ],
    port,
    `node exporter on port ${port}`,
  );
}

/** A socat pseudo-terminal pair: the test writes to `board`, liveplot reads `device`. */
export async function startPtyPair(
  dir: string,
): Promise<Service & { board: string; device: string }> {
  const board = `${dir}/board`;
  const device = `${dir}/device`;
  const exists = (path: string) => {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  };
  const stop = await spawnUntil(
    "socat",
    [`pty,raw,echo=0,link=${board}`, `pty,raw,echo=0,link=${device}`],
    () => waitFor(() => exists(board) && exists(device), 10_000, "socat's two pseudo-terminals"),
  );
  return { port: 0, board, device, stop, [Symbol.asyncDispose]: stop };
}

/** The y values of series `name` in `hub`'s history window, oldest first. */
export function seriesValues(hub: Hub, name: string): number[] {
  const id = hub.names.indexOf(name);
  if (id < 0) return [];
  return Array.from(hub.history.window(id).ys);
}
