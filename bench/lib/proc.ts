/**
 * What the benchmarks read about processes (Linux `/proc`): memory, CPU time,
 * open descriptors, process trees and free ports, in one place.
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

/** Whether this kernel keeps each thread's time in nanoseconds. */
const HAS_SCHEDSTAT = (() => {
  try {
    Deno.statSync("/proc/self/schedstat");
    return true;
  } catch {
    return false;
  }
})();

/**
 * CPU seconds of processes, those gone meanwhile counting nothing: each
 * thread's time on a CPU in nanoseconds (`/proc/PID/task/TID/schedstat`),
 * where the kernel keeps it. `/proc/PID/stat` counts the same time in 10 ms
 * ticks: 4% of a 5 s row at 0.05 of a core (one viewer of 100,000 points a
 * second), which is where its figures moved in steps of 0.02. A thread that
 * ends takes its nanoseconds with it, so measure across a window in which the
 * process's threads live on, as a server's do.
 */
export function cpuSeconds(pids: number[]): number {
  let seconds = 0;
  for (const pid of pids) {
    try {
      seconds += HAS_SCHEDSTAT ? threadSeconds(pid) : statSeconds(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return seconds;
}

/** The summed time on a CPU of a process's threads, from schedstat. */
function threadSeconds(pid: number): number {
  let nanoseconds = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`);
      nanoseconds += Number(text.slice(0, text.indexOf(" ")));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return nanoseconds / 1e9;
}

/** User + system CPU seconds of a process from `/proc/PID/stat`, in 10 ms ticks. */
function statSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total CPU ticks of the whole machine, from `/proc/stat`. */
export function machineTicks(): { busy: number; total: number } {
  const fields = Deno.readTextFileSync("/proc/stat").split("\n")[0]!.trim().split(/\s+/).slice(1)
    .map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  // Idle and I/O wait are the not-busy ticks.
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** Open file descriptors of a process (its sockets among them). */
export async function openFiles(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
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

/** The machine in one line: cores, CPU model, memory, load average. */
export function machineSummary(): { cores: number; cpu: string; memoryGiB: number; load: string } {
  const cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const memoryKiB = Number(/MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1]);
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    memoryGiB: Math.round(memoryKiB / 1024 / 1024),
    load,
  };
}
