/**
 * The JSON contract: the shapes of queuectl's JSON (snake_case fields, ISO 8601 UTC times), which
 * users' scripts depend on, and the functions that build them. The CLI's `--json` output, the
 * dashboard's API and the library (`mod.ts`) all show jobs, runs, workers and schedules through
 * this module, so the three agree; the CLI's tables (src/cli/render.ts) show the same values.
 *
 * Every function here is total: a stored value queuectl never writes (a row edited by hand, by
 * an older version or by a bug: a time past 9999 or before 1970, NaN, a negative count, a state
 * no version has, an env that is not a JSON object of strings) shows as the string `"invalid"`
 * in that one field, and everything else shows as usual.
 *
 * @module
 */
import { INVALID_TIME, isoTime } from "./clock.ts";
import type { JobDetail } from "./job_detail.ts";
import { type Job, JOB_STATES, type JobRun, type JobState } from "./job.ts";
import { isQueuePaused } from "./queue_pause.ts";
import type { QueueStatus } from "./queue_status.ts";
import { formatRate, queueRateState, storedGroupLimit } from "./queue_limits.ts";
import type {
  BatchInfo,
  QueueInfo,
  QueueSettings,
  Schedule,
  WorkerProcessWithJobs,
} from "./store/mod.ts";
import { isUniquePolicy } from "./unique_policy.ts";
import { tailText } from "./worker/output_tail.ts";

/**
 * A job as JSON (`list --json`, `enqueue --json`). Times are ISO 8601 UTC with milliseconds;
 * `null` means not set.
 *
 * `"invalid"`: a field whose stored value queuectl cannot show (never one it wrote: a row edited
 * by hand, by an older version or by a bug). A time reads so when it is not from
 * 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z; a number when it is NaN, infinite, or not
 * a whole number or negative where it must be; `state` when no version of queuectl has it; `env`
 * when it is not a JSON object of strings. The other fields of the job show as usual.
 */
export interface JobJson {
  /** Its id: given, or generated (16 characters that sort by creation time). */
  id: string;
  /** The command line the job runs. */
  command: string;
  /** Where it is in its life. */
  state: JobState | "invalid";
  /** Runs started so far. */
  attempts: number | "invalid";
  /** Failed runs allowed after the first before the job is dead. */
  max_retries: number | "invalid";
  /** Higher runs first. */
  priority: number | "invalid";
  /** The queue it is in. */
  queue: string;
  /** Seconds before a run is killed (0: never); null: the config's `job_timeout`. */
  timeout: number | null | "invalid";
  /** A failed run waits `backoff_base ^ attempts` seconds; null: the config's. */
  backoff_base: number | null | "invalid";
  /** The directory the command runs in; null: the worker's. */
  cwd: string | null;
  /** Variables added to the command's environment. */
  env: Record<string, string> | null | "invalid";
  /** The shell that runs the command; null: the config's `shell` when it runs. */
  shell: string | null;
  /** When it was enqueued. */
  created_at: string;
  /** When it last changed. */
  updated_at: string;
  /** When it may run next (pending, failed); when it last became due otherwise. */
  run_at: string;
  /** When it will run next; null when it will not run again by itself. */
  next_run_at: string | null;
  /** When its last run started. */
  started_at: string | null;
  /** When its last run ended, or when it was canceled. */
  finished_at: string | null;
  /** The exit code of its last run. */
  exit_code: number | null | "invalid";
  /** Why its last run failed, or why it was canceled. */
  last_error: string | null;
  /** The worker process running it. */
  worker_id: string | null;
  /** When the running worker's claim on it expires unless renewed. */
  lease_expires_at: string | null;
  /** When a user asked to cancel it while it ran. */
  cancel_requested_at: string | null;
  /** While it is unfinished, no other job with this key is added. */
  unique_key: string | null;
  /**
   * What enqueueing it did when its key was held: `keep`, `replace` or `debounce`; null when
   * not given (`keep`).
   */
  unique_policy: "keep" | "replace" | "debounce" | null | "invalid";
  /** With `debounce`: how far past its creation a debounce may push it, in seconds; null: no cap. */
  debounce_max: number | null | "invalid";
  /** Only failures with these exit codes are retried; null: its queue's policy. */
  retry_on: readonly number[] | null | "invalid";
  /** Failures with these exit codes are never retried; null: its queue's policy. */
  no_retry_on: readonly number[] | null | "invalid";
  /** Run as a job of its own (or POSTed to, for an http(s) URL) when it ends; null: none. */
  on_finish: string | null;
  /** The outcomes (completed, dead, canceled) `on_finish` fires on; null: every one. */
  on_finish_when: readonly ("completed" | "dead" | "canceled")[] | null | "invalid";
  /** On a hook job: the id of the job whose end it reports; null otherwise. */
  hook_for: string | null;
  /** The batch it belongs to (`enqueue --batch`); null: none. */
  batch: string | null;
  /** Its group: with a group limit on its queue, at most that many of one group run at once. */
  group_key: string | null;
}

