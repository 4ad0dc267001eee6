/**
 * Telling whether a process is still the one we recorded. A pid alone is not enough: pids are
 * reused, so we also record the process's start time (Linux: field 22 of /proc/PID/stat, in clock
 * ticks since boot) and compare it.
 *
 * @module
 */

/**
 * The start time of `pid`, or null when it is gone or this OS does not tell (non-Linux). Read
 * synchronously: /proc answers from memory in ~0.1 ms, where the async read costs ~10× that in
 * thread-pool hand-offs, on every job's start.
 */
export function processStartTime(pid: number): Promise<string | null> {
  try {
    return Promise.resolve(parseStartTime(Deno.readTextFileSync(`/proc/${pid}/stat`)));
  } catch {
    return Promise.resolve(null);
  }
}

/** Extracts the start time from a /proc/PID/stat line; null for a zombie (already dead). */
export function parseStartTime(stat: string): string | null {
  // The command name (field 2) may hold spaces and parentheses: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null;
  return fields[19] ?? null;
}

/** Whether this OS lets us check process identity (else we rely on leases alone). */
export async function canCheckProcesses(): Promise<boolean> {
  return (await processStartTime(Deno.pid)) !== null;
}

/**
 * Whether the process `pid` that started at `startTime` is still alive. Unknown start times
 * (recorded on an OS that cannot tell) count as alive, so only the lease decides.
 */
export async function isSameProcessAlive(pid: number, startTime: string | null): Promise<boolean> {
  if (startTime === null) return true;
  return (await processStartTime(pid)) === startTime;
}
