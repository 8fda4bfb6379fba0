/**
 * Makes a command write line by line into a pipe without the user's help.
 * Most programs (C's stdio, mawk, perl, python) buffer their output in
 * blocks of 4–64 KiB when it is not a terminal, so a plot would show nothing
 * for minutes; they flush each line when it is. So the command runs on a
 * pseudo-terminal made by `script`, which Debian (util-linux) and macOS
 * (BSD) both ship. Where there is no `script`, `stdbuf -oL` sets line
 * buffering for programs that use C's stdio and leave its default alone
 * (not perl, python or mawk); with neither, the command runs as given.
 *
 * A terminal translates `\n` to `\r\n`, and a program that sees one may
 * print colours or move the cursor: `stripTerminalControls` removes those
 * bytes before the line splitter sees them.
 *
 * @module
 */

/** How a command was made to write line by line. */
export type UnbufferMethod = "script" | "stdbuf" | "none";

/** The program to spawn instead of the command, and how it unbuffers. */
export interface UnbufferedCommand {
  command: string;
  args: string[];
  method: UnbufferMethod;
  /** Environment the spawn needs: `SHELL=/bin/sh` so `script -c` quotes as POSIX sh does. */
  env: Record<string, string>;
}

/** Finds an executable by name; the default looks in the usual directories and PATH. */
export type FindExecutable = (name: string) => string | undefined;

const USUAL_DIRECTORIES = ["/usr/bin", "/bin", "/usr/local/bin", "/opt/homebrew/bin"];

/**
 * Returns what to spawn to run `command args` line-buffered: on Linux
 * `script -qfec "exec 'cmd' 'arg'…" /dev/null` (through `/bin/sh`, to keep
 * the command's stderr off the terminal), on macOS and the BSDs
 * `script -q /dev/null cmd args…`, else `stdbuf -oL cmd args…`, else the
 * command itself.
 */
export function unbufferedCommand(
  command: string,
  args: string[],
  options: { os?: string; find?: FindExecutable } = {},
): UnbufferedCommand {
  const os = options.os ?? Deno.build.os;
  const find = options.find ?? findExecutable;
  const script = os === "windows" ? undefined : find("script");
  if (script && os === "linux") {
    // The command's stderr bypasses the terminal (fd 3 carries it past script), so error
    // messages stay out of the data as before; script's own ("Session terminated") is dropped.
    const line = `${["exec", command, ...args].map(shellQuote).join(" ")} 2>&3 3>&-`;
    // -q no banner, -f flush at once, -e the command's exit code, -c run it; the log to /dev/null.
    const outer = `exec ${shellQuote(script)} -qfec "$1" /dev/null 3>&2 2>/dev/null`;
    return {
      command: "/bin/sh",
      args: ["-c", outer, "sh", line],
      method: "script",
      env: { SHELL: "/bin/sh" },
    };
  }
  if (script && (os === "darwin" || os === "freebsd" || os === "netbsd" || os === "openbsd")) {
    return {
      command: script,
      args: ["-q", "/dev/null", command, ...args],
      method: "script",
      env: {},
    };
  }
  const stdbuf = os === "windows" ? undefined : find("stdbuf");
  if (stdbuf) {
    return { command: stdbuf, args: ["-oL", command, ...args], method: "stdbuf", env: {} };
  }
  return { command, args, method: "none", env: {} };
}

/** Quotes one word for a POSIX shell: `it's` → `'it'\''s'`. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Looks for `name` in PATH (when the environment may be read) and the usual
 * directories; a name with a slash is checked as it is.
 */
export function findExecutable(name: string): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  const directories = [...USUAL_DIRECTORIES];
  try {
    const granted = Deno.permissions.querySync({ name: "env", variable: "PATH" }).state;
    if (granted === "granted") directories.unshift(...(Deno.env.get("PATH") ?? "").split(":"));
  } catch {
    // No PATH to read: the usual directories will do.
  }
  for (const directory of directories) {
    if (directory !== "" && isExecutable(`${directory}/${name}`)) return `${directory}/${name}`;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

const ESCAPE = 0x1b;
const BELL = 0x07;
const RETURN = 0x0d;
const NEWLINE = 0x0a;
const TAB = 0x09;
/** An unterminated OSC or DCS string ends here, so it cannot swallow the stream. */
const MAX_STRING_BYTES = 4096;

const TEXT = 0;
const AFTER_ESCAPE = 1;
const CSI = 2;
const STRING = 3;
const STRING_ESCAPE = 4;
const INTERMEDIATE = 5;

/**
 * Creates a stateful filter that removes terminal control sequences (CSI
 * such as colours and cursor moves, OSC such as window titles, DCS and the
 * other ESC sequences) and control characters other than tab and newline.
 * `\r\n` becomes `\n`; a lone `\r` (a line redrawn in place) becomes `\n`.
 * Sequences split across chunks are handled.
 */
export function createControlStripper(): (chunk: Uint8Array) => Uint8Array {
  let state = TEXT;
  let pendingReturn = false;
  let stringBytes = 0;
  return (chunk) => {
    const out = new Uint8Array(chunk.length + 1);
    let size = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      switch (state) {
        case TEXT:
          if (pendingReturn && byte !== RETURN) {
            pendingReturn = false;
            out[size++] = NEWLINE;
            if (byte === NEWLINE) continue;
          }
          if (byte >= 0x20 && byte !== 0x7f) out[size++] = byte;
          else if (byte === NEWLINE || byte === TAB) out[size++] = byte;
          else if (byte === RETURN) pendingReturn = true;
          else if (byte === ESCAPE) state = AFTER_ESCAPE;
          break;
        case AFTER_ESCAPE:
          if (byte === 0x5b) state = CSI; // [
          else if (
            byte === 0x5d || byte === 0x50 || byte === 0x58 || byte === 0x5e || byte === 0x5f
          ) {
            // ] OSC, P DCS, X SOS, ^ PM, _ APC: strings ended by BEL or ESC \.
            state = STRING;
            stringBytes = 0;
          } else if (byte >= 0x20 && byte <= 0x2f) state = INTERMEDIATE;
          else if (byte !== ESCAPE) state = TEXT;
          break;
        case CSI:
          if (byte >= 0x40 && byte <= 0x7e) state = TEXT;
          else if (byte >= 0x80) {
            state = TEXT;
            index--;
          }
          break;
        case STRING:
          if (byte === BELL || ++stringBytes > MAX_STRING_BYTES) state = TEXT;
          else if (byte === ESCAPE) state = STRING_ESCAPE;
          break;
        case STRING_ESCAPE:
          state = byte === 0x5c ? TEXT : STRING;
          break;
        case INTERMEDIATE:
          if (byte < 0x20 || byte > 0x2f) state = TEXT;
          break;
      }
    }
    return out.subarray(0, size);
  };
}

/**
 * `chunks` passed through `createControlStripper`, which copies what it
 * keeps: a source may reuse its buffer once the next chunk is asked for.
 */
export async function* stripTerminalControls(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const strip = createControlStripper();
  for await (const chunk of chunks) {
    const out = strip(chunk);
    if (out.length > 0) yield out;
  }
}
