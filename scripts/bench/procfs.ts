/**
 * CPU time and memory of a process, from Linux's /proc.
 *
 * @module
 */

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`, almost always 100). */
export async function ticksPerSecond(): Promise<number> {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const output = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
    clockTicks = Number(new TextDecoder().decode(output.stdout).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** The pids of a process's children (over all its threads). */
async function children(pid: number): Promise<number[]> {
  const pids: number[] = [];
  try {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      try {
        const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`);
        pids.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // The thread ended.
      }
    }
  } catch {
    // The process ended.
  }
  return pids;
}

/**
 * CPU ticks used by `pid` (all its threads) and its children (the ones waited for, as
 * cutime/cstime, and the ones still running, recursively).
 */
export async function cpuTicks(pid: number): Promise<number> {
  let stat: string;
  try {
    stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch {
    return 0;
  }
  // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const child of await children(pid)) ticks += await cpuTicks(child);
  return ticks;
}

/** A `/proc/PID/status` size field (VmRSS, VmHWM…) in bytes. */
export async function memoryField(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!match) throw new Error(`No ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export const MIB = 1024 * 1024;

/** How many Web Workers process `pid` runs now: Deno names each one's thread `worker-N`. */
export async function webWorkerThreads(pid: number): Promise<number> {
  let count = 0;
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    // A thread may end between the listing and the read.
    const name = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/comm`).catch(() => "");
    if (/^worker-\d+$/.test(name.trim())) count++;
  }
  return count;
}
