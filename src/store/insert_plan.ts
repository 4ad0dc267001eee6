/**
 * What an insert does with each job of a batch, the same for every store: unique keys decide
 * which jobs are added and which are answered with the job that holds their key, and the
 * results build a job's row only when asked for.
 *
 * @module
 */
import { ConflictError } from "../errors.ts";
import { exitCodesToColumn } from "../exit_codes.ts";
import { outcomesToColumn } from "../finish_hooks.ts";
import type { Job } from "../job.ts";
import { decideUniqueConflict } from "../unique_policy.ts";
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
    uniquePolicy: job.uniquePolicy ?? null,
    debounceMaxMs: job.debounceMaxMs ?? null,
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

/**
 * One job of a batch (`own`): answered with the stored holder of `storedKey` (as the batch
 * leaves it), or with a job the batch adds (`added`: `own` itself, or the job of the batch
 * that holds its key).
 */
export type PlanEntry =
  | { storedKey: string; debounced: boolean; own: NewJob }
  | { added: NewJob; own: NewJob };

/** The plan of a batch, and what the store writes for it. */
export interface InsertPlan {
  entries: PlanEntry[];
  /** The jobs to insert. */
  toAdd: NewJob[];
  /** The stored holder of each key, as the batch leaves it (debounced ones changed). */
  holders: Map<string, Job>;
  /** Stored holders to cancel before the insert, each with the id of the job replacing it. */
  replaced: { holder: Job; by: string }[];
  /** Stored holders to update (run_at, command, env, cwd, shell, updated_at) as they are here. */
  debounced: Job[];
}

/** The distinct unique keys of a batch (to look their holders up in one go). */
export function uniqueKeysOf(jobs: NewJob[]): string[] {
  return [...new Set(jobs.flatMap((job) => job.uniqueKey === null ? [] : [job.uniqueKey]))];
}

/** True when a job of the batch asks for more than `keep` (the store then locks holders). */
export function needsUniquePolicy(jobs: NewJob[]): boolean {
  return jobs.some((job) =>
    job.uniqueKey !== null && job.uniquePolicy !== undefined && job.uniquePolicy !== "keep"
  );
}

/**
 * Resolves unique keys, job by job in batch order, with `decideUniqueConflict`. The holder of a
 * key is a stored job (from `stored`) or an earlier job of the batch, and each policy treats
 * both alike: `keep` answers with the holder; `debounce` pushes it (and gives it this job's
 * command); `replace` cancels a stored holder, or drops an earlier job of the batch, and adds
 * this job. A job waiting on a job that was not added waits on the one standing in for it.
 * The jobs given are not changed (a debounced job of the batch is a copy).
 */
