/**
 * Turns the arguments and environment into one typed `Config`: splits the
 * options from the source words, reads each option with its row's parser
 * (flags.ts), checks the flags that go together, and resolves relative paths
 * against the folder the user ran liveplot from.
 *
 * @module
 */

import {
  type Config,
  DEFAULTS,
  type SourceSpec,
  type TokenOrigin,
  type WindowSpec,
} from "../config.ts";
import { describeError } from "../log.ts";
import { findFlag, FLAGS, type Given } from "./flags.ts";
import { generateToken } from "./token.ts";
import { parseSourceFlags, SourceAddressError } from "../stream/source_spec.ts";
import { readTls } from "./tls_files.ts";
import { MIN_TOKEN_CHARS, parseToken, StartError, UsageError } from "./values.ts";

/** The sources whose lines `--record` writes down. */
const RECORDED_SOURCES = new Set(["stdin", "command", "serial", "mqtt", "udp"]);
/** How a usage line names the others. */
const UNRECORDED_NAMES: Record<string, string> = {
  scrape: "--scrape (a scrape reads no lines)",
  replay: "--replay (the recording is there already)",
  demo: "the demo (give a source)",
};

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  /** `warnings`: logged at start (a short token, a token per process). */
  | { kind: "serve"; config: Config; warnings: Warning[] };

/** A warning about the command line, logged at start as `event` with `note`. */
export interface Warning {
  event: string;
  note: string;
}

/**
 * The window of every stream (the source's, and those pushed to `/s/NAME`)
 * unless `--window` says otherwise: a minute, whatever the rate (200 points
 * span 35 ms at 5,000 lines a second). The demo draws no stream: it keeps
 * the seed's 200 points.
 */
export const LIVE_WINDOW: WindowSpec = { seconds: 60 };

/** How the command line reaches the outside world: tests pass their own. */
export interface Surroundings {
  env: (name: string) => string | undefined;
  readFile: (path: string) => string;
  /** The folder liveplot runs in: the user's, unless `deno task` moved it to the checkout. */
  cwd: string;
}

/** The checkout's folder, where `deno task` runs its tasks. */
const CHECKOUT = resolvePath("/", new URL("../", import.meta.url).pathname);

/**
 * Parses the arguments and environment into a command; throws `UsageError`.
 * Options end at `--` or at the first word that is not an option, which
 * starts the command. Relative paths resolve against the user's folder: `cwd`,
 * or `INIT_CWD` when liveplot runs in the checkout (as `deno task` runs it,
 * telling the folder it was started from in `INIT_CWD`). Elsewhere an
 * `INIT_CWD` is some other tool's, inherited: it is not the user's folder.
 */
