/**
 * What the benchmarks read about processes (Linux `/proc`) and their output,
 * in one place: memory, process trees, free ports, lines of a pipe.
 *
 * @module
 */

/** Resident memory in MiB from the text of `/proc/PID/status`. */
export function statusResidentMiB(status: string): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** Resident memory of a process in MiB. */
export async function residentMiB(pid: number): Promise<number> {
  return statusResidentMiB(await Deno.readTextFile(`/proc/${pid}/status`));
}

/** Resident memory of processes in MiB, together; those gone meanwhile count nothing. */
export function residentMiBOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += statusResidentMiB(Deno.readTextFileSync(`/proc/${pid}/status`));
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

/** `pid` and its descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const child = Number(entry.name);
    if (!Number.isInteger(child)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${child}/stat`);
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), child]);
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** A port free on 127.0.0.1 now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
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
  })();
}

/**
 * The environment `deno task start` gives liveplot (the `NAME=value` words
 * before `deno run` in deno.json), so benchmarked processes run as users'
 * do. Read from deno.json, where it is declared once.
 */
export function startTaskEnv(): Record<string, string> {
  const manifest = JSON.parse(
    Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
  ) as { tasks: { start: string } };
  const env: Record<string, string> = {};
  for (const word of manifest.tasks.start.split(" ")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!match) break;
    env[match[1]!] = match[2]!;
  }
  return env;
}
