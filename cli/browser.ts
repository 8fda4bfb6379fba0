/**
 * Opens the page in the user's browser: `BROWSER` first (as Python's
 * webbrowser reads it), else the platform's opener.
 *
 * @module
 */

/** The commands that may open `url`, in the order they are tried. */
export function browserCommands(url: string, os: string, browserEnv?: string): string[][] {
  if (browserEnv) {
    return browserEnv.split(os === "windows" ? ";" : ":").filter(Boolean).map((entry) => {
      const words = entry.trim().split(/\s+/);
      return words.some((word) => word.includes("%s"))
        ? words.map((word) => word.replaceAll("%s", url))
        : [...words, url];
    });
  }
  if (os === "darwin") return [["open", url]];
  // An empty title argument, so that start does not take the URL for one.
  if (os === "windows") return [["cmd", "/c", "start", "", url]];
  return [["xdg-open", url]];
}

/** The URL a browser can open: a wildcard listening address becomes `localhost`. */
export function browsableUrl(url: URL): URL {
  const browsable = new URL(url);
  if (["0.0.0.0", "[::]"].includes(browsable.hostname)) browsable.hostname = "localhost";
  return browsable;
}

/**
 * The URL the browser opens: `url` made browsable, with `--read-token`'s
 * token as `?token=`, without which the page answers 401. The page passes it
 * on to its socket, history queries, CSV and stream links (static/modules/url_state.js).
 */
export function pageUrl(url: URL, readToken?: string): string {
  const page = browsableUrl(url);
  if (readToken !== undefined) page.search = `?token=${encodeURIComponent(readToken)}`;
  return page.href;
}

/** Tries each opener in turn; returns false when none worked. */
export async function openBrowser(url: string, browserEnv?: string): Promise<boolean> {
  for (const [command, ...args] of browserCommands(url, Deno.build.os, browserEnv)) {
    try {
      const status = await new Deno.Command(command as string, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn().status;
      if (status.success) return true;
    } catch {
      // Not installed, or not permitted: try the next one.
    }
  }
  return false;
}
