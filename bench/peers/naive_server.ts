/**
 * The benchmark's baseline: the obvious broadcast server, written the way
 * most WebSocket examples are. Every line read from standard input is sent
 * at once, as its own message, to every open socket on `/data`.
 *
 * Usage: naive_server.ts (prints "listening on URL")
 *
 * @module
 */

const sockets = new Set<WebSocket>();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.onopen = () => sockets.add(socket);
  socket.onclose = () => sockets.delete(socket);
  return response;
});
console.log(`listening on http://127.0.0.1:${server.addr.port}/`);

let index = 0;
let carry = "";
for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  const lines = (carry + text).split("\n");
  carry = lines.pop() ?? "";
  for (const line of lines) {
    const message = `0 ${index++} ${line}\n`;
    for (const socket of sockets) socket.send(message);
  }
}
