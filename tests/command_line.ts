/**
 * Helpers for tests of the command line: parse arguments as main.ts does,
 * with a given environment, from a given folder, with files the test lends.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Command, parseCommandLine } from "../cli/command_line.ts";
import type { Config } from "../config.ts";

/** No environment variable is set. */
export const noEnv = (): undefined => undefined;

/** No file can be read. */
export function noFile(path: string): string {
  throw new Deno.errors.NotFound(path);
}

/** The checkout, where `deno task` runs liveplot (and where `INIT_CWD` means the user's folder). */
export const CHECKOUT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Parses `args` as main.ts does, from the folder `cwd` (the user's `/home/user`). */
export function parse(
  args: string[],
  env: (name: string) => string | undefined = noEnv,
  readFile: (path: string) => string = noFile,
  cwd = "/home/user",
): Command {
  return parseCommandLine(args, { env, readFile, cwd });
}

/** The config `args` make; fails the test for a help or version command. */
export function configOf(
  args: string[],
  env: (name: string) => string | undefined = noEnv,
  readFile: (path: string) => string = noFile,
  cwd = "/home/user",
): Config {
  const command = parse(args, env, readFile, cwd);
  assert.ok(command.kind === "serve", args.join(" "));
  return command.config;
}