/**
 * One run of a job as JSON: how it ended and the kept tail of its output. A field whose stored
 * value cannot be shown reads `"invalid"`, as in `JobJson`.
 */
export interface RunJson {
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number | "invalid";
  /** The worker process that ran it. */
  worker_id: string | null;
  /** When it started. */
  started_at: string;
  /** When it ended. */
  finished_at: string;
  /**
   * `completed`, `failed`, `timeout`, `rescued`, `released` (a claim no slot ran, given back),
   * `interrupted` (stopped by a worker shutdown; not a failure, the attempt is given back) or
   * `canceled`.
   */
  outcome: string;
  /** The command's exit code; null when it did not exit by itself. */
  exit_code: number | null | "invalid";
  /** Why it failed. */
  error: string | null;
  /** The kept tail of its standard output. */
  stdout: string;
  /** The kept tail of its standard error. */
  stderr: string;
  /** How many bytes of standard output it printed in all (more than kept when cut). */
  stdout_bytes: number | "invalid";
  /** How many bytes of standard error it printed in all (more than kept when cut). */
  stderr_bytes: number | "invalid";
}

/** A job with its dependencies and runs, as JSON (`info --json`). */
export interface JobInfoJson extends JobJson {
  /** The ids of the jobs it waits for. */
  after: string[];
  /** The jobs it waits for, with their states. */
  parents: { id: string; state: JobState | "invalid" }[];
  /** The jobs that wait for it, with their states. */
  children: { id: string; state: JobState | "invalid" }[];
  /** Its runs, oldest first. */
  runs: RunJson[];
}

/**
 * What `retry --json` did (and the dashboard's `POST /api/jobs/retry`): `jobs` are the finished
 * jobs named or matched, as they were; with `dry_run` nothing changed (more than one job matched
 * a filter without `--yes`); else `retried` went back to pending (or blocked, waiting on a
 * parent) and `kept` stayed as they were because an unfinished job holds their unique key.
 */
export interface RetryJson {
  /** True when nothing was changed: `jobs` lists what would be retried. */
  dry_run: boolean;
  /** The jobs named or matched, as they were before the retry. */
  jobs: JobJson[];
  /** The ids of the jobs now pending (or blocked on a parent) again. */
  retried: string[];
  /** The ids left as they were: an unfinished job holds their unique key. */
  kept: string[];
}

/**
 * A worker process as JSON. A field whose stored value cannot be shown reads `"invalid"`, as in
 * `JobJson`.
 */
export interface WorkerJson {
  /** Its id. */
  id: string;
  /** The host it runs on (`QUEUECTL_HOST_ID`, else the hostname). */
  host: string;
  /** Its process id on that host. */
  pid: number | "invalid";
  /** How many jobs it runs at once. */
  concurrency: number | "invalid";
  /** When it started. */
  started_at: string;
  /** When it last proved it is alive. */
  heartbeat_at: string;
  /** How it was asked to stop: after its running jobs (`drain`) or at once (`now`). */
  stop_requested: "drain" | "now" | null;
  /** The jobs it is running. */
  jobs: string[];
}

/** A paused queue in `status --json`. */
export interface PausedQueueJson {
  /** The queue's name. */
  name: string;
  /** When its pause ends by itself; null: paused until resumed. */
  paused_until: string | null;
}

/** A queue whose rate holds its jobs back now, in `status --json`. */
export interface RateLimitedQueueJson {
  /** The queue's name. */
  name: string;
  /** Its rate, `N/PERIOD`. */
  rate: string;
  /** When it may start a job again. */
  rate_limited_until: string;
}

/** Job counts per state and the live worker processes, as JSON (`status --json`). */
export interface StatusJson {
  /**
   * How many jobs are in each state (every state, zero when none), and under `invalid` how many
   * are in a state no version of queuectl has (only when there are any).
   */
  jobs: Record<JobState, number> & { invalid?: number };
  /** The worker processes that are alive. */
  workers: WorkerJson[];
  /** The queues paused now (workers take none of their jobs), by name. */
  paused_queues: PausedQueueJson[];
  /** The queues whose rate holds their jobs back now, by name. */
  rate_limited_queues: RateLimitedQueueJson[];
}

