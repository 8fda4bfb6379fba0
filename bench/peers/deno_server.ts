/**
 * The bare-Deno peer of `deno task bench`: a `Deno.serve` broadcaster that
 * forwards each read of standard input (up to its last newline) as one text
 * message to every open WebSocket, on any path.
 *
 * Usage: deno run -A deno_server.ts (prints "listening on URL")
 *
 * @module
 */

const sockets = new Set<WebSocket>();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("bare Deno peer\n");
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.onopen = () => sockets.add(socket);
  socket.onclose = () => sockets.delete(socket);
  return response;
});
console.log(`listening on http://127.0.0.1:${server.addr.port}/`);

const decoder = new TextDecoder();
let carry = "";
for await (const chunk of Deno.stdin.readable) {
  const text = carry + decoder.decode(chunk, { stream: true });
  const end = text.lastIndexOf("\n") + 1;
  carry = text.slice(end);
  if (end === 0) continue;
  const message = end === text.length ? text : text.slice(0, end);
  for (const socket of sockets) socket.send(message);
}
await server.shutdown();
