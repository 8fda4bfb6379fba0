/**
 * The Bun peer of `deno task bench`: `Bun.serve` with uWebSockets' native
 * fan-out (`server.publish`), forwarding each read of standard input (up to
 * its last newline) as one text message to every subscribed WebSocket.
 *
 * Usage: bun bun_server.ts (prints "listening on URL")
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
const Bun = (globalThis as any).Bun;
const TOPIC = "data";
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request: Request, server: any) {
    if (server.upgrade(request)) return undefined;
    return new Response("Bun peer\n");
  },
  websocket: {
    open(socket: any) {
      socket.subscribe(TOPIC);
    },
    message() {},
  },
});
console.log(`listening on http://127.0.0.1:${server.port}/`);

const decoder = new TextDecoder();
let carry = "";
for await (const chunk of Bun.stdin.stream() as ReadableStream<Uint8Array>) {
  const text = carry + decoder.decode(chunk, { stream: true });
  const end = text.lastIndexOf("\n") + 1;
  carry = text.slice(end);
  if (end === 0) continue;
  server.publish(TOPIC, end === text.length ? text : text.slice(0, end));
}
server.stop(true);
