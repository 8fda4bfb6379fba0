/**
 * The page and everything it loads, embedded as module imports so `deno run`
 * and the compiled binary serve the same bytes and no request path ever
 * reaches the file system.
 * Each asset carries a strong ETag; a matching `If-None-Match` gets 304.
 *
 * Nothing of it is loaded at start: each file is a dynamic import with a
 * fixed specifier (which `deno compile` embeds as it does a static one),
 * loaded, digested and its three answers (200, HEAD, 304) built on its first
 * request, once, then copied per request.
 *
 * @module
 */

import { fixedAnswer } from "./respond.ts";

/** Loads one embedded file's text. */
type Load = () => Promise<{ default: string }>;

const JAVASCRIPT = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** The page itself, which `/`, `/data` and every `/s/NAME` serve. */
const loadPage: Load = () => import("../static/index.html", { with: { type: "text" } });

/** Every other embedded file by request path: how to load it, and its type. */
const FILES: Record<string, [Load, string]> = {
  "/static/app.js": [() => import("../static/app.js", { with: { type: "text" } }), JAVASCRIPT],
  "/static/style.css": [() => import("../static/style.css", { with: { type: "text" } }), CSS],
  "/static/favicon.svg": [
    () => import("../static/favicon.svg", { with: { type: "text" } }),
    "image/svg+xml",
  ],
  // uPlot's ES module build: the page imports it (modules/chart.js), no global. Vendored
  // (static/vendor/uplot/README.md): from npm, a user whose Deno cache lacks it got 500s.
  "/static/uplot.js": [
    () => import("../static/vendor/uplot/uPlot.esm.js", { with: { type: "text" } }),
    JAVASCRIPT,
  ],
  "/static/uplot.css": [
    () => import("../static/vendor/uplot/uPlot.min.css", { with: { type: "text" } }),
    CSS,
  ],
  ...modules({
    actions: () => import("../static/modules/actions.js", { with: { type: "text" } }),
    chart: () => import("../static/modules/chart.js", { with: { type: "text" } }),
    charts: () => import("../static/modules/charts.js", { with: { type: "text" } }),
    client: () => import("../static/modules/client.js", { with: { type: "text" } }),
    csv_x: () => import("../static/modules/csv_x.js", { with: { type: "text" } }),
    colors: () => import("../static/modules/colors.js", { with: { type: "text" } }),
    controls: () => import("../static/modules/controls.js", { with: { type: "text" } }),
    debug: () => import("../static/modules/debug.js", { with: { type: "text" } }),
    export: () => import("../static/modules/export.js", { with: { type: "text" } }),
    format: () => import("../static/modules/format.js", { with: { type: "text" } }),
    gestures: () => import("../static/modules/gestures.js", { with: { type: "text" } }),
    grouping: () => import("../static/modules/grouping.js", { with: { type: "text" } }),
    history: () => import("../static/modules/history.js", { with: { type: "text" } }),
    join: () => import("../static/modules/join.js", { with: { type: "text" } }),
    legend: () => import("../static/modules/legend.js", { with: { type: "text" } }),
    names: () => import("../static/modules/names.js", { with: { type: "text" } }),
    outages: () => import("../static/modules/outages.js", { with: { type: "text" } }),
    present: () => import("../static/modules/present.js", { with: { type: "text" } }),
    scrollback: () => import("../static/modules/scrollback.js", { with: { type: "text" } }),
    socket: () => import("../static/modules/socket.js", { with: { type: "text" } }),
    state: () => import("../static/modules/state.js", { with: { type: "text" } }),
    status: () => import("../static/modules/status.js", { with: { type: "text" } }),
    store: () => import("../static/modules/store.js", { with: { type: "text" } }),
    streams: () => import("../static/modules/streams.js", { with: { type: "text" } }),
    streams_page: () => import("../static/modules/streams_page.js", { with: { type: "text" } }),
    url_state: () => import("../static/modules/url_state.js", { with: { type: "text" } }),
    view: () => import("../static/modules/view.js", { with: { type: "text" } }),
  }),
};

/** The page's ES modules, served under `/static/modules/NAME.js`. */
function modules(loads: Record<string, Load>): Record<string, [Load, string]> {
  return Object.fromEntries(
    Object.entries(loads).map(([name, load]) => [`/static/modules/${name}.js`, [load, JAVASCRIPT]]),
  );
}

