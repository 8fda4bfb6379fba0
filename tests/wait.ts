/**
 * Waits with deadlines, each naming what it waited for: a promise
 * (`withTimeout`), a condition polled (`waitFor`), a log line (`waitForLine`).
 * The tests import them through helpers.ts.
 *
 * @module
 */

/** Rejects with a message naming `what` if `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 10 ms until it holds (an async one: each answer awaited). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  let timedOut = false;
  try {
    await withTimeout(
      (async () => {
        while (!timedOut && !(await condition())) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
      timeoutMs,
      what,
    );
  } finally {
    timedOut = true;
  }
}

/** How many of the lines seen a timed-out `waitForLine` shows. */
const LINES_SHOWN = 20;

/**
 * Waits until `lines` (a CLI's `stderr`, or `captureLog`'s `lines`, still
 * growing) holds a line with `event=NAME` when `match` is an event name (a
 * whole one: `start` is not `start-failed`), or a line `match` finds when it
 * is a RegExp, and returns the first such line. A timeout names `what` and
 * shows the last lines seen, so that a failure says what was logged instead.
 */
export async function waitForLine(
  lines: readonly string[],
  match: string | RegExp,
  timeoutMs: number,
  what = typeof match === "string" ? `the event=${match} line` : `a line matching ${match}`,
): Promise<string> {
  const pattern = linePattern(match);
  const first = () => lines.find((line) => pattern.test(line));
  try {
    await waitFor(() => first() !== undefined, timeoutMs, what);
  } catch (error) {
    const seen = lines.slice(-LINES_SHOWN);
    const said = seen.length === 0
      ? "no lines were logged"
      : `the last ${seen.length} of ${lines.length} lines:\n${seen.join("\n")}`;
    throw new Error(`${(error as Error).message}; ${said}`);
  }
  // Lines are only added: the first match is still the first.
  return first()!;
}

/** A RegExp for `waitForLine`'s `match`: a whole `event=NAME` field, or the RegExp (stateless). */
function linePattern(match: string | RegExp): RegExp {
  if (typeof match !== "string") return new RegExp(match.source, match.flags.replace(/[gy]/g, ""));
  if (!/^[a-z][a-z-]*$/.test(match)) {
    throw new Error(`Cannot wait for event "${match}": not an event name (give a RegExp instead)`);
  }
  return new RegExp(`(?:^| )event=${match}(?: |$)`);
}
