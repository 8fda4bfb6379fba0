/**
 * Child processes for the benchmarks, in one place: start one with the
 * open-file limit raised, read its output line by line, wait for the
 * `listening on URL` line every server here prints, and stop it.
 *
 * @module
 */

import { within } from "./time.ts";

/** A child process with its stdout as lines and what it last said on stderr. */
export interface Child {
  process: Deno.ChildProcess;
  out: AsyncIterator<string>;
  /** Its first stderr line (why it stopped, often) and the last 2,000 characters. */
  errTail: () => string;
}

/** Options of `spawn`. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Every stderr line is pushed here as well (the soak counts log events). */
  stderrLines?: string[];
}

/** Reads a stream line by line. */
export function lines(readable: ReadableStream<Uint8Array>): AsyncIterator<string> {
  return (async function* () {
    let buffered = "";
    for await (const text of readable.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      yield* parts;
    }
    if (buffered) yield buffered;
  })();
}

/**
 * Starts `command` with the open-file limit raised to the hard limit (10,000
 * viewers need as many descriptors); `exec` keeps the pid the command's own.
 */
export function spawn(command: string[], options: SpawnOptions = {}): Child {
  const process = new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...command],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
    env: options.env,
  }).spawn();
  let head: string | undefined;
  let tail = "";
  let partial = "";
  (async () => {
    for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) {
      head ??= text.split("\n")[0];
      tail = (tail + text).slice(-2000);
      if (!options.stderrLines) continue;
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      options.stderrLines.push(...parts);
    }
    if (partial) options.stderrLines?.push(partial);
  })().catch(() => {});
  const errTail = () => (head && !tail.startsWith(head) ? `${head}\n…${tail}` : tail).trim();
  return { process, out: lines(process.stdout), errTail };
}

/** The child's next stdout line; fails with its last words if it ends or stays silent. */
export async function nextLine(child: Child, what: string, ms = 60_000): Promise<string> {
  try {
    const next = await within(child.out.next(), ms, what);
    if (next.done) throw new Error(`${what}: the process ended`);
    return next.value;
  } catch (error) {
    const tail = child.errTail();
    throw new Error(`${error instanceof Error ? error.message : error}${tail ? `: ${tail}` : ""}`);
  }
}

/**
 * Waits for the child's `listening on URL` line and returns the URL (ending
 * in `/`); from then on its stdout is read and dropped, so a full pipe never
 * blocks it.
 */
export async function listeningUrl(child: Child, what: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = await nextLine(child, `${what} start`, Math.max(1, deadline - Date.now()));
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (!url) continue;
    (async () => {
      for (;;) if ((await child.out.next()).done) break;
    })().catch(() => {});
    return url.replace(/\/?$/, "/");
  }
}

/** Starts a server and waits for its URL; stops it again if it never says one. */
export async function startServer(
  command: string[],
  what: string,
  options: SpawnOptions = {},
): Promise<{ child: Child; url: string }> {
  const child = spawn(command, options);
  try {
    return { child, url: await listeningUrl(child, what) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Writes one line to the child's standard input. */
export async function writeLine(child: Child, line: string): Promise<void> {
  const writer = child.process.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(`${line}\n`));
  } finally {
    writer.releaseLock();
  }
}

/** Sends `signal`, then SIGKILL after 3 s; resolves with how the child ended. */
export async function stopChild(
  child: Child,
  signal: Deno.Signal = "SIGTERM",
): Promise<Deno.CommandStatus> {
  try {
    child.process.kill(signal);
  } catch {
    // Ended already.
  }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch {
      // Ended meanwhile.
    }
  }, 3000);
  const status = await child.process.status;
  clearTimeout(timer);
  await child.process.stdin.close().catch(() => {});
  return status;
}

/** A command's output (stdout and stderr together), or undefined when it cannot run or fails. */
export async function commandOutput(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { success, stdout, stderr } = await new Deno.Command(command, { args }).output();
    if (!success) return undefined;
    const decoder = new TextDecoder();
    return (decoder.decode(stdout) + decoder.decode(stderr)).trim();
  } catch {
    return undefined;
  }
}
