/**
 * The chaos soak's verdict: from the jobs it enqueued, the jobs as `queuectl list --json` shows
 * them at the end, the runs each job recorded in its own file, the workers' logs and the
 * processes still alive, it counts what must be zero (lost, stuck, overlapping runs, deaths the
 * job's kind does not explain, "database is locked", orphans) and what happened.
 *
 * @module
 */
import type { ChaosJob, JobKind } from "./jobs.ts";

/** One run of a job, as its command recorded it. */
interface RecordedRun {
  tag: string;
  pid: number;
  start: number;
  end?: number;
  exitCode?: number;
}

/** What the soak found. */
export interface Verdict {
  jobs: number;
  byKind: Record<string, number>;
  byState: Record<string, number>;
  runs: number;
  /** Runs with no end recorded: killed with their worker, by their timeout, or by a rescuer. */
  unfinishedRuns: number;
  lost: string[];
  stuck: string[];
  overlaps: string[];
  unexpected: string[];
  unexplainedDead: string[];
  lockedLines: string[];
  crashLines: string[];
  orphans: string[];
  logCounts: { rescued: number; fenced: number; released: number };
}

/** The violations of a verdict, one line each (none: the soak passed). */
export function violations(verdict: Verdict): string[] {
  const lines: string[] = [];
  const add = (what: string, items: string[]) => {
    if (items.length > 0) {
      lines.push(`${what}: ${items.length}\n  ${items.slice(0, 20).join("\n  ")}`);
    }
  };
  add("lost jobs (enqueued, not in the store)", verdict.lost);
  add("jobs not in a final state", verdict.stuck);
  add("overlapping runs", verdict.overlaps);
  add("jobs that did not end as their kind must", verdict.unexpected);
  add("dead jobs not explained by an always-failing or timing-out job", verdict.unexplainedDead);
  add('"database is locked" in a worker log', verdict.lockedLines);
  add("crashes in a worker log", verdict.crashLines);
  add("processes of a run still alive at the end", verdict.orphans);
  return lines;
}

/** The final state a job of `kind` must reach (a dependent one: its parent's decides). */
function expectedState(job: ChaosJob, states: Map<string, string>): string {
  const kinds: Record<Exclude<JobKind, "dependent">, string> = {
    quick: "completed",
    slow: "completed",
    fail_once: "completed",
    always_fail: "dead",
    timeout: "dead",
  };
  if (job.kind !== "dependent") return kinds[job.kind];
  return states.get(job.parent!) === "completed" ? "completed" : "canceled";
}

const FINAL = new Set(["completed", "dead", "canceled"]);

/** Reads a job's run file: its runs, and the overlaps its runs saw when they started. */
async function readRuns(job: ChaosJob): Promise<{ runs: RecordedRun[]; seen: string[] }> {
  let text = "";
  try {
    text = await Deno.readTextFile(job.runFile);
  } catch {
    return { runs: [], seen: [] };
  }
  const runs = new Map<string, RecordedRun>();
  const seen: string[] = [];
  for (const line of text.split("\n")) {
    const [kind, tag, ...rest] = line.split(" ");
    if (kind === "start") {
      runs.set(tag, { tag, pid: Number(rest[0]), start: Number(rest[1]) });
    } else if (kind === "end") {
      const run = runs.get(tag);
      if (run) {
        run.end = Number(rest[1]);
        run.exitCode = Number(rest[2]);
      }
    } else if (kind === "overlap") {
      seen.push(`${job.id}: run ${tag} started while run ${rest[0]} was alive (pid ${rest[1]})`);
    }
  }
  return { runs: [...runs.values()], seen };
}

/** Runs of one job whose recorded lifetimes (start to end) intersect. */
function intersecting(job: ChaosJob, runs: RecordedRun[]): string[] {
  const found: string[] = [];
  const ended = runs.filter((run) => run.end !== undefined);
  for (let i = 0; i < ended.length; i++) {
    for (let j = i + 1; j < ended.length; j++) {
      const [a, b] = [ended[i], ended[j]];
      if (a.start < b.end! && b.start < a.end!) {
        found.push(
          `${job.id}: run ${a.tag} (${a.start}–${a.end}) and run ${b.tag} (${b.start}–${b.end})`,
        );
      }
    }
  }
  return found;
}

