/**
 * The bare-Deno baseline for the seed's routes in `deno task bench`: `GET
 * /test` answers `Yes this is a test!` as text/plain and WebSocket `/echo`
 * sends every message back, with nothing else around them.
 *
 * Usage: deno run -A deno_routes.ts (prints "listening on URL")
 *
 * @module
 */

const BODY = "Yes this is a test!";

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/echo" && request.headers.get("upgrade") === "websocket") {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  }
  if (path === "/test") return new Response(BODY, { headers: { "content-type": "text/plain" } });
  return new Response("not found\n", { status: 404 });
});
console.log(`listening on http://127.0.0.1:${server.addr.port}/`);
