/**
 * Writes the generated tables into README.md (flags) and docs/cli.md
 * (examples, flags, routes, environment, exit codes) from the same tables
 * `--help` prints: `deno task docs` runs this; a test checks both are current.
 *
 * @module
 */

import { FLAGS } from "./flags.ts";
import { environment, EXAMPLES, EXIT_CODES, ROUTES } from "./usage.ts";

/** A Markdown table laid out as `deno fmt` lays it out. */
export function markdownTable(header: string[], rows: string[][]): string {
  const escaped = rows.map((row) => row.map((cell) => cell.replaceAll("|", "\\|")));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...escaped.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`,
    ...escaped.map(line),
  ].join("\n");
}

/** The flag table: every flag, its default and meaning. */
export function flagTable(): string {
  return markdownTable(
    ["flag", "default", "meaning"],
    FLAGS.map((flag) => [
      (flag.short ? `\`-${flag.short}\`, ` : "") +
      `\`--${flag.name}${flag.value ? ` ${flag.value}` : ""}\``,
      flag.default ?? "",
      flag.help + (flag.env ? ` (env \`${flag.env}\`; the flag wins)` : ""),
    ]),
  );
}

/** Each generated section by the name its markers carry. */
export const SECTIONS: Readonly<Record<string, () => string>> = {
  flags: flagTable,
  examples: () =>
    markdownTable(
      ["command", "what it does"],
      EXAMPLES.map(({ command, what }) => [`\`${command}\``, what]),
    ),
  "example commands": () => {
    const width = Math.max(...EXAMPLES.map(({ command }) => command.length)) + 2;
    const lines = EXAMPLES.map(({ command, what }) => `${command.padEnd(width)}# ${what}`);
    return ["```sh", ...lines, "```"].join("\n");
  },
  routes: () =>
    markdownTable(
      ["route", "what it serves"],
      ROUTES.map(({ route, what }) => [`\`${route}\``, what]),
    ),
  environment: () =>
    markdownTable(
      ["variable", "meaning"],
      environment().map(({ name, what }) => [`\`${name}\``, what]),
    ),
  "exit codes": () =>
    markdownTable(["code", "meaning"], EXIT_CODES.map(({ code, what }) => [String(code), what])),
};

/** The marker that opens generated section `name`. */
export function startMarker(name: string): string {
  return `<!-- ${name}: written by \`deno task docs\` from cli/ -->`;
}

/** The marker that closes it. */
export function endMarker(name: string): string {
  return `<!-- end of ${name} -->`;
}

/** Returns `text` with every generated section it has markers for replaced by the current one. */
export function withGeneratedSections(text: string): string {
  let result = text;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = result.indexOf(startMarker(name));
    if (start === -1) continue;
    const end = result.indexOf(endMarker(name), start);
    if (end === -1) throw new Error(`No "${endMarker(name)}" after "${startMarker(name)}"`);
    result = `${result.slice(0, start + startMarker(name).length)}\n\n${render()}\n\n${
      result.slice(end)
    }`;
  }
  return result;
}

/** The files with generated sections, from the project's root. */
export const GENERATED_FILES = ["README.md", "docs/cli.md"];

if (import.meta.main) {
  for (const file of GENERATED_FILES) {
    const path = new URL(`../${file}`, import.meta.url);
    await Deno.writeTextFile(path, withGeneratedSections(await Deno.readTextFile(path)));
  }
}
