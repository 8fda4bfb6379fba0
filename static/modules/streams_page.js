/**
 * The `/s/` page: the streams this server has, refreshed every few seconds.
 *
 * @module
 */

import { fetchStreams, tableStreams, utcStamp } from "./streams.js";
import { tokenQuery } from "./url_state.js";

const REFRESH_MS = 5000;

const body = /** @type {HTMLTableSectionElement} */ (document.getElementById("streams"));
const count = /** @type {HTMLElement} */ (document.getElementById("count"));
const empty = /** @type {HTMLElement} */ (document.getElementById("empty"));
const status = /** @type {HTMLElement} */ (document.getElementById("status"));
/** The live region: a failure and the recovery from it, not each refresh's time. */
const announce = /** @type {HTMLElement} */ (document.getElementById("announce"));
let failing = false;
/** @type {HTMLAnchorElement} */ (document.getElementById("all-streams")).href = `/${
  tokenQuery(location.search)
}`;

async function refresh() {
  try {
    const streams = await fetchStreams(location.search);
    tableStreams(body, streams, location.search);
    count.textContent = String(streams.length);
    empty.hidden = streams.length > 0;
    status.textContent = `updated ${utcStamp(Date.now() / 1000)}`;
    if (failing) announce.textContent = "streams listed again";
    failing = false;
  } catch (error) {
    status.textContent = error instanceof Error ? error.message : String(error);
    if (announce.textContent !== status.textContent) announce.textContent = status.textContent;
    failing = true;
  }
}

await refresh();
setInterval(refresh, REFRESH_MS);
