/**
 * liveplot's command line: reads the arguments and environment, starts the
 * server and stops it on SIGINT, SIGTERM or SIGHUP, or on a fatal error (then
 * exit 1). The flags, usage, browser opener and start-up lines live in cli/.
 *
 * ```sh
 * liveplot                      # the seed's demo
 * vmstat 1 | liveplot -         # plot standard input
 * liveplot vmstat 1             # plot a command's output
 * ```
 *
 * @module
 */

import { type Command, parseCommandLine } from "./cli/command_line.ts";
import { start, StartError, VERSION } from "./cli/start.ts";
import type { RunningServer } from "./server.ts";
import { UsageError } from "./cli/values.ts";

/** Exit within this long of SIGINT, SIGTERM or SIGHUP, whatever peers do. */
const EXIT_DEADLINE_MS = 2000;

/**
 * The signals that stop liveplot cleanly: Ctrl-C, `kill`, and its terminal
 * closing (SIGHUP), which would end it at once and leave a command it runs
 * under `script`, in a session of its own, running.
 */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** An environment variable, or undefined when it is unset or not permitted. */
function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  let command: Command;
  try {
    command = parseCommandLine(Deno.args, {
      env,
      readFile: Deno.readTextFileSync,
      cwd: Deno.cwd(),
    });
  } catch (error) {
    // A file the command line names that cannot be used fails the start, as a missing replay.
    if (error instanceof StartError) {
      console.error(error.message);
      Deno.exit(1);
    }
    if (!(error instanceof UsageError)) throw error;
    // One line and exit 2, as command-line tools answer a usage error.
    console.error(`liveplot: ${error.message} (see liveplot --help)`);
    Deno.exit(2);
  }
  if (command.kind === "help") console.log((await import("./cli/usage.ts")).usage());
  else if (command.kind === "version") console.log(`liveplot ${VERSION}`);
  else {
    let server: RunningServer | undefined;
    /** The exit code, once a stop has been asked for: 0 for a signal, 1 for a fatal error. */
    let code: number | undefined;
    /** Closes viewers with 1001 and stops the source, as a signal does; exits within the deadline. */
    const stop = (running: RunningServer) => {
      setTimeout(() => Deno.exit(code), EXIT_DEADLINE_MS);
      running.shutdown().then(() => Deno.exit(code));
    };
    const stopWith = (asked: number) => {
      const first = code === undefined;
      code = Math.max(code ?? 0, asked);
      // Before the server is up a signal ends liveplot at once; a fatal error waits for it.
      if (server === undefined) {
        if (asked === 0) Deno.exit(code);
      } else if (first) stop(server);
    };
    // Listening at once: a signal during start-up stops liveplot as cleanly as one after it.
    for (const signal of STOP_SIGNALS) {
      try {
        Deno.addSignalListener(signal, () => stopWith(0));
      } catch {
        // SIGTERM and SIGHUP cannot be listened for on Windows.
      }
    }
    // A fatal error once started (a --record-required recording that cannot be written) is its
    // one line, then the stop a signal makes: nothing liveplot started is left running.
    const onFatal = (message: string) => {
      console.error(message);
      stopWith(1);
    };
    try {
      server = await start(command.config, command.warnings, { browser: env("BROWSER"), onFatal });
      if (code !== undefined) stop(server);
    } catch (error) {
      if (!(error instanceof StartError)) throw error;
      console.error(error.message);
      Deno.exit(1);
    }
  }
}