/**
 * One embedded file: its answers (200, HEAD, 304) and strong ETag are built
 * on its first request and kept, so a start builds none of them.
 */
export interface Asset {
  /** Answers GET or HEAD: 200 with the body, or 304 when `If-None-Match` matches. */
  serve(request: Request): Response | Promise<Response>;
}

/** An asset's answers, once built. */
interface BuiltAsset {
  etag: string;
  ok: () => Response;
  head: () => Response;
  notModified: () => Response;
}

/** What the page says about the source: the page auto-connects when live. */
export type PageMode = "demo" | "live";

/** The seed's heading for the demo. */
const DEMO_TITLE = "Plot of Random Numbers";
/** The heading of a stream's page until its meta message names the stream. */
const STREAM_PAGE_TITLE = "liveplot";

/** The embedded files by request path, and the one page every `/s/NAME` serves. */
export interface Assets {
  files: Map<string, Asset>;
  /** Finds its endpoints from its own URL and its title from the stream's meta message. */
  streamPage: Asset;
}

/**
 * The assets by request path. `/` is the demo without a `source`, else a
 * live page headed by it (the command line, or "standard input"), or by the
 * stream's meta message when `null`.
 */
export function createAssets(source: string | null | undefined): Assets {
  const page = (source: string | null | undefined) =>
    lazyAsset(async () => pageHtml((await loadPage()).default, source), HTML);
  const files = Object.entries(FILES).map(([path, [load, contentType]]): [string, Asset] => [
    path,
    lazyAsset(async () => (await load()).default, contentType),
  ]);
  return { files: new Map([["/", page(source)], ...files]), streamPage: page(null) };
}

/** The page: the demo's (`undefined`), a live one headed by `source`, or a stream's (`null`). */
function pageHtml(page: string, source: string | null | undefined): string {
  const mode: PageMode = source === undefined ? "demo" : "live";
  const title = source === undefined
    ? DEMO_TITLE
    : source === null
    ? STREAM_PAGE_TITLE
    : `liveplot: ${source}`;
  // A function, not a string: `$&`, `$'` and `$$` in a command line are not replacement patterns.
  const heading = escapeHtml(title);
  return page.replaceAll("__SOURCE__", () => mode).replaceAll("__TITLE__", () => heading);
}

/** An asset loaded and built on its first request; requests meanwhile wait for the same build. */
function lazyAsset(load: () => Promise<string>, contentType: string): Asset {
  let built: BuiltAsset | undefined;
  let building: Promise<BuiltAsset> | undefined;
  return {
    serve(request) {
      if (built) return answer(request, built);
      building ??= (async () => built = await buildAsset(await load(), contentType))();
      return building.then((asset) => answer(request, asset));
    },
  };
}

async function buildAsset(text: string, contentType: string): Promise<BuiltAsset> {
  const body = new TextEncoder().encode(text);
  const etag = await computeEtag(body);
  // Revalidate every time: cheap with the ETag, and never a stale page.
  const headers = { "content-type": contentType, etag, "cache-control": "no-cache" };
  return {
    etag,
    // Deno writes a body's Content-Length itself; HEAD, which has none, says it.
    ok: fixedAnswer(body, headers),
    head: fixedAnswer(null, { ...headers, "content-length": String(body.length) }),
    notModified: fixedAnswer(null, headers, 304),
  };
}

function escapeHtml(text: string): string {
  const entities: Record<string, string> = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
  };
  return text.replace(/[&<>"]/g, (character) => entities[character] ?? character);
}

/** GET or HEAD's answer from `asset`: 200 with the body, or 304 on a match. */
function answer(request: Request, asset: BuiltAsset): Response {
  if (matchesEtag(request.headers.get("if-none-match"), asset.etag)) return asset.notModified();
  return request.method === "HEAD" ? asset.head() : asset.ok();
}

/** Compares an `If-None-Match` list with `etag` (weak comparison, RFC 9110). */
export function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const opaque = etag.replace(/^W\//, "");
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === opaque;
  });
}

async function computeEtag(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hex = Array.from(
    digest.subarray(0, 12),
    (byte) => byte.toString(16).padStart(2, "0"),
  );
  return `"${hex.join("")}"`;
}
