/**
 * Downloads: the series in view as CSV (x written as the server's export
 * writes it, ISO time for time x; one column per series, empty cells where a
 * series has no point at that x) and a PNG of every drawn chart, stacked,
 * with the title and the legend.
 *
 * @module
 */

import { seriesColor, themeColors } from "./colors.js";
import { csvXFormatter } from "./csv_x.js";
import { formatValue } from "./format.js";
import { displayName } from "./names.js";

/**
 * Quotes a CSV field when it needs it (RFC 4180).
 * @param {string} text
 * @returns {string}
 */
export function csvField(text) {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A text cell a spreadsheet will not run as a formula: one starting with
 * `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` (OWASP's
 * rule), then quoting as needed. Numbers never go through here.
 * @param {string} text
 * @returns {string}
 */
export function csvText(text) {
  return csvField(/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
}

/**
 * CSV text of table rows `from` (inclusive) to `to` (exclusive).
 * @param {{ xs: number[], columns: (number | undefined)[][], names: string[], kind: string, from: number, to: number }} table
 * @returns {string}
 */
export function tableCsv(table) {
  // Headed as the server's export is (GET /data.csv), whatever x is: one file reads like the other.
  const lines = [["x", ...table.names].map(csvText).join(",")];
  const csvX = csvXFormatter(table.kind);
  for (let row = table.from; row < table.to; row++) {
    let any = false;
    const cells = [csvX(/** @type {number} */ (table.xs[row]))];
    for (const column of table.columns) {
      const value = column[row];
      if (value === undefined || value === null) cells.push("");
      else {
        cells.push(String(value));
        any = true;
      }
    }
    if (any) lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * Saves `blob` as `filename` through a temporary link.
 * @param {Blob} blob
 * @param {string} filename
 */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A file name stamp: `2026-11-25T18-04-05`.
 * @returns {string}
 */
export function stamp() {
  return new Date().toISOString().slice(0, 19).replaceAll(":", "-");
}

/**
 * Draws every chart's canvas, stacked, under the page title and above a
 * legend of the shown series, into one PNG.
 * @param {{ title: string, charts: any[], legend: { name: string, color: number, value: number | undefined }[] }} what
 * @returns {Promise<Blob>}
 */
export function chartsPng(what) {
  const ratio = globalThis.devicePixelRatio || 1;
  const canvases = what.charts.map((u) => /** @type {HTMLCanvasElement} */ (u.ctx.canvas));
  const titles = what.charts.map((u) =>
    String(u.root.querySelector(".u-title")?.textContent ?? "")
  );
  const width = Math.max(...canvases.map((c) => c.width));
  const line = Math.round(20 * ratio);
  const font = `${Math.round(13 * ratio)}px system-ui, sans-serif`;
  const bold = `bold ${Math.round(15 * ratio)}px system-ui, sans-serif`;
  // Legend entries flow in rows across the width.
  const measure = /** @type {CanvasRenderingContext2D} */ (
    document.createElement("canvas").getContext("2d")
  );
  measure.font = font;
  const entries = what.legend.map((entry) => {
    const text = `${displayName(entry.name)} ${formatValue(entry.value)}`;
    return { ...entry, text, width: measure.measureText(text).width + 26 * ratio };
  });
  let legendRows = entries.length > 0 ? 1 : 0;
  let x = 0;
  for (const entry of entries) {
    if (x > 0 && x + entry.width > width) {
      legendRows++;
      x = 0;
    }
    x += entry.width;
  }
  const height = line * 1.5 +
    canvases.reduce((sum, c, i) => sum + c.height + (titles[i] ? line : 0), 0) +
    legendRows * line + line / 2;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = Math.ceil(height);
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  const theme = themeColors();
  context.fillStyle = theme.background;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = theme.text;
  context.textBaseline = "middle";
  context.font = bold;
  context.fillText(what.title, 8 * ratio, line * 0.75);
  let y = line * 1.5;
  canvases.forEach((source, i) => {
    if (titles[i]) {
      context.font = font;
      context.fillStyle = theme.text;
      context.fillText(/** @type {string} */ (titles[i]), 8 * ratio, y + line / 2);
      y += line;
    }
    context.drawImage(source, 0, y);
    y += source.height;
  });
  x = 0;
  y += line / 2;
  context.font = font;
  for (const entry of entries) {
    if (x > 0 && x + entry.width > width) {
      x = 0;
      y += line;
    }
    context.fillStyle = seriesColor(entry.color);
    context.fillRect(x + 6 * ratio, y - 5 * ratio, 12 * ratio, 10 * ratio);
    context.fillStyle = theme.text;
    context.fillText(entry.text, x + 22 * ratio, y);
    x += entry.width;
  }
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("Cannot encode PNG"))),
      "image/png",
    )
  );
}
