/**
 * A case that is a script of its own: `deno run -A bench/FILE`, whose
 * standard output (a Markdown table) becomes the case's section. Lets a
 * stand-alone benchmark join `deno task bench` with one line in the
 * registry (`cases/mod.ts`), without knowing the driver.
 *
 * @module
 */

import type { BenchCase, Table } from "./case.ts";
import { BENCH, DENO } from "./servers.ts";

/** Options of a script case. */
export interface ScriptOptions {
  /** Runs only when named with `--case` (the default: a script's run time is its own). */
  optIn?: boolean;
  /** Arguments for a full run and for `--quick`. */
  args?: string[];
  quickArgs?: string[];
}

/** The case that runs `bench/FILE` once, after the rounds, and prints what it printed. */
export function scriptCase(
  name: string,
  file: string,
  about: string,
  options: ScriptOptions = {},
): BenchCase<string> {
  const table: Table<string> = {
    title: `${about} (\`bench/${file}\`)`,
    render: (results) => ({ lines: results.join("\n").trim().split("\n") }),
  };
  return {
    name,
    about,
    optIn: options.optIn ?? true,
    once: true,
    table,
    async round(context) {
      const args = (context.options.quick ? options.quickArgs : undefined) ?? options.args ?? [];
      try {
        const { success, code, stdout, stderr } = await new Deno.Command(DENO, {
          args: ["run", "-A", `${BENCH}${file}`, ...args],
          stdin: "null",
        }).output();
        const decoder = new TextDecoder();
        if (!success) {
          const tail = decoder.decode(stderr).trim().split("\n").slice(-5).join(" ");
          throw new Error(`bench/${file} exited with ${code}: ${tail}`);
        }
        return [decoder.decode(stdout)];
      } catch (error) {
        context.fail(name, error);
        return [];
      }
    },
  };
}
