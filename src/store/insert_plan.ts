/**
 * What an insert does with each job of a batch, the same for every store: unique keys decide
 * which jobs are added and which are answered with the job that holds their key, and the
 * results build a job's row only when asked for.
 *
 * @module
 */
import { exitCodesToColumn } from "../exit_codes.ts";
import { outcomesToColumn } from "../finish_hooks.ts";
import type { Job } from "../job.ts";
import type { JobInsertResult, NewJob } from "./store.ts";

/** The row `jobInsert` creates for `job`: what every store returns for a new job. */
export function newJobRow(job: NewJob, now: number, state: "pending" | "blocked"): Job {
  return {
    id: job.id,
    command: job.command,
    maxRetries: job.maxRetries,
    timeoutSeconds: job.timeoutSeconds,
    runAt: job.runAt,
    priority: job.priority,
    queue: job.queue,
    backoffBase: job.backoffBase,
    cwd: job.cwd,
    env: job.env,
    uniqueKey: job.uniqueKey,
    shell: job.shell,
    retryOn: job.retryOn ?? null,
    noRetryOn: job.noRetryOn ?? null,
    onFinish: job.onFinish ?? null,
    onFinishWhen: job.onFinishWhen ?? null,
    hookFor: null,
    batch: job.batch ?? null,
    groupKey: job.groupKey ?? null,
    state,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    lastError: null,
    leaseOwner: null,
    leaseToken: 0,
    leaseExpiresAt: null,
    pgid: null,
    pgidStartTime: null,
    cancelRequestedAt: null,
  };
}

/** One job of a batch: answered with a stored holder of its key, or added (or a repeat). */
export type PlanEntry = { stored: Job } | { added: NewJob; repeat: boolean };

/** The plan of a batch, and the jobs to insert. */
export interface InsertPlan {
  entries: PlanEntry[];
  toAdd: NewJob[];
}

/** The distinct unique keys of a batch (to look their holders up in one go). */
export function uniqueKeysOf(jobs: NewJob[]): string[] {
  return [...new Set(jobs.flatMap((job) => job.uniqueKey === null ? [] : [job.uniqueKey]))];
}

/**
 * Resolves unique keys: a job whose key is held (by a stored job in `holders`, or by an earlier
 * job of the batch) is answered with the holder and not added; a job waiting on such a job waits
 * on the holder instead.
 */
export function planUniqueKeys(jobs: NewJob[], holders: Map<string, Job>): InsertPlan {
  const firstWithKey = new Map<string, NewJob>();
  const fresh: NewJob[] = [];
  const entries = jobs.map((job): PlanEntry => {
    if (job.uniqueKey !== null) {
      const stored = holders.get(job.uniqueKey);
      if (stored) return { stored };
      const first = firstWithKey.get(job.uniqueKey);
      if (first) return { added: first, repeat: true };
      firstWithKey.set(job.uniqueKey, job);
    }
    fresh.push(job);
    return { added: job, repeat: false };
  });
  const holderOf = new Map<string, string>();
  entries.forEach((entry, index) => {
    const holder = "stored" in entry ? entry.stored.id : entry.repeat ? entry.added.id : undefined;
    if (holder !== undefined) holderOf.set(jobs[index].id, holder);
  });
  const toAdd = holderOf.size === 0 ? fresh : fresh.map((job) => ({
    ...job,
    after: job.after.map((parent) => holderOf.get(parent) ?? parent),
  }));
  return { entries, toAdd };
}

/** What `jobInsert` answers: one result per job of the batch, in its order. */
export function insertResults(
  jobs: NewJob[],
  plan: InsertPlan | undefined,
  now: number,
  blocked: Set<string>,
): JobInsertResult[] {
  if (!plan) return jobs.map((job) => addedJob(job, false, now, blocked.has(job.id)));
  return plan.entries.map((entry) => {
    if ("stored" in entry) return { id: entry.stored.id, job: entry.stored, existing: true };
    return addedJob(entry.added, entry.repeat, now, blocked.has(entry.added.id));
  });
}

/**
 * The result for a job the insert added (or a repeat of one): its row is built only when asked
 * for, so a 100k-line batch that prints only ids never builds 100k rows.
 */
function addedJob(
  added: NewJob,
  existing: boolean,
  now: number,
  blocked: boolean,
): JobInsertResult {
  let row: Job | undefined;
  return {
    id: added.id,
    existing,
    get job() {
      return row ??= newJobRow(added, now, blocked ? "blocked" : "pending");
    },
  };
}

/**
 * The values of a new job's row, in the column order both stores insert them: id, command,
 * state, max_retries, timeout_seconds, run_at, priority, queue, backoff_base, cwd, env (JSON),
 * unique_key, shell, retry_on (JSON), no_retry_on (JSON), on_finish, on_finish_when (JSON),
 * batch, group_key.
 */
export function newJobColumns(job: NewJob, blocked: boolean) {
  return [
    job.id,
    job.command,
    blocked ? "blocked" : "pending",
    job.maxRetries,
    job.timeoutSeconds,
    job.runAt,
    job.priority,
    job.queue,
    job.backoffBase,
    job.cwd,
    job.env ? JSON.stringify(job.env) : null,
    job.uniqueKey,
    job.shell,
    exitCodesToColumn(job.retryOn),
    exitCodesToColumn(job.noRetryOn),
    job.onFinish ?? null,
    outcomesToColumn(job.onFinishWhen),
    job.batch ?? null,
    job.groupKey ?? null,
  ] as const;
}
