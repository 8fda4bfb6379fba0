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

/** CPU seconds (user + system) of processes, from `/proc/PID/stat`; those gone count nothing. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // Fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks / 100;
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