export function planUniqueKeys(jobs: NewJob[], stored: Map<string, Job>, now: number): InsertPlan {
  const holders = new Map(stored);
  // The job of the batch holding each key; a job dropped for a later one points to it.
  const inBatch = new Map<string, NewJob>();
  const standIn = new Map<NewJob, NewJob>();
  const replaced = new Map<string, { holder: Job; by: NewJob }>();
  const debounced = new Set<string>();
  const entries = jobs.map((job): PlanEntry => {
    const key = job.uniqueKey;
    if (key === null) return { added: job, own: job };
    const incoming = {
      policy: job.uniquePolicy ?? "keep",
      runAt: job.runAt,
      debounceMaxMs: job.debounceMaxMs ?? null,
    };
    const holder = holders.get(key);
    if (holder) {
      const decision = decideUniqueConflict(holder, incoming);
      if (decision.action === "keep") return { storedKey: key, debounced: false, own: job };
      if (decision.action === "debounce") {
        holders.set(key, { ...holder, ...takeCommand(job), runAt: decision.runAt, updatedAt: now });
        debounced.add(key);
        return { storedKey: key, debounced: true, own: job };
      }
      holders.delete(key);
      debounced.delete(key);
      const mine = { ...job };
      replaced.set(key, { holder: stored.get(key)!, by: mine });
      inBatch.set(key, mine);
      return { added: mine, own: job };
    }
    const first = inBatch.get(key);
    if (!first) {
      const mine = { ...job };
      inBatch.set(key, mine);
      return { added: mine, own: job };
    }
    // Not stored yet: created now, and waiting (pending or blocked) all the same.
    const decision = decideUniqueConflict(
      { state: "pending", runAt: first.runAt, createdAt: now },
      incoming,
    );
    if (decision.action === "keep") return { added: first, own: job };
    if (decision.action === "debounce") {
      Object.assign(first, takeCommand(job), { runAt: decision.runAt });
      return { added: first, own: job };
    }
    const mine = { ...job };
    standIn.set(first, mine);
    inBatch.set(key, mine);
    const storedReplaced = replaced.get(key);
    if (storedReplaced?.by === first) storedReplaced.by = mine;
    return { added: mine, own: job };
  });
  const finalOf = (job: NewJob): NewJob => {
    let current = job;
    for (let next = standIn.get(current); next; next = standIn.get(current)) current = next;
    return current;
  };
  const resolved = entries.map((entry): PlanEntry => {
    if ("added" in entry) return { added: finalOf(entry.added), own: entry.own };
    // A stored holder a later job of the batch replaced: that job answers.
    if (holders.has(entry.storedKey)) return entry;
    return { added: finalOf(inBatch.get(entry.storedKey)!), own: entry.own };
  });
  // Ids of jobs not added, and of stored holders replaced, mapped to the job standing in.
  const holderOf = new Map<string, string>();
  for (const entry of resolved) {
    const id = "storedKey" in entry ? holders.get(entry.storedKey)!.id : entry.added.id;
    if (id !== entry.own.id) holderOf.set(entry.own.id, id);
  }
  for (const { holder, by } of replaced.values()) {
    // It would wait on itself: the job it waits for is the one it cancels.
    if (by.after.includes(holder.id)) {
      throw new ConflictError(
        `Cannot enqueue job "${by.id}": it waits on job "${holder.id}", which it would replace`,
      );
    }
    holderOf.set(holder.id, by.id);
  }
  const fresh = [...new Set(resolved.flatMap((entry) => "added" in entry ? [entry.added] : []))];
  const toAdd = holderOf.size === 0 ? fresh : fresh.map((job) => ({
    ...job,
    after: job.after.map((parent) => holderOf.get(parent) ?? parent),
  }));
  // The rows answered for a job of `fresh` are built from `toAdd`'s copy (with its parents).
  const adding = new Map(fresh.map((job, index) => [job, toAdd[index]]));
  return {
    entries: resolved.map((entry) =>
      "added" in entry ? { added: adding.get(entry.added)!, own: entry.own } : entry
    ),
    toAdd,
    holders,
    replaced: [...replaced.values()].map(({ holder, by }) => ({ holder, by: by.id })),
    debounced: [...debounced].map((key) => holders.get(key)!),
  };
}

/** What a debounce takes from the latest job: what to run and how. */
function takeCommand(job: NewJob): Pick<Job, "command" | "env" | "cwd" | "shell"> {
  return { command: job.command, env: job.env, cwd: job.cwd, shell: job.shell };
}

/** What `jobInsert` answers: one result per job of the batch, in its order. */
export function insertResults(
  jobs: NewJob[],
  plan: InsertPlan | undefined,
  now: number,
  blocked: Set<string>,
): JobInsertResult[] {
  const lazy = jobs.length > EAGER_ROWS;
  if (!plan) return jobs.map((job) => addedJob(job, false, now, blocked.has(job.id), lazy));
  const replacedBy = new Map(plan.replaced.map(({ holder, by }) => [by, holder.id]));
  return plan.entries.map((entry): JobInsertResult => {
    if ("storedKey" in entry) {
      const job = plan.holders.get(entry.storedKey)!;
      return entry.debounced
        ? { id: job.id, job, existing: true, uniqueOutcome: "debounced" }
        : { id: job.id, job, existing: true };
    }
    const { added, own } = entry;
    const result = addedJob(added, added.id !== own.id, now, blocked.has(added.id), lazy);
    const replacedId = replacedBy.get(added.id);
    if (added.id === own.id && replacedId !== undefined) {
      result.uniqueOutcome = "replaced";
      result.replacedId = replacedId;
    }
    return result;
  });
}

