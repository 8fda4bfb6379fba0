/**
 * The page and everything it loads, embedded through imports so `deno run`
 * and the compiled binary serve the same bytes and never read the disk.
 * Each asset carries a strong ETag; a matching `If-None-Match` gets 304.
 * Its three answers (200, HEAD, 304) are built on its first request, once,
 * and copied per request: a start digests nothing.
 *
 * @module
 */

import page from "../static/index.html" with { type: "text" };
import appScript from "../static/app.js" with { type: "text" };
import style from "../static/style.css" with { type: "text" };
import icon from "../static/favicon.svg" with { type: "text" };
import chartModule from "../static/modules/chart.js" with { type: "text" };
import colorsModule from "../static/modules/colors.js" with { type: "text" };
import exportModule from "../static/modules/export.js" with { type: "text" };
import formatModule from "../static/modules/format.js" with { type: "text" };
import historyModule from "../static/modules/history.js" with { type: "text" };
import legendModule from "../static/modules/legend.js" with { type: "text" };
import socketModule from "../static/modules/socket.js" with { type: "text" };
import storeModule from "../static/modules/store.js" with { type: "text" };
import urlStateModule from "../static/modules/url_state.js" with { type: "text" };
import actionsModule from "../static/modules/actions.js" with { type: "text" };
import chartsModule from "../static/modules/charts.js" with { type: "text" };
import clientModule from "../static/modules/client.js" with { type: "text" };
import controlsModule from "../static/modules/controls.js" with { type: "text" };
import debugModule from "../static/modules/debug.js" with { type: "text" };
import gesturesModule from "../static/modules/gestures.js" with { type: "text" };
import groupingModule from "../static/modules/grouping.js" with { type: "text" };
import joinModule from "../static/modules/join.js" with { type: "text" };
import namesModule from "../static/modules/names.js" with { type: "text" };
import outagesModule from "../static/modules/outages.js" with { type: "text" };
import presentModule from "../static/modules/present.js" with { type: "text" };
import scrollbackModule from "../static/modules/scrollback.js" with { type: "text" };
import stateModule from "../static/modules/state.js" with { type: "text" };
import statusModule from "../static/modules/status.js" with { type: "text" };
import streamsModule from "../static/modules/streams.js" with { type: "text" };
import streamsPageModule from "../static/modules/streams_page.js" with { type: "text" };
import viewModule from "../static/modules/view.js" with { type: "text" };
// uPlot's ES module build: the page imports it (modules/chart.js), no global.
import chartScript from "uplot/dist/uPlot.esm.js" with { type: "text" };
import chartStyle from "uplot/dist/uPlot.min.css" with { type: "text" };
import { fixedAnswer } from "./respond.ts";

/** The page's ES modules, served under `/static/modules/NAME.js`. */
const MODULES: Record<string, string> = {
  actions: actionsModule,
  chart: chartModule,
  charts: chartsModule,
  client: clientModule,
  controls: controlsModule,
  debug: debugModule,
  gestures: gesturesModule,
  grouping: groupingModule,
  join: joinModule,
  names: namesModule,
  outages: outagesModule,
  present: presentModule,
  scrollback: scrollbackModule,
  state: stateModule,
  status: statusModule,
  streams: streamsModule,
  streams_page: streamsPageModule,
  view: viewModule,
  colors: colorsModule,
  export: exportModule,
  format: formatModule,
  history: historyModule,
  legend: legendModule,
  socket: socketModule,
  store: storeModule,
  url_state: urlStateModule,
};

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
  const files: [string, string, string][] = [
    ["/", pageHtml(source), "text/html; charset=utf-8"],
    ["/static/app.js", appScript, "text/javascript; charset=utf-8"],
    ...Object.entries(MODULES).map(([name, text]): [string, string, string] => [
      `/static/modules/${name}.js`,
      text,
      "text/javascript; charset=utf-8",
    ]),
    ["/static/style.css", style, "text/css; charset=utf-8"],
    ["/static/uplot.js", chartScript, "text/javascript; charset=utf-8"],
    ["/static/uplot.css", chartStyle, "text/css; charset=utf-8"],
    ["/static/favicon.svg", icon, "image/svg+xml"],
  ];
  return {
    files: new Map(files.map(([path, text, contentType]) => [path, lazyAsset(text, contentType)])),
    streamPage: lazyAsset(pageHtml(null), "text/html; charset=utf-8"),
  };
}

/** The page: the demo's (`undefined`), a live one headed by `source`, or a stream's (`null`). */
function pageHtml(source: string | null | undefined): string {
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

/** An asset built on its first request; requests meanwhile wait for the same build. */
function lazyAsset(text: string, contentType: string): Asset {
  let built: BuiltAsset | undefined;
  let building: Promise<BuiltAsset> | undefined;
  return {
    serve(request) {
      if (built) return answer(request, built);
      building ??= buildAsset(text, contentType).then((asset) => built = asset);
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
