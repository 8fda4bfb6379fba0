/**
 * Starts what the command line asked for: the logger, the server, the lines
 * a user reads at start (the URL, the version, how to push), and the browser.
 *
 * @module
 */

import manifest from "../deno.json" with { type: "json" };
import type { Config } from "../config.ts";
import { createLogger, WHOLE } from "../log.ts";
import { ListenError, type RunningServer, startServer } from "../server.ts";
import { SourceStartError } from "../stream/running_source.ts";
import type { Warning } from "./command_line.ts";
import { curlExample, EXAMPLE_STREAM } from "./token.ts";
import { StartError } from "./values.ts";

/** liveplot's version, from deno.json. */
export const VERSION: string = manifest.version;

export { StartError };

/** What starting needs from the outside world. */
export interface StartOptions {
  /** `BROWSER`, if set. */
  browser?: string;
  /** Told when liveplot cannot go on (a `--record-required` recording failed). */
  onFatal: (message: string) => void;
}

/** Starts the server for `config`; throws `StartError` with one line when it cannot. */
export async function start(
  config: Config,
  warnings: readonly Warning[],
  options: StartOptions,
): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  // A backstop: one failed promise must never take the server down for everyone.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    log.error("unhandled-rejection", { error: String(event.reason) });
  });
  // Each said whole: start-up is no flood (two short tokens are two lines).
  for (const { event, note } of warnings) log.warn(event, { note }, WHOLE);
  let server: RunningServer;
  try {
    server = await startServer(config, { log, onFatal: options.onFatal });
  } catch (error) {
    if (error instanceof SourceStartError || error instanceof ListenError) {
      throw new StartError(error.message);
    }
    throw error;
  }
  console.log(`liveplot listening on ${server.url.href}`);
  console.log(`liveplot ${VERSION}, Deno ${Deno.version.deno}`);
  // Whatever gave the token, so that everyone learns how to push; a token from the environment
  // or a file is named as the user's shell reads it, not printed (token.ts).
  console.log(
    `Push a stream with: ${curlExample(server.url, config.token, config.tokenOrigin)}`,
  );
  // Where that stream shows: the page at / is the main source's, not the pushed one's.
  console.log(`and watch it at ${new URL(`s/${EXAMPLE_STREAM}`, server.url).href}`);
  if (config.readToken !== undefined) {
    // Said, never shown: whoever reads this output may not be meant to read the plots.
    console.log("Reading needs the read token: add ?token=TOKEN to the URL, or send it as Bearer");
  }
  if (config.open) {
    // Not awaited: a browser that takes its time must not hold up anything else.
    import("./browser.ts").then(async ({ browsableUrl, openBrowser, pageUrl }) => {
      if (!await openBrowser(pageUrl(server.url, config.readToken), options.browser)) {
        // A line of the log like the others (seen under --quiet too), without the read token,
        // which would end up in whatever keeps the log.
        const url = browsableUrl(server.url).href;
        log.warn("browser-not-opened", { url, note: "open it yourself" }, WHOLE);
      }
    });
  }
  return server;
}
