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

/** Parses `args` as main.ts does, from the folder `/home/user`. */
export function parse(
  args: string[],
  env: (name: string) => string | undefined = noEnv,
  readFile: (path: string) => string = noFile,
): Command {
  return parseCommandLine(args, { env, readFile, cwd: "/home/user" });
}

/** The config `args` make; fails the test for a help or version command. */
export function configOf(
  args: string[],
  env: (name: string) => string | undefined = noEnv,
  readFile: (path: string) => string = noFile,
): Config {
  const command = parse(args, env, readFile);
  assert.ok(command.kind === "serve", args.join(" "));
  return command.config;
}