export function parseCommandLine(args: readonly string[], around: Surroundings): Command {
  const { given, named, words, separated } = readOptions(args);
  if (given.help) return { kind: "help" };
  if (given.version) return { kind: "version" };
  // Each flag the environment gave, by name, with its variable: the push line names LIVEPLOT_TOKEN.
  const fromEnvironment = new Map<string, string>();
  for (const flag of FLAGS) {
    if (!flag.env || named.has(flag.name)) continue;
    const value = around.env(flag.env);
    if (value === undefined || (flag.name === "token" && given.tokenFile !== undefined)) continue;
    Object.assign(given, flag.parse(value, `The environment variable ${flag.env}`));
    fromEnvironment.set(flag.name, flag.env);
  }
  const folder = (resolvePath("/", around.cwd) === CHECKOUT && around.env("INIT_CWD")) ||
    around.cwd;
  const path = (text: string) => text.startsWith("/") ? text : resolvePath(folder, text);
  const read = (label: string, file: string) => {
    try {
      return around.readFile(path(file));
    } catch (error) {
      // The command line is right; the file is not: exit 1, as a missing --replay.
      throw new StartError(`Cannot read ${label} "${file}": ${describeError(error)}`);
    }
  };

  const { replay, speed, recordPath, recordRequired, certPath, keyPath, tokenFile } = given;
  if (replay !== undefined && words.length > 0) {
    throw new UsageError("--replay is the source: give no other source with it");
  }
  if (speed !== undefined && replay === undefined) {
    throw new UsageError("--speed goes with --replay");
  }
  if (recordRequired && recordPath === undefined) {
    throw new UsageError("--record-required goes with --record");
  }
  if (given.quiet && given.verbose) throw new UsageError("Use --quiet or --verbose, not both");
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  if (tokenFile !== undefined && given.token !== undefined) {
    throw new UsageError("Use --token or --token-file, not both");
  }
  const source: SourceSpec = otherSource(
    given,
    replay !== undefined ? "--replay" : words.length > 0 ? "a command" : undefined,
  ) ??
    (replay === undefined
      ? parseSource(words, folder, path)
      : { kind: "replay", path: path(replay), speed: speed ?? 1 });
  if (given.pty === false && source.kind !== "command") {
    throw new UsageError("--no-pty goes with a command (it runs the command on a plain pipe)");
  }
  if (recordPath !== undefined && !RECORDED_SOURCES.has(source.kind)) {
    throw new UsageError(
      `--record records lines as a source reads them (standard input, a command, --serial, ` +
        `--mqtt, --udp), so not ${UNRECORDED_NAMES[source.kind] ?? source.kind}`,
    );
  }
  const token = tokenFile === undefined ? given.token : parseToken(
    read("--token-file", tokenFile),
    `The token in --token-file "${tokenFile}"`,
  );
  const tokenVariable = fromEnvironment.get("token");
  const tokenOrigin: TokenOrigin = tokenFile !== undefined
    ? { kind: "file", path: tokenFile }
    : tokenVariable !== undefined
    ? { kind: "environment", name: tokenVariable }
    : token !== undefined
    ? { kind: "flag" }
    : { kind: "generated" };
  const warnings: Warning[] = [["push", token], ["read", given.readToken]]
    .filter(([, value]) => value !== undefined && value.length < MIN_TOKEN_CHARS)
    .map(([kind]) => ({
      event: "token-short",
      note: `The ${kind} token is shorter than ${MIN_TOKEN_CHARS} characters: it can be guessed`,
    }));
  // `liveplot vmstat 1 --window 10m`: the command gets the flag, and likely dies of it.
  const late = separated
    ? undefined
    : words.slice(1).find((word) =>
      word.startsWith("--") && findFlag(word.split("=")[0]!) !== undefined
    );
  if (late !== undefined) {
    warnings.push({
      event: "flag-after-command",
      note: `${late.split("=")[0]} comes after the command, so the command gets it, not ` +
        "liveplot: put liveplot's flags first (or -- before the command to mean it)",
    });
  }
  if (tokenFile !== undefined && around.env("LIVEPLOT_TOKEN") !== undefined) {
    const note = "--token-file gives the push token: LIVEPLOT_TOKEN, set too, is not used";
    warnings.push({ event: "token-environment-ignored", note });
  }
  if (given.reusePort && tokenOrigin.kind === "generated") {
    warnings.push({
      event: "token-per-process",
      note: "--reuse-port with a push token liveplot made up: each process has its own, so a " +
        "push that reaches another is 401; give them one (LIVEPLOT_TOKEN or --token-file)",
    });
  }
  const tls = certPath !== undefined && keyPath !== undefined
    ? readTls({ cert: certPath, key: keyPath }, read)
    : undefined;
  warnings.push(...tls?.warnings ?? []);

  const config: Config = {
    ...DEFAULTS,
    ...settingsOf(given),
    window: given.window ?? LIVE_WINDOW,
    source,
    record: recordPath === undefined
      ? undefined
      : { path: path(recordPath), required: recordRequired ?? false },
    tls: tls?.tls,
    token: token ?? generateToken(),
    tokenOrigin,
    logLevel: given.quiet ? "quiet" : given.verbose ? "verbose" : "normal",
  };
  return { kind: "serve", config, warnings };
}

/**
 * The source `--serial`, `--mqtt`, `--udp` or `--scrape` gives, if any; their checks live
 * with the sources (stream/source_spec.ts). `other` names another source given with it.
 */
function otherSource(given: Given, other: string | undefined): SourceSpec | undefined {
  const { serial, baud, mqtt, udp, scrape, every, match } = given;
  const text: Record<string, string | undefined> = {
    serial,
    baud,
    mqtt,
    udp,
    scrape,
    every,
    match,
  };
  try {
    return parseSourceFlags((name) => text[name], other);
  } catch (error) {
    if (error instanceof SourceAddressError) throw new UsageError(error.message);
    throw error;
  }
}

/** The `Config` fields among what the flags say. */
function settingsOf(given: Given): Partial<Config> {
  const {
    serial: _serial,
    baud: _baud,
    mqtt: _mqtt,
    udp: _udp,
    scrape: _scrape,
    every: _every,
    match: _match,
    replay: _replay,
    speed: _speed,
    recordPath: _recordPath,
    recordRequired: _recordRequired,
    certPath: _certPath,
    keyPath: _keyPath,
    tokenFile: _tokenFile,
    quiet: _quiet,
    verbose: _verbose,
    help: _help,
    version: _version,
    ...settings
  } = given;
  return settings;
}

/**
 * Reads the options, each with its row's parser, and returns them with the
 * source words. A leading `--` followed by an option-like word is dropped:
 * it is what `deno task start -- --port 0` passes along (a command whose name
 * starts with `-` follows a second `--`). `named` is the flags given by name.
 */
