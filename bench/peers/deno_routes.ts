/**
 * The bare-Deno baseline for the seed's routes in `deno task bench`: `GET
 * /test` answers `Yes this is a test!` as text/plain and WebSocket `/echo`
 * sends every message back, with nothing else around them.
 *
 * With `--security-headers`, `/test` carries liveplot's security headers as
 * well (a copy of one answer built once, as liveplot's is): what the headers
 * alone cost. Deno 2.9.6 sends an answer whose only header is its
 * `Content-Type` on a fast path of its own; any other header leaves it.
 *
 * Usage: deno run -A deno_routes.ts [--security-headers] (prints "listening on URL")
 *
 * @module
 */

import { SECURITY_HEADERS } from "../../handlers/respond.ts";

const BODY = "Yes this is a test!";
const withHeaders = Deno.args.includes("--security-headers");
const template = new Response(BODY, {
  headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS },
});

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/echo" && request.headers.get("upgrade") === "websocket") {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  }
  if (path === "/test") {
    if (withHeaders) return template.clone();
    return new Response(BODY, { headers: { "content-type": "text/plain" } });
  }
  return new Response("not found\n", { status: 404 });
});
console.log(`listening on http://127.0.0.1:${server.addr.port}/`);