/** A cron schedule as JSON (`schedule list --json`, the dashboard's `/api/schedules`). */
export interface ScheduleJson {
  /** Its name, unique. */
  name: string;
  /** The cron expression. */
  cron: string;
  /** The IANA time zone the expression is read in. */
  timezone: string;
  /** Whether it is paused (it fires again once resumed). */
  paused: boolean;
  /** What happens to a run missed while no worker was up: `run-once` or `skip`. */
  missed: Schedule["missed"];
  /** When it fires next; null when paused or when the expression has no future time. */
  next_run_at: string | null;
  /** When it last fired; null before its first run. */
  last_run_at: string | null;
  /** What each run enqueues, as it was given (`command`, `queue`, `maxRetries`, …). */
  /** The job template; `"invalid"` when the stored one cannot be read. */
  job: Schedule["job"] | typeof INVALID;
}

/**
 * A queue as JSON (`queue list --json`, the `queues` of the dashboard's `/api/overview`). A field
 * whose stored value cannot be shown reads `"invalid"`, as in `JobJson`.
 */
export interface QueueJson {
  /** Its name. */
  name: string;
  /** Most of its jobs running at once across all workers; null: no limit. */
  concurrency: number | null;
  /** How many of its jobs are in each state. */
  jobs: Record<JobState, number>;
  /** True while workers take none of its jobs (running ones go on). */
  paused: boolean;
  /** When a timed pause ends; null when not paused, or paused until resumed. */
  paused_until: string | null;
  /** Only failures with these exit codes are retried (jobs without a list of their own). */
  retry_on: readonly number[] | null | "invalid";
  /** Failures with these exit codes are never retried (jobs without a list of their own). */
  no_retry_on: readonly number[] | null | "invalid";
  /** At most N starts per sliding period across all workers, as `N/PERIOD` (`10/1s`); null: none. */
  rate: string | null | "invalid";
  /** Until when its rate holds its jobs back (N starts in the last period); null: it does not. */
  rate_limited_until: string | null;
  /** Most running jobs per `group_key` at once across all workers; null: no limit. */
  group_concurrency: number | null | "invalid";
}

/** A batch's callback job as JSON. */
export interface BatchCallbackJson {
  /** The command it runs. */
  command: string;
  /** The callback job's id. */
  job_id: string;
  /** Its state: blocked until the batch settles; null when the job was purged. */
  state: JobState | "invalid" | null;
}

/**
 * A batch as JSON (`batch list --json`, `batch info --json`, the dashboard's `/api/batches`). A
 * field whose stored value cannot be shown reads `"invalid"`, as in `JobJson`.
 */
export interface BatchJson {
  /** Its name. */
  name: string;
  /** `open` until its last unfinished job ended, then `completed` or `failed` (one dead or canceled). */
  status: "open" | "completed" | "failed" | "invalid";
  /** How many of its jobs are in each state (callbacks not included). */
  jobs: Record<JobState, number>;
  /** Its jobs in all. */
  total: number;
  /** When its first jobs were enqueued. */
  created_at: string;
  /** When the first of its jobs' runs started; null before one did. */
  started_at: string | null;
  /** When it settled (its last unfinished job ended); null while open. */
  settled_at: string | null;
  /** The job run when every job completed; null: none. */
  on_complete: BatchCallbackJson | null;
  /** The job run when it settled with a job dead or canceled; null: none. */
  on_failure: BatchCallbackJson | null;
}

/** A batch as its JSON object. */
export function batchToJson(batch: BatchInfo): BatchJson {
  const callback = (value: BatchInfo["onComplete"]): BatchCallbackJson | null =>
    value === null ? null : {
      command: value.command,
      job_id: value.jobId,
      state: value.state === null ? null : stateJson(value.state),
    };
  const status = batch.settledAt === null
    ? "open"
    : batch.outcome === "completed" || batch.outcome === "failed"
    ? batch.outcome
    : INVALID;
  return {
    name: batch.name,
    status,
    jobs: batch.counts,
    total: Object.values(batch.counts).reduce((sum, count) => sum + count, 0),
    created_at: isoTime(batch.createdAt)!,
    started_at: isoTime(batch.firstStartedAt),
    settled_at: isoTime(batch.settledAt),
    on_complete: callback(batch.onComplete),
    on_failure: callback(batch.onFailure),
  };
}