/** Live processes whose environment carries the run tag of one of the soak's jobs. */
export function taggedProcesses(jobIdPrefix: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const environ = new TextDecoder().decode(Deno.readFileSync(`/proc/${entry.name}/environ`));
      const tag = environ.split("\0").find((item) => item.startsWith("QUEUECTL_RUN="));
      if (tag?.includes(`:${jobIdPrefix}`)) {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
        if (state !== "Z" && state !== "X") found.push(`pid ${entry.name}: ${tag}`);
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Counts lines of the workers' logs. */
async function readLogs(logFiles: string[]) {
  const locked: string[] = [];
  const crashes: string[] = [];
  const counts = { rescued: 0, fenced: 0, released: 0 };
  for (const file of logFiles) {
    const text = await Deno.readTextFile(file).catch(() => "");
    for (const line of text.split("\n")) {
      if (/database is locked/i.test(line)) locked.push(`${file}: ${line}`);
      // An uncaught error, a Rust panic, a worker thread that crashed or failed.
      if (/Uncaught|panicked|\[FATAL\]| crashed: |Workers? [\d, ]+ failed:/.test(line)) {
        crashes.push(`${file}: ${line}`);
      }
      if (/Rescued job "/.test(line)) counts.rescued++;
      if (/was fenced off/.test(line)) counts.fenced++;
      if (/Released job "/.test(line)) counts.released++;
    }
  }
  return { locked, crashes, counts };
}

/** Judges the soak. `states` are the jobs' states as `list --json` shows them at the end. */
export async function verify(options: {
  jobs: ChaosJob[];
  states: Map<string, string>;
  logFiles: string[];
  jobIdPrefix: string;
}): Promise<Verdict> {
  const { jobs, states } = options;
  const verdict: Verdict = {
    jobs: jobs.length,
    byKind: {},
    byState: {},
    runs: 0,
    unfinishedRuns: 0,
    lost: [],
    stuck: [],
    overlaps: [],
    unexpected: [],
    unexplainedDead: [],
    lockedLines: [],
    crashLines: [],
    orphans: [],
    logCounts: { rescued: 0, fenced: 0, released: 0 },
  };
  for (const job of jobs) {
    verdict.byKind[job.kind] = (verdict.byKind[job.kind] ?? 0) + 1;
    const state = states.get(job.id);
    verdict.byState[state ?? "lost"] = (verdict.byState[state ?? "lost"] ?? 0) + 1;
    if (state === undefined) {
      verdict.lost.push(job.id);
      continue;
    }
    if (!FINAL.has(state)) verdict.stuck.push(`${job.id} (${job.kind}): ${state}`);
    const expected = expectedState(job, states);
    if (FINAL.has(state) && state !== expected) {
      verdict.unexpected.push(`${job.id} (${job.kind}): ${state}, expected ${expected}`);
    }
    if (state === "dead" && job.kind !== "always_fail" && job.kind !== "timeout") {
      verdict.unexplainedDead.push(`${job.id} (${job.kind})`);
    }
    const { runs, seen } = await readRuns(job);
    verdict.runs += runs.length;
    verdict.unfinishedRuns += runs.filter((run) => run.end === undefined).length;
    verdict.overlaps.push(...seen, ...intersecting(job, runs));
    if (state === "completed" && !runs.some((run) => run.exitCode === 0)) {
      verdict.unexpected.push(`${job.id} (${job.kind}): completed, but no run of it succeeded`);
    }
  }
  // Ids in the store the soak did not enqueue would be a mix-up of its own.
  const known = new Set(jobs.map((job) => job.id));
  for (const id of states.keys()) {
    if (id.startsWith(options.jobIdPrefix) && !known.has(id)) {
      verdict.unexpected.push(`${id}: in the store, but its enqueue did not say so`);
    }
  }
  const logs = await readLogs(options.logFiles);
  verdict.lockedLines = logs.locked;
  verdict.crashLines = logs.crashes;
  verdict.logCounts = logs.counts;
  verdict.orphans = taggedProcesses(options.jobIdPrefix);
  return verdict;
}
