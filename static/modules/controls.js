/**
 * The page's controls: toolbar buttons, the Window and Y range fields and
 * keyboard shortcuts call `actions`; `showState` reflects the state back
 * (pressed buttons, the window span, the status line, the hint, stderr).
 *
 * @module
 */

import { parseWindow, parseYRange } from "./url_state.js";
import { displayName, visibleName } from "./names.js";

/** @param {string} id */
const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Replaces the page with an error heading (a browser the page cannot run in).
 * @param {string} message
 */
export function showError(message) {
  const heading = Object.assign(document.createElement("h2"), { className: "error" });
  heading.textContent = `ERROR: ${message}`;
  document.body.replaceChildren(heading);
}

/** The page's elements, by role. */
export function findUi() {
  return {
    title: element("title"),
    charts: element("placeholder"),
    hint: element("hint"),
    hover: element("hover"),
    status: element("status"),
    announce: element("announce"),
    stderr: element("stderr"),
    span: element("span"),
    streams: /** @type {HTMLUListElement} */ (element("streams-here")),
    legend: element("legend"),
    start: /** @type {HTMLButtonElement} */ (element("start")),
    pause: /** @type {HTMLButtonElement} */ (element("pause")),
    live: /** @type {HTMLButtonElement} */ (element("live")),
    split: /** @type {HTMLButtonElement} */ (element("split")),
    csv: /** @type {HTMLButtonElement} */ (element("csv")),
    csvAll: /** @type {HTMLAnchorElement} */ (element("csv-all")),
    png: /** @type {HTMLButtonElement} */ (element("png")),
    window: /** @type {HTMLInputElement} */ (element("window")),
    yRange: /** @type {HTMLInputElement} */ (element("y-range")),
    panLeft: element("pan-left"),
    panRight: element("pan-right"),
    zoomIn: element("zoom-in"),
    zoomOut: element("zoom-out"),
  };
}

/** @typedef {ReturnType<typeof findUi>} Ui */

/**
 * @typedef {object} Actions
 * @property {() => void} start
 * @property {() => void} pause
 * @property {() => void} live
 * @property {() => void} split
 * @property {(fraction: number) => void} pan
 * @property {(factor: number) => void} zoom
 * @property {() => void} csv
 * @property {() => void} png
 * @property {(spec: import("./url_state.js").WindowSpec | null) => void} window
 * @property {(range: [number | null, number | null] | null) => void} yRange
 */

/**
 * Connects the controls to `actions`; keys work unless typing in a field (not in the demo).
 * @param {Ui} ui
 * @param {Actions} actions
 * @param {{ demo: boolean, window: string | null, y: string | null }} initial
 */
export function bindControls(ui, actions, initial) {
  ui.start.addEventListener("click", actions.start);
  ui.pause.addEventListener("click", actions.pause);
  ui.live.addEventListener("click", actions.live);
  ui.split.addEventListener("click", actions.split);
  ui.panLeft.addEventListener("click", () => actions.pan(-0.25));
  ui.panRight.addEventListener("click", () => actions.pan(0.25));
  ui.zoomIn.addEventListener("click", () => actions.zoom(0.5));
  ui.zoomOut.addEventListener("click", () => actions.zoom(2));
  ui.csv.addEventListener("click", actions.csv);
  ui.png.addEventListener("click", actions.png);
  ui.window.value = initial.window ?? "";
  ui.window.addEventListener("change", () => {
    const text = ui.window.value.trim();
    const spec = text === "" ? null : parseWindow(text);
    const bad = text !== "" && spec === null;
    refuseIf(ui.window, bad, "Points (500) or a duration (60s, 10m); empty for the server's");
    if (!bad) actions.window(spec);
  });
  ui.yRange.value = initial.y ?? "";
  ui.yRange.addEventListener("change", () => {
    const text = ui.yRange.value.trim();
    const range = parseYRange(text);
    const bad = text !== "" && text !== "auto" && range === null;
    refuseIf(ui.yRange, bad, "MIN:MAX with MIN below MAX (0:100, or -5: for the least only); auto");
    if (!bad) actions.yRange(range);
  });
  document.addEventListener("keydown", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (initial.demo || event.ctrlKey || event.metaKey || event.altKey) return;
    // Not while typing in a field; anywhere else (the charts, the page, a toolbar or legend
    // button just clicked) the keys act, but space and Enter still press a focused button or link.
    if (target.closest?.("input, textarea, select") || target.isContentEditable) return;
    if (event.key === " " && !target.closest?.("button, a")) {
      event.preventDefault();
      actions.pause();
      return;
    }
    const keys = /** @type {Record<string, () => void>} */ ({
      ArrowLeft: () => actions.pan(-0.1),
      ArrowRight: () => actions.pan(0.1),
      "+": () => actions.zoom(0.5),
      "=": () => actions.zoom(0.5),
      "-": () => actions.zoom(2),
      End: actions.live,
      l: actions.live,
    });
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
}

/**
 * Heads the page with the stream's title (from its meta message): shown
 * visibly, cut at NAME_LIMIT, whole on hover.
 * @param {Ui} ui
 * @param {string} title
 */
export function showTitle(ui, title) {
  const heading = `liveplot: ${displayName(title)}`;
  setText(ui.title, heading);
  ui.title.title = visibleName(title);
  if (document.title !== heading) document.title = heading;
}

/**
 * Sets `element`'s text when it differs (no needless layout).
 * @param {HTMLElement} element
 * @param {string} text
 */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/**
 * Shows the state: pressed buttons, the window span, status, hint and stderr.
 * @param {Ui} ui
 * @param {{ following: boolean, paused: boolean, split: boolean, pauseDisabled: boolean, span: string, status: string, announce: string, statusState: string, hint: string, stderr: string }} shown
 */
export function showState(ui, shown) {
  ui.live.setAttribute("aria-pressed", String(shown.following));
  ui.pause.setAttribute("aria-pressed", String(shown.paused));
  ui.pause.disabled = shown.pauseDisabled;
  ui.split.setAttribute("aria-pressed", String(shown.split));
  setText(ui.span, shown.span);
  setText(ui.status, shown.status);
  // The live region: only state changes, not the counters above, reach a screen reader.
  setText(ui.announce, shown.announce);
  ui.status.dataset.state = shown.statusState;
  setText(ui.hint, shown.hint);
  ui.hint.hidden = shown.hint === "";
  ui.streams.hidden = shown.hint === "" || ui.streams.childElementCount === 0;
  setText(ui.stderr, shown.stderr);
  ui.stderr.hidden = shown.stderr === "";
}

/**
 * Marks `field` invalid or valid; an invalid one says what it takes, in the
 * browser's own bubble, where a red border alone would leave one guessing.
 * @param {HTMLInputElement} field
 * @param {boolean} bad
 * @param {string} takes what the field takes
 */
function refuseIf(field, bad, takes) {
  field.setAttribute("aria-invalid", String(bad));
  field.setCustomValidity(bad ? takes : "");
  if (bad) field.reportValidity();
}
