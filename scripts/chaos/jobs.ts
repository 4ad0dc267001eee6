/**
 * The chaos soak's jobs: a seeded random source, the kinds of job (and the final state each must
 * reach), and the shell command every job runs, which records its runs in a file of its own.
 *
 * @module
 */
import { join } from "node:path";

/** A seeded pseudo-random source (mulberry32): the same seed, the same choices. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A number in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A key of `weights`, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let left = this.next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [key, weight] of entries) {
      left -= weight;
      if (left < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

/** What a job does, which says how it must end. */
export type JobKind =
  | "quick"
  | "slow"
  | "fail_once"
  | "always_fail"
  | "timeout"
  | "dependent";

/** How often each kind is enqueued. */
export const KIND_WEIGHTS: Record<JobKind, number> = {
  quick: 40,
  slow: 20,
  fail_once: 10,
  always_fail: 6,
  timeout: 5,
  dependent: 19,
};

/** Retries of the jobs meant to complete: room for many runs lost to faults. */
const RETRIES_TO_COMPLETE = 20;

/** A job the soak enqueued. */
export interface ChaosJob {
  id: string;
  kind: JobKind;
  /** The job it runs after (`dependent` only). */
  parent?: string;
  /** The file its runs are recorded in. */
  runFile: string;
}

/** Makes job specs (`enqueue --file` lines) of random kinds. */
export class JobFactory {
  readonly #random: Random;
  readonly #runDir: string;
  readonly #prefix: string;
  #next = 0;

  constructor(random: Random, runDir: string, prefix: string) {
    this.#random = random;
    this.#runDir = runDir;
    this.#prefix = prefix;
  }

  /**
   * A new job of a random kind; a dependent one runs after one of `parents` (jobs enqueued
   * already), or is a quick one when there is none yet.
   */
  make(parents: readonly ChaosJob[]): { job: ChaosJob; spec: Record<string, unknown> } {
    let kind = this.#random.weighted(KIND_WEIGHTS);
    if (kind === "dependent" && parents.length === 0) kind = "quick";
    const id = `${this.#prefix}${kind}-${String(++this.#next).padStart(6, "0")}`;
    const runFile = join(this.#runDir, id);
    const job: ChaosJob = { id, kind, runFile };
    const spec: Record<string, unknown> = { id, max_retries: RETRIES_TO_COMPLETE };
    switch (kind) {
      case "quick":
        spec.command = jobCommand(runFile, "true");
        break;
      case "slow":
        spec.command = jobCommand(runFile, `sleep ${this.#random.between(0.3, 3).toFixed(2)}`);
        break;
      case "fail_once":
        // Fails its first attempt. An attempt given back (a worker stopped) is run again with
        // the same number, so it may fail more than once: it completes all the same.
        spec.command = jobCommand(runFile, `sleep 0.1; [ "$QUEUECTL_ATTEMPT" -gt 1 ]`);
        break;
      case "always_fail":
        spec.command = jobCommand(runFile, "exit 3");
        spec.max_retries = 1;
        break;
      case "timeout":
        spec.command = jobCommand(runFile, "sleep 20");
        spec.timeout = 1;
        spec.max_retries = 1;
        break;
      case "dependent": {
        const parent = this.#random.pick(parents.slice(-50));
        job.parent = parent.id;
        spec.after = [parent.id];
        spec.command = jobCommand(runFile, "true");
        break;
      }
    }
    return { job, spec };
  }
}

/**
 * The command of a job: it records `start TAG PID MS` in its run file, where TAG is its run's
 * `QUEUECTL_RUN` (lease token and job id: one per claim); then looks for a live process of
 * every other run of the job, by that run's tag in the environment of every process
 * (`/proc/PID/environ`; a zombie's is empty, so a run killed and not yet reaped counts as ended,
 * and a reused pid is no false alarm), and records `overlap TAG OTHER-TAG PID` for each; runs
 * `body`; and records `end TAG PID MS EXIT-CODE`. A run killed before its end (with its worker,
 * or by its timeout) records no end: the next run's look is what proves it gone.
 */
export function jobCommand(runFile: string, body: string): string {
  const f = quote(runFile);
  return [
    `me="$QUEUECTL_RUN"`,
    `echo "start $me $$ $(date +%s%3N)" >> ${f}`,
    `while read -r kind tag rest; do`,
    `  [ "$kind" = start ] && [ "$tag" != "$me" ] || continue`,
    `  pid=$(grep -lzxF "QUEUECTL_RUN=$tag" /proc/[0-9]*/environ 2>/dev/null | head -n 1 | cut -d/ -f3)`,
    `  [ -n "$pid" ] && echo "overlap $me $tag $pid" >> ${f}`,
    `done < ${f}`,
    body,
    `rc=$?`,
    `echo "end $me $$ $(date +%s%3N) $rc" >> ${f}`,
    `exit $rc`,
  ].join("\n");
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
