/**
 * Enqueueing, the one path every entry point (CLI, scheduler, later the library client) goes
 * through: defaults from the stored config, generated ids, a cycle check of `after`, and one
 * all-or-nothing insert.
 *
 * @module
 */
import { hostPath } from "./paths.ts";
import { type Clock, isoTime, isTimeInRange, MAX_TIME_MS } from "./clock.ts";
import { type Config, configFromOverrides } from "./config.ts";
import { UsageError } from "./errors.ts";
import { generateJobId } from "./ids.ts";
import { checkUniquePolicy, type JobSpec } from "./job_spec.ts";
import type { JobInsertResult, NewJob, Store } from "./store/mod.ts";

/** Where the jobs are enqueued from: relative `cwd`s resolve against `cwd`. */
export interface EnqueueOrigin {
  cwd: string;
  /**
   * The batch every job joins (unless its spec names another), with the commands run when it
   * settles: given only when the batch is created, or the same as when it was.
   */
  batch?: BatchSpec;
}

/** A batch named at enqueue (`--batch`, `--on-complete`, `--on-failure`). */
export interface BatchSpec {
  name: string;
  onComplete?: string;
  onFailure?: string;
}

/** The queue of jobs that name none. */
export const DEFAULT_QUEUE = "default";

/**
 * Adds the jobs, all or none (see `Store.jobInsert` for unique keys and parents). A job runs in
 * the directory it was enqueued from unless it names another (as pueue and task-spooler do).
 */
export async function enqueueJobs(
  store: Store,
  clock: Clock,
  specs: JobSpec[],
  origin: EnqueueOrigin = { cwd: Deno.cwd() },
): Promise<JobInsertResult[]> {
  const config = configFromOverrides(await store.configOverrides());
  const now = clock.now();
  const directory = directoryResolver(origin);
  const batch = origin.batch;
  const jobs = specs.map((spec) =>
    newJobFromSpec(batch && spec.batch === undefined ? { ...spec, batch: batch.name } : spec, {
      now,
      config,
      directory,
    })
  );
  checkForCycles(jobs);
  if (!batch) return await store.jobInsert({ now, jobs });
  // A callback is a job of the enqueue's queue (of its first job), with every other default.
  const queue = specs[0]?.queue;
  const callback = (command: string | undefined) =>
    command === undefined
      ? null
      : newJobFromSpec({ command, queue, env: { QUEUECTL_BATCH: batch.name } }, {
        now,
        config,
        directory,
      });
  return await store.jobInsert({
    now,
    jobs,
    batch: {
      name: batch.name,
      onComplete: callback(batch.onComplete),
      onFailure: callback(batch.onFailure),
    },
  });
}

/** The row to insert for a spec, every default resolved. */
export function newJobFromSpec(
  spec: JobSpec,
  context: { now: number; config: Config; directory: (cwd: string | undefined) => string },
): NewJob {
  const { now, config } = context;
  checkUniquePolicy(spec);
  const runAt = spec.runAt ?? now + (spec.delayMs ?? 0);
  // Checked as given (parseRunAt, parseDelay); this guards a clock or a caller gone wrong, so
  // that no row ever holds a time its readers cannot show.
  if (!isTimeInRange(runAt)) {
    throw new UsageError(
      `Cannot enqueue ${spec.id === undefined ? "the job" : `job "${spec.id}"`}: it would run at ${
        Math.abs(runAt) <= 8.64e15 ? new Date(runAt).toISOString() : `${runAt} ms after 1970`
      }, not from 1970 to ${isoTime(MAX_TIME_MS)}`,
    );
  }
  if (spec.onFinishWhen !== undefined && spec.onFinish === undefined) {
    throw new UsageError(
      `Cannot enqueue ${
        spec.id === undefined ? "the job" : `job "${spec.id}"`
      }: on_finish_when (--on-finish-when) needs a hook, on_finish (--on-finish)`,
    );
  }
  return {
    id: spec.id ?? generateJobId(now),
    command: spec.command,
    maxRetries: spec.maxRetries ?? config.maxRetries,
    timeoutSeconds: spec.timeoutSeconds ?? null,
    runAt,
    priority: spec.priority ?? 0,
    queue: spec.queue ?? DEFAULT_QUEUE,
    backoffBase: spec.backoffBase ?? null,
    cwd: context.directory(spec.cwd),
    env: spec.env ?? null,
    after: spec.after ?? [],
    uniqueKey: spec.uniqueKey ?? null,
    groupKey: spec.groupKey ?? null,
    // Set even when undefined: every job of a batch then has one shape (V8 reads them faster).
    uniquePolicy: spec.uniquePolicy,
    debounceMaxMs: spec.debounceMaxMs,
    // Not resolved here: a job without its own shell takes the config's when it runs.
    shell: spec.shell ?? null,
    // Not resolved either: a job without lists of its own follows its queue's when it fails.
    retryOn: spec.retryOn ?? null,
    noRetryOn: spec.noRetryOn ?? null,
    onFinish: spec.onFinish ?? null,
    onFinishWhen: spec.onFinishWhen ?? null,
    batch: spec.batch ?? null,
  };
}

/** Resolves job directories against the origin, each distinct one once (batches repeat them). */
export function directoryResolver(origin: EnqueueOrigin): (cwd: string | undefined) => string {
  const resolved = new Map<string | undefined, string>();
  return (cwd) => {
    let directory = resolved.get(cwd);
    if (directory === undefined) {
      resolved.set(cwd, directory = hostPath.resolve(origin.cwd, cwd ?? "."));
    }
    return directory;
  };
}

/**
 * Refuses a batch whose `after` lists go round in a circle (stored jobs cannot wait on new
 * ones, so a cycle can only lie within the batch).
 */
export function checkForCycles(jobs: Pick<NewJob, "id" | "after">[]): void {
  const byId = new Map(jobs.filter((job) => job.after.length > 0).map((job) => [job.id, job]));
  const done = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    if (path.includes(id)) {
      const cycle = [...path.slice(path.indexOf(id)), id].map((step) => `"${step}"`);
      throw new UsageError(`Jobs wait on each other in a circle: ${cycle.join(" → ")}`);
    }
    if (done.has(id)) return;
    for (const parent of byId.get(id)?.after ?? []) visit(parent, [...path, id]);
    done.add(id);
  };
  for (const id of byId.keys()) visit(id, []);
}