/** Up to this many jobs, an insert answers plain results, each with its row built. */
const EAGER_ROWS = 64;

/**
 * The result for a job the insert added (or a repeat of one). In a larger batch its row is built
 * only when asked for (a 100k-line batch that prints only ids never builds 100k rows), by a
 * getter shared through the prototype: a getter of its own per result (an object literal's)
 * cost ~3 µs each, a third of a 100k-line enqueue's JavaScript time.
 */
function addedJob(
  added: NewJob,
  existing: boolean,
  now: number,
  blocked: boolean,
  lazy: boolean,
): JobInsertResult {
  if (!lazy) {
    return { id: added.id, existing, job: newJobRow(added, now, blocked ? "blocked" : "pending") };
  }
  return new LazyAddedJob(added, existing, now, blocked);
}

class LazyAddedJob implements JobInsertResult {
  id: string;
  existing: boolean;
  declare uniqueOutcome?: "replaced" | "debounced";
  declare replacedId?: string;
  readonly #added: NewJob;
  readonly #now: number;
  readonly #blocked: boolean;
  #row: Job | undefined;

  constructor(added: NewJob, existing: boolean, now: number, blocked: boolean) {
    this.id = added.id;
    this.existing = existing;
    this.#added = added;
    this.#now = now;
    this.#blocked = blocked;
  }

  get job(): Job {
    return this.#row ??= newJobRow(this.#added, this.#now, this.#blocked ? "blocked" : "pending");
  }
}

/** How many values `newJobColumns` gives (and `putJobColumns` puts). */
export const JOB_COLUMN_COUNT = 21;

/**
 * The values of a new job's row, in the column order both stores insert them: id, command,
 * state, max_retries, timeout_seconds, run_at, priority, queue, backoff_base, cwd, env (JSON),
 * unique_key, shell, retry_on (JSON), no_retry_on (JSON), on_finish, on_finish_when (JSON),
 * batch, group_key, unique_policy, debounce_max_ms.
 */
export function newJobColumns(job: NewJob, blocked: boolean): unknown[] {
  const columns = new Array(JOB_COLUMN_COUNT);
  putJobColumns(columns, 0, job, blocked);
  return columns;
}

/**
 * Writes `newJobColumns(job, blocked)` into `target` from index `at` (a batch's values go into
 * one array, with no array per row); returns the index after them.
 */
export function putJobColumns(
  target: unknown[],
  at: number,
  job: NewJob,
  blocked: boolean,
): number {
  target[at] = job.id;
  target[at + 1] = job.command;
  target[at + 2] = blocked ? "blocked" : "pending";
  target[at + 3] = job.maxRetries;
  target[at + 4] = job.timeoutSeconds;
  target[at + 5] = job.runAt;
  target[at + 6] = job.priority;
  target[at + 7] = job.queue;
  target[at + 8] = job.backoffBase;
  target[at + 9] = job.cwd;
  target[at + 10] = job.env ? JSON.stringify(job.env) : null;
  target[at + 11] = job.uniqueKey;
  target[at + 12] = job.shell;
  target[at + 13] = exitCodesToColumn(job.retryOn);
  target[at + 14] = exitCodesToColumn(job.noRetryOn);
  target[at + 15] = job.onFinish ?? null;
  target[at + 16] = outcomesToColumn(job.onFinishWhen);
  target[at + 17] = job.batch ?? null;
  target[at + 18] = job.groupKey ?? null;
  target[at + 19] = job.uniqueKey === null ? null : job.uniquePolicy ?? null;
  target[at + 20] = job.uniqueKey === null ? null : job.debounceMaxMs ?? null;
  return at + JOB_COLUMN_COUNT;
}