/** A queue as its JSON object; `now` decides whether a timed pause is still on. */
export function queueToJson(queue: QueueInfo, now: number): QueueJson {
  const paused = isQueuePaused(queue, now);
  return {
    name: queue.name,
    concurrency: queue.concurrency,
    jobs: queue.counts,
    paused,
    paused_until: paused ? isoTime(queue.pausedUntil) : null,
    retry_on: queue.retryOn,
    no_retry_on: queue.noRetryOn,
    ...rateJson(queue, now),
    group_concurrency: storedGroupLimit(queue.groupConcurrency),
  };
}

/** A queue's rate and the end of its current wait, as JSON. */
function rateJson(queue: QueueSettings, now: number) {
  const { rate, limitedUntil } = queueRateState(queue, now);
  return {
    rate: rate === null || rate === INVALID ? rate : formatRate(rate),
    rate_limited_until: isoTime(limitedUntil),
  };
}

/** What a field whose stored value cannot be shown reads (see `JobJson`). */
export const INVALID: "invalid" = INVALID_TIME;

/** `value` when `valid` says it is one, else "invalid". */
function checked(value: number, valid: (value: number) => boolean): number | "invalid" {
  return valid(value) ? value : INVALID;
}

/** A count (attempts, retries, bytes, a pid): a whole number, not negative, else "invalid". */
export function countJson(value: number): number | "invalid" {
  return checked(value, (count) => Number.isSafeInteger(count) && count >= 0);
}

/** A whole number of either sign (a priority, an exit code), else "invalid". */
export function integerJson(value: number): number | "invalid" {
  return checked(value, Number.isSafeInteger);
}

