/**
 * Turning a stored row (snake_case columns, times as epoch ms) into a `Job` or a
 * `WorkerProcess`: the same for every store, whose drivers hand back plain records.
 *
 * @module
 */
import { exitCodesFromColumn } from "../exit_codes.ts";
import { outcomesFromColumn } from "../finish_hooks.ts";
import type { Job, JobRun, JobState } from "../job.ts";
import type {
  MissedPolicy,
  QueueSettings,
  Schedule,
  ScheduledJob,
  StopMode,
  WorkerProcess,
} from "./store.ts";

/** A row as a driver returns it. */
export type StoredRow = Record<string, unknown>;

export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * A job row as a `Job`; never throws. Values are taken as they are (a bad number is NaN or out of
 * range, for readers to show as invalid); an env that is not a JSON object of strings is null and
 * listed in `unreadable`.
 */
export function jobFromRow(row: StoredRow): Job {
  const env = envFromColumn(row.env);
  const job: Job = {
    id: String(row.id),
    command: String(row.command),
    state: row.state as JobState,
    attempts: Number(row.attempts),
    maxRetries: Number(row.max_retries),
    priority: Number(row.priority),
    queue: String(row.queue),
    timeoutSeconds: numberOrNull(row.timeout_seconds),
    backoffBase: numberOrNull(row.backoff_base),
    cwd: stringOrNull(row.cwd),
    env: env === UNREADABLE ? null : env,
    cancelRequestedAt: numberOrNull(row.cancel_requested_at),
    uniqueKey: stringOrNull(row.unique_key),
    shell: stringOrNull(row.shell),
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: numberOrNull(row.started_at),
    finishedAt: numberOrNull(row.finished_at),
    exitCode: numberOrNull(row.exit_code),
    lastError: stringOrNull(row.last_error),
    leaseOwner: stringOrNull(row.lease_owner),
    leaseToken: Number(row.lease_token),
    leaseExpiresAt: numberOrNull(row.lease_expires_at),
    pgid: numberOrNull(row.pgid),
    pgidStartTime: stringOrNull(row.pgid_start_time),
    // Columns of migration 4: absent from rows read through an older schema's peek.
    retryOn: exitCodesFromColumn(row.retry_on),
    noRetryOn: exitCodesFromColumn(row.no_retry_on),
    // Columns of the finish hooks migration: absent from rows of an older schema's peek.
    onFinish: stringOrNull(row.on_finish),
    onFinishWhen: outcomesFromColumn(row.on_finish_when),
    hookFor: stringOrNull(row.hook_for),
    // Column of the batches migration: absent from rows read through an older schema's peek.
    batch: stringOrNull(row.batch),
    // Migration 7's column (group limits): absent from rows read through an older schema's peek.
    groupKey: stringOrNull(row.group_key),
    // Columns of the unique-policy migration: absent from rows read through an older schema.
    uniquePolicy: stringOrNull(row.unique_policy),
    debounceMaxMs: numberOrNull(row.debounce_max_ms),
  };
  if (env === UNREADABLE) job.unreadable = ["env"];
  return job;
}

const UNREADABLE = Symbol("unreadable");

/** The env column: null, a JSON object of strings, or `UNREADABLE`. */
function envFromColumn(value: unknown): Record<string, string> | null | typeof UNREADABLE {
  if (value === null || value === undefined) return null;
  let env: unknown;
  try {
    env = JSON.parse(String(value));
  } catch {
    return UNREADABLE;
  }
  const ok = typeof env === "object" && env !== null && !Array.isArray(env) &&
    Object.values(env).every((text) => typeof text === "string");
  return ok ? env as Record<string, string> : UNREADABLE;
}

export function workerFromRow(row: StoredRow): WorkerProcess {
  return {
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    pidStartTime: stringOrNull(row.pid_start_time),
    concurrency: Number(row.concurrency),
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    stopRequested: (row.stop_requested ?? null) as StopMode | null,
  };
}

/**
 * A blob column as a plain `Uint8Array`: the PostgreSQL driver returns a Node `Buffer`, whose
 * different prototype would make equal bytes compare unequal.
 */
export function bytesFromColumn(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array ? value : new Uint8Array(value);
  }
  return new TextEncoder().encode(String(value ?? ""));
}

export function runFromRow(row: StoredRow): JobRun {
  return {
    jobId: String(row.job_id),
    run: Number(row.run),
    attempt: Number(row.attempt),
    workerId: stringOrNull(row.worker_id),
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    outcome: String(row.outcome),
    exitCode: numberOrNull(row.exit_code),
    error: stringOrNull(row.error),
    stdout: bytesFromColumn(row.stdout),
    stderr: bytesFromColumn(row.stderr),
    stdoutBytes: Number(row.stdout_bytes),
    stderrBytes: Number(row.stderr_bytes),
  };
}

/**
 * A schedule row as a `Schedule`; never throws. A job template that is not a JSON object with a
 * command (written by hand or damaged) is listed in `unreadable`: such a schedule is shown as
 * invalid and never fires, and the other schedules go on.
 */
export function scheduleFromRow(row: StoredRow): Schedule {
  let job: unknown;
  try {
    job = JSON.parse(String(row.job));
  } catch {
    job = undefined;
  }
  const readable = typeof job === "object" && job !== null && !Array.isArray(job) &&
    typeof (job as { command?: unknown }).command === "string";
  const schedule: Schedule = {
    name: String(row.name),
    cron: String(row.cron),
    timezone: String(row.timezone),
    job: readable ? job as ScheduledJob : { command: "" },
    missed: row.missed as MissedPolicy,
    // SQLite stores 0/1, PostgreSQL a boolean.
    paused: row.paused === true || Number(row.paused) === 1,
    nextRunAt: numberOrNull(row.next_run_at),
    lastRunAt: numberOrNull(row.last_run_at),
    createdAt: Number(row.created_at),
  };
  if (!readable) schedule.unreadable = ["job"];
  return schedule;
}

/** A queues row as `QueueSettings`; never throws (a bad list reads `"invalid"`). */
export function queueFromRow(row: StoredRow): QueueSettings {
  return {
    name: String(row.name),
    concurrency: numberOrNull(row.concurrency),
    pausedAt: numberOrNull(row.paused_at),
    pausedUntil: numberOrNull(row.paused_until),
    retryOn: exitCodesFromColumn(row.retry_on),
    noRetryOn: exitCodesFromColumn(row.no_retry_on),
    rateLimit: numberOrNull(row.rate_limit),
    ratePeriodMs: numberOrNull(row.rate_period_ms),
    groupConcurrency: numberOrNull(row.group_concurrency),
    recentStarts: [],
  };
}
