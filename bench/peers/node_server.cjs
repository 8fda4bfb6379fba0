/**
 * The Node peer of `deno task bench`: the `ws` package's server (pinned and
 * installed by `deno task bench:setup`), forwarding each read of standard
 * input (up to its last newline) as one text message to every open socket.
 *
 * Usage: node node_server.cjs (prints "listening on URL")
 *
 * @module
 */

const http = require("node:http");
const { WebSocketServer, WebSocket } = require("ws");

const server = http.createServer((_request, response) => response.end("Node ws peer\n"));
const wss = new WebSocketServer({ server, perMessageDeflate: false });
server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});

let carry = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  const text = carry + chunk;
  const end = text.lastIndexOf("\n") + 1;
  carry = text.slice(end);
  if (end === 0) return;
  const message = end === text.length ? text : text.slice(0, end);
  for (const socket of wss.clients) {
    if (socket.readyState === WebSocket.OPEN) socket.send(message);
  }
});
process.stdin.on("end", () => process.exit(0));
