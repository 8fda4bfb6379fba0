/**
 * liveplot's command line: reads the arguments and environment, starts the
 * server and stops it on SIGINT, SIGTERM or SIGHUP. The flags, usage, browser
 * opener and start-up lines live in cli/.
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
    if (!(error instanceof UsageError)) throw error;
    // One line and exit 2, as command-line tools answer a usage error.
    console.error(`liveplot: ${error.message} (see liveplot --help)`);
    Deno.exit(2);
  }
  if (command.kind === "help") console.log((await import("./cli/usage.ts")).usage());
  else if (command.kind === "version") console.log(`liveplot ${VERSION}`);
  else {
    const onFatal = (message: string) => {
      console.error(message);
      Deno.exit(1);
    };
    let stop: () => void = () => Deno.exit(0);
    // Listening at once: a signal during start-up stops liveplot as cleanly as one after it.
    for (const signal of STOP_SIGNALS) {
      try {
        Deno.addSignalListener(signal, () => stop());
      } catch {
        // SIGTERM and SIGHUP cannot be listened for on Windows.
      }
    }
    try {
      const server = await start(command.config, command.warnings, {
        browser: env("BROWSER"),
        onFatal,
      });
      stop = () => {
        setTimeout(() => Deno.exit(0), EXIT_DEADLINE_MS);
        server.shutdown().then(() => Deno.exit(0));
      };
    } catch (error) {
      if (!(error instanceof StartError)) throw error;
      onFatal(error.message);
    }
  }
}