/** A timeout: seconds, 0 or more. */
function isSeconds(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/** A backoff base: more than 0. */
function isBackoffBase(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/** A state of `JOB_STATES`, or "invalid". */
export function stateJson(state: string): JobState | "invalid" {
  return (JOB_STATES as readonly string[]).includes(state) ? state as JobState : INVALID;
}

/**
 * A job as `enqueue --json`, `POST /api/jobs` and `Queue.enqueue` answer it: the job, and what
 * enqueueing did. Fields only ever added to `JobJson`.
 */
export interface EnqueuedJobJson extends JobJson {
  /** True when nothing was added: this is the unfinished job holding the `unique_key`. */
  existing: boolean;
  /**
   * Null without a `unique_key`; else `added` (the key was free), `kept` (the holder was kept
   * and is this job: policy `keep`, or a running holder, which no policy touches), `replaced`
   * (this new job took the key from the waiting holder `replaced_id`, now canceled) or
   * `debounced` (this is the waiting holder, pushed to a later `run_at` and given the latest
   * command).
   */
  unique_outcome: "added" | "kept" | "replaced" | "debounced" | null;
  /** With `replaced`: the job canceled to make way. */
  replaced_id: string | null;
}

/**
 * What enqueueing a job did, as `EnqueuedJobJson` says it (the job answered has the key the new
 * one had: its own, or the same held by another).
 */
export function enqueuedJobToJson(
  result: {
    readonly job: Job;
    existing: boolean;
    uniqueOutcome?: "replaced" | "debounced";
    replacedId?: string;
  },
): EnqueuedJobJson {
  return {
    ...jobToJson(result.job),
    existing: result.existing,
    unique_outcome: result.job.uniqueKey === null
      ? null
      : result.uniqueOutcome ?? (result.existing ? "kept" : "added"),
    replaced_id: result.replacedId ?? null,
  };
}

/** A job as its JSON object. */
export function jobToJson(job: Job): JobJson {
  return {
    id: job.id,
    command: job.command,
    state: stateJson(job.state),
    attempts: countJson(job.attempts),
    max_retries: countJson(job.maxRetries),
    priority: integerJson(job.priority),
    queue: job.queue,
    timeout: job.timeoutSeconds === null ? null : checked(job.timeoutSeconds, isSeconds),
    backoff_base: job.backoffBase === null ? null : checked(job.backoffBase, isBackoffBase),
    cwd: job.cwd,
    env: job.unreadable?.includes("env") ? INVALID : job.env,
    shell: job.shell,
    created_at: isoTime(job.createdAt)!,
    updated_at: isoTime(job.updatedAt)!,
    run_at: isoTime(job.runAt)!,
    next_run_at: nextRunAt(job),
    started_at: isoTime(job.startedAt),
    finished_at: isoTime(job.finishedAt),
    exit_code: job.exitCode === null ? null : integerJson(job.exitCode),
    last_error: job.lastError,
    worker_id: job.leaseOwner,
    lease_expires_at: isoTime(job.leaseExpiresAt),
    cancel_requested_at: isoTime(job.cancelRequestedAt),
    unique_key: job.uniqueKey,
    unique_policy: job.uniquePolicy === null
      ? null
      : isUniquePolicy(job.uniquePolicy)
      ? job.uniquePolicy
      : INVALID,
    debounce_max: job.debounceMaxMs === null
      ? null
      : checked(job.debounceMaxMs, (ms) => Number.isSafeInteger(ms) && ms >= 0) === INVALID
      ? INVALID
      : job.debounceMaxMs / 1000,
    retry_on: job.retryOn,
    no_retry_on: job.noRetryOn,
    on_finish: job.onFinish,
    on_finish_when: job.onFinishWhen,
    hook_for: job.hookFor,
    batch: job.batch,
    group_key: job.groupKey,
  };
}

/** When the job will run next, or null when it will not run again by itself. */
function nextRunAt(job: Job): string | null {
  return job.state === "pending" || job.state === "failed" ? isoTime(job.runAt) : null;
}

/** One run of a job as JSON. */
export function runToJson(run: JobRun): RunJson {
  return {
    attempt: checked(run.attempt, (attempt) => Number.isSafeInteger(attempt) && attempt >= 1),
    worker_id: run.workerId,
    started_at: isoTime(run.startedAt)!,
    finished_at: isoTime(run.finishedAt)!,
    outcome: run.outcome,
    exit_code: run.exitCode === null ? null : integerJson(run.exitCode),
    error: run.error,
    stdout: tailText(run.stdout, run.stdoutBytes),
    stderr: tailText(run.stderr, run.stderrBytes),
    stdout_bytes: countJson(run.stdoutBytes),
    stderr_bytes: countJson(run.stderrBytes),
  };
}

/** A job with its dependencies and runs as JSON; `after` repeats the parents' ids. */
export function jobDetailToJson(detail: JobDetail): JobInfoJson {
  const family = (jobs: { id: string; state: string }[]) =>
    jobs.map((other) => ({ id: other.id, state: stateJson(other.state) }));
  return {
    ...jobToJson(detail.job),
    after: detail.parents.map((parent) => parent.id),
    parents: family(detail.parents),
    children: family(detail.children),
    runs: detail.runs.map(runToJson),
  };
}

/** A worker process as JSON. */
export function workerToJson(worker: WorkerProcessWithJobs): WorkerJson {
  return {
    id: worker.id,
    host: worker.host,
    pid: countJson(worker.pid),
    concurrency: countJson(worker.concurrency),
    started_at: isoTime(worker.startedAt)!,
    heartbeat_at: isoTime(worker.heartbeatAt)!,
    stop_requested: worker.stopRequested,
    jobs: worker.jobIds,
  };
}

/** The job counts and live workers as JSON. */
export function statusToJson(status: QueueStatus): StatusJson {
  return {
    jobs: stateCounts(status.counts),
    workers: status.workers.map(workerToJson),
    paused_queues: status.pausedQueues.map((queue) => ({
      name: queue.name,
      paused_until: isoTime(queue.pausedUntil),
    })),
    rate_limited_queues: status.rateLimitedQueues.map((queue) => ({
      name: queue.name,
      rate: formatRate(queue.rate),
      rate_limited_until: isoTime(queue.until)!,
    })),
  };
}

/**
 * Counts per state as shown: every state of `JOB_STATES` in its order, then `invalid` for the
 * jobs in states no version of queuectl has (a store counts those under their own names), when
 * there are any.
 */
export function stateCounts(
  counts: Readonly<Record<string, number>>,
): Record<JobState, number> & { invalid?: number } {
  const shown = Object.fromEntries(
    JOB_STATES.map((state) => [state, Object.hasOwn(counts, state) ? counts[state] : 0]),
  ) as Record<JobState, number> & { invalid?: number };
  let invalid = 0;
  for (const [state, count] of Object.entries(counts)) {
    if (!(JOB_STATES as readonly string[]).includes(state)) invalid += count;
  }
  if (invalid > 0) shown.invalid = invalid;
  return shown;
}

/** A schedule as JSON. */
export function scheduleToJson(schedule: Schedule): ScheduleJson {
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    paused: schedule.paused,
    missed: schedule.missed,
    next_run_at: isoTime(schedule.nextRunAt),
    last_run_at: isoTime(schedule.lastRunAt),
    job: schedule.unreadable ? INVALID : schedule.job,
  };
}