function readOptions(
  given: readonly string[],
): { given: Given; named: Set<string>; words: string[]; separated: boolean } {
  const args = given[0] === "--" && given[1]?.startsWith("-") ? given.slice(1) : [...given];
  const settings: Given = {};
  const named = new Set<string>();
  const apply = (spelling: string, value: string | undefined) => {
    const flag = findFlag(spelling);
    if (!flag) throw new UsageError(unknownOption(spelling));
    if (value === undefined && flag.value) {
      throw new UsageError(`--${flag.name} needs a value (${flag.value})`);
    }
    if (value !== undefined && !flag.value) throw new UsageError(`--${flag.name} takes no value`);
    const parsed = flag.parse(value ?? "", `--${flag.name}`);
    if (flag.multiple && parsed.origins) {
      parsed.origins = [...(settings.origins ?? []), ...parsed.origins];
    }
    Object.assign(settings, parsed);
    named.add(flag.name);
  };
  // A flag that takes no value, just before the command: `--trust-proxy true` meant a value.
  let switched: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      return { given: settings, named, words: args.slice(i + 1), separated: true };
    }
    if (arg === "-" || !arg.startsWith("-")) {
      if (switched !== undefined && VALUE_LIKE.test(arg)) {
        throw new UsageError(
          `${switched} takes no value: "${arg}" would be run as the command (put one after --)`,
        );
      }
      return { given: settings, named, words: args.slice(i), separated: false };
    }
    switched = undefined;
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const spelling = equals === -1 ? arg : arg.slice(0, equals);
      const takesValue = findFlag(spelling)?.value !== undefined;
      const value = equals !== -1 ? arg.slice(equals + 1) : takesValue ? args[++i] : undefined;
      apply(spelling, value);
      if (equals === -1 && !takesValue) switched = `--${findFlag(spelling)?.name}`;
      continue;
    }
    // `-host`, `-port 8000`: a long flag's name after one dash is that flag, mistyped, not a
    // group of short flags (`-h` `-o`…, or `-p` with the value "ort").
    const word = arg.slice(1).split("=")[0] as string;
    if (!findFlag(`-${word}`) && findFlag(`--${word}`)) {
      throw new UsageError(`Unknown option "-${word}": did you mean --${word}?`);
    }
    // A group of short flags, the last of which may take a value: `-qp 0`, `-p0`.
    for (let j = 1; j < arg.length; j++) {
      const spelling = `-${arg[j]}`;
      if (findFlag(spelling)?.value === undefined) {
        apply(spelling, undefined);
        continue;
      }
      apply(spelling, j + 1 < arg.length ? arg.slice(j + 1) : args[++i]);
      break;
    }
  }
  return { given: settings, named, words: [], separated: false };
}

/** What a value looks like, never a command: a boolean, a number, an address, a URL. */
const VALUE_LIKE = /^(?:true|false|yes|no|on|off|[\d.:]+|\w+:\/\/.*)$/i;

/** One line for an unknown option: its name, the closest known flag, and `--help`. */
function unknownOption(spelling: string): string {
  const closest = closestFlag(spelling);
  return `Unknown option "${spelling}"` + (closest ? `: did you mean ${closest}?` : "");
}

function parseSource(
  words: string[],
  folder: string,
  path: (text: string) => string,
): SourceSpec {
  const [first, ...args] = words;
  if (first === undefined) return { kind: "demo" };
  if (first === "-") {
    if (args.length > 0) throw new UsageError(`Unexpected argument after "-": "${args[0]}"`);
    return { kind: "stdin" };
  }
  if (first === "") throw new UsageError("The command must not be empty");
  // A name with a slash is a path, from the user's folder; a bare name is looked up in PATH.
  return { kind: "command", command: first.includes("/") ? path(first) : first, args, cwd: folder };
}

/**
 * `path` against the absolute folder `from`, with `.` and `..` resolved and no trailing
 * slash, as node:path's `resolve` gives it on POSIX (whose import alone costs a start
 * about 13 ms).
 */
export function resolvePath(from: string, path: string): string {
  const parts: string[] = [];
  for (const part of `${path.startsWith("/") ? "" : from}/${path}`.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "" && part !== ".") parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * The known flag nearest to a mistyped `spelling` by edit distance, when it
 * is near enough to be what was meant; else the longest flag whose name the
 * spelling extends with `-…` (`--max-line-bytes` is `--max-line`), as one
 * guesses a unit or a detail onto a flag's name, too far by edit distance.
 */
export function closestFlag(spelling: string): string | undefined {
  const typed = spelling.replace(/^-+/, "").split("=")[0] ?? "";
  let best: { name: string; distance: number } | undefined;
  for (const flag of FLAGS) {
    const distance = editDistance(typed, flag.name);
    if (!best || distance < best.distance) best = { name: flag.name, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(typed.length / 3))) return `--${best.name}`;
  // Edit distance first, so that a near miss such as --token-files stays --token-file.
  let extended: string | undefined;
  for (const flag of FLAGS) {
    if (typed.startsWith(`${flag.name}-`) && flag.name.length > (extended?.length ?? 0)) {
      extended = flag.name;
    }
  }
  return extended === undefined ? undefined : `--${extended}`;
}

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
