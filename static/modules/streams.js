/**
 * The streams a server has (`GET /s/` as JSON): for the `/s/` page and for
 * the links an empty page offers. Names go in as text (`textContent`),
 * shown visibly (names.js).
 *
 * @module
 */

import { displayName, visibleName } from "./names.js";
import { formatRate } from "./format.js";
import { tokenQuery } from "./url_state.js";

/**
 * @typedef {object} StreamSummary
 * @property {string} name
 * @property {string[]} series
 * @property {number} pointsPerSecond
 * @property {number} viewers
 * @property {number} writers
 * @property {number | null} lastPointAt seconds since the epoch
 */

/**
 * Fetches the index; a page's `token` query parameter goes along.
 * @param {string} search the page's query string
 * @returns {Promise<StreamSummary[]>}
 */
export async function fetchStreams(search) {
  const response = await fetch(`/s/${tokenQuery(search)}`, {
    headers: { accept: "application/json" },
  });
  if (!response.ok) throw new Error(`Cannot list streams: ${response.status}`);
  const body = await response.json();
  return Array.isArray(body?.streams) ? body.streams : [];
}

/**
 * The streams other than the one at socket path `socket` that have points
 * (the asking page has none yet, so one with points is another).
 * @param {StreamSummary[]} streams
 * @param {string} socket the page's socket path (`/data` or `/s/NAME/data`, maybe with a query)
 * @returns {StreamSummary[]}
 */
export function otherStreams(streams, socket) {
  const own = socket.split("?")[0];
  return streams.filter((s) =>
    s.lastPointAt !== null && `/s/${encodeURIComponent(s.name)}/data` !== own
  );
}

/**
 * A link to stream `name`'s page, its name shown visibly and in full on hover.
 * @param {string} name
 * @param {string} search the page's query string (a token goes along)
 * @returns {HTMLAnchorElement}
 */
export function streamLink(name, search) {
  const link = document.createElement("a");
  link.href = `/s/${encodeURIComponent(name)}${tokenQuery(search)}`;
  link.textContent = displayName(name);
  link.title = visibleName(name);
  return link;
}

/**
 * Fills `list` with one item per stream: its link and series.
 * @param {HTMLUListElement} list
 * @param {StreamSummary[]} streams
 * @param {string} search
 */
export function listStreams(list, streams, search) {
  list.replaceChildren(...streams.map((stream) => {
    const item = document.createElement("li");
    const series = document.createElement("span");
    series.className = "series";
    series.textContent = ` ${stream.series.map(displayName).join(", ")}`;
    item.append(streamLink(stream.name, search), series);
    return item;
  }));
}

/**
 * A time as the index shows every time: `2026-12-07 03:49:15Z`, UTC, as
 * the server's logs and CSV have it.
 * @param {number} seconds since the epoch
 * @returns {string}
 */
export function utcStamp(seconds) {
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + "Z";
}

/**
 * Fills table body `body` with a row per stream (the `/s/` page).
 * @param {HTMLTableSectionElement} body
 * @param {StreamSummary[]} streams
 * @param {string} search
 */
export function tableStreams(body, streams, search) {
  body.replaceChildren(...streams.map((stream) => {
    const row = document.createElement("tr");
    const last = stream.lastPointAt === null ? "never" : utcStamp(stream.lastPointAt);
    const cells = [
      stream.series.map(displayName).join(", "),
      formatRate(stream.pointsPerSecond),
      String(stream.viewers),
      String(stream.writers),
      last,
    ].map((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      return cell;
    });
    const name = document.createElement("td");
    name.append(streamLink(stream.name, search));
    row.append(name, ...cells);
    return row;
  }));
}
