/**
 * Every run carries a tag in its environment, `QUEUECTL_RUN=<lease token>:<job id>`, unique to
 * one claim of one job. Its processes inherit it, so a run can be found without anything having
 * been written about it: a worker killed in the first milliseconds of a run (before its process
 * group was recorded, which waits until the run has lived 50 ms so that short jobs cost no write)
 * leaves an orphan that the rescuer still finds, on Linux, by reading `/proc/PID/environ`, and
 * stops before the job runs again. A process that clears its environment (`env -i`) hides
 * itself, but is found through its process group when any process of the group still carries
 * the tag.
 *
 * Elsewhere (macOS, Windows) no process's environment can be read: there the recorded group
 * alone is used, so an orphan of a run killed in its first 50 ms may outlive the worker.
 *
 * @module
 */

/** The variable that carries the tag. */
export const RUN_TAG_VARIABLE = "QUEUECTL_RUN";

/** The tag of one claim of one job (the lease token first: it holds no `:`, an id may). */
export function runTag(job: { id: string; leaseToken: number }): string {
  return `${job.leaseToken}:${job.id}`;
}

/** A process found carrying a tag. */
export interface TaggedProcess {
  pid: number;
  /** Its process group: the run's session, unless a job made a session of its own. */
  pgid: number;
  /** Its start time (clock ticks since boot), which tells it from a later process of its pid. */
  startTime: string;
}

const decoder = new TextDecoder();

/**
 * The processes whose environment holds `QUEUECTL_RUN=<tag>` (Linux; elsewhere none). Processes
 * that end or cannot be read while looking are passed over. Read synchronously: this runs only
 * when a lost job is rescued, and /proc answers from memory.
 */
export function findTaggedProcesses(tag: string, procDir = "/proc"): TaggedProcess[] {
  if (Deno.build.os !== "linux") return [];
  const wanted = `${RUN_TAG_VARIABLE}=${tag}`;
  const found: TaggedProcess[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(procDir);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === Deno.pid) continue;
    try {
      const environ = decoder.decode(Deno.readFileSync(`${procDir}/${pid}/environ`));
      if (!environ.split("\0").includes(wanted)) continue;
      const stat = Deno.readTextFileSync(`${procDir}/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields after the name: state, ppid, pgrp (3rd) … starttime (20th).
      if (fields[0] === "Z" || fields[0] === "X") continue;
      found.push({ pid, pgid: Number(fields[2]), startTime: fields[19] });
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}
