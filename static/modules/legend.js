/**
 * The legend as a control: one row per series with its colour, name (a
 * toggle button: click hides or shows it), last value (or the hovered
 * value), min and max over the view, and a second-axis toggle.
 *
 * @module
 */

import { seriesColor } from "./colors.js";
import { formatValue } from "./format.js";
import { displayName, visibleName } from "./names.js";
import { columnStats } from "./grouping.js";

/**
 * @typedef {object} LegendRow
 * @property {HTMLLIElement} item
 * @property {HTMLButtonElement} toggle
 * @property {HTMLButtonElement} axis
 * @property {HTMLSpanElement} value
 * @property {HTMLSpanElement} range
 */

/**
 * @typedef {object} LegendEntry
 * @property {string} name
 * @property {number} order
 * @property {number} color colour number: its arrival order, in every chart (seriesColor)
 * @property {boolean} hidden
 * @property {boolean} y2
 */

/** The legend list under the charts. */
export class Legend {
  /**
   * @param {HTMLElement} list an `<ul>`
   * @param {{ onToggle: (name: string) => void, onAxis: (name: string) => void }} handlers
   */
  constructor(list, handlers) {
    this.list = list;
    this.handlers = handlers;
    /** @type {Map<string, LegendRow>} */
    this.rows = new Map();
    /** @type {Map<string, { min: number, max: number }>} min and max over the view */
    this.stats = new Map();
    this.showAxis = true;
    list.addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target)?.closest?.("button");
      const item = button?.closest("li");
      const name = item?.dataset.name;
      if (name === undefined || !button) return;
      if (button.classList.contains("toggle")) this.handlers.onToggle(name);
      else if (button.classList.contains("axis")) this.handlers.onAxis(name);
    });
  }

  /**
   * Makes the rows match `entries` (adds new ones, updates pressed states).
   * @param {LegendEntry[]} entries
   * @param {boolean} showAxis whether the second-axis toggles apply
   */
  sync(entries, showAxis) {
    for (const entry of entries) {
      let row = this.rows.get(entry.name);
      if (!row) {
        row = this.#createRow(entry);
        this.rows.set(entry.name, row);
        this.list.append(row.item);
      }
      if (row.item.dataset.color !== String(entry.color)) {
        row.item.dataset.color = String(entry.color);
        this.#paint(row);
      }
      row.toggle.setAttribute("aria-pressed", String(!entry.hidden));
      row.item.classList.toggle("hidden", entry.hidden);
      row.axis.setAttribute("aria-pressed", String(entry.y2));
      row.axis.hidden = !showAxis;
    }
    for (const [name, row] of this.rows) {
      if (!entries.some((entry) => entry.name === name)) {
        row.item.remove();
        this.rows.delete(name);
      }
    }
  }

  /**
   * Shows each series' value (the hovered row's, else the last) and its min
   * and max over table rows `from`–`to` (recomputed when `fresh`).
   * @param {import("./store.js").Store} store
   * @param {number} from
   * @param {number} to
   * @param {number | null} row the hovered row
   * @param {boolean} fresh
   */
  values(store, from, to, row, fresh) {
    store.list().forEach((series, k) => {
      const column = store.columns[k] ?? [];
      let range = this.stats.get(series.name);
      if (fresh || !range) {
        const { min, max } = columnStats(column, from, to);
        this.stats.set(series.name, range = { min, max });
      }
      const hovered = row !== null && column[row] !== undefined;
      this.show(series.name, {
        value: hovered ? column[/** @type {number} */ (row)] : series.lastY,
        min: range.min,
        max: range.max,
        hovered,
      });
    });
  }

  /** Recolours the swatches (after a theme change). */
  recolor() {
    for (const row of this.rows.values()) this.#paint(row);
  }

  /** @param {LegendRow} row */
  #paint(row) {
    const swatch = /** @type {HTMLElement} */ (row.toggle.querySelector(".swatch"));
    // CSSOM, not a style attribute: the CSP allows no inline style.
    swatch.style.setProperty("background-color", seriesColor(Number(row.item.dataset.color ?? 0)));
  }

  /**
   * Shows numbers: the value (last, or hovered), min and max over the view.
   * @param {string} name
   * @param {{ value: number | undefined, min: number, max: number, hovered: boolean }} numbers
   */
  show(name, numbers) {
    const row = this.rows.get(name);
    if (!row) return;
    const value = formatValue(numbers.value);
    if (row.value.textContent !== value) row.value.textContent = value;
    row.value.classList.toggle("hovered", numbers.hovered);
    const range = numbers.min === Infinity
      ? ""
      : `min ${formatValue(numbers.min)} · max ${formatValue(numbers.max)}`;
    if (row.range.textContent !== range) row.range.textContent = range;
  }

  /**
   * @param {LegendEntry} entry
   * @returns {LegendRow}
   */
  #createRow(entry) {
    const item = document.createElement("li");
    item.dataset.name = entry.name;
    item.dataset.order = String(entry.order);
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "toggle";
    // The whole name on hover: the label shows at most NAME_LIMIT characters.
    toggle.title = `Show or hide ${visibleName(entry.name)}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = displayName(entry.name);
    toggle.append(swatch, label);
    const value = document.createElement("span");
    value.className = "value";
    const range = document.createElement("span");
    range.className = "range";
    const axis = document.createElement("button");
    axis.type = "button";
    axis.className = "axis";
    axis.textContent = "y2";
    axis.title = `Put ${displayName(entry.name)} on the second y axis`;
    axis.setAttribute("aria-label", `Second axis for ${displayName(entry.name)}`);
    item.append(toggle, value, range, axis);
    return { item, toggle, axis, value, range };
  }
}
