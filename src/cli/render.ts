/**
 * How jobs and workers look: JSON for programs (snake_case, ISO 8601 UTC times; a contract users'
 * scripts depend on) and aligned tables for people.
 *
 * @module
 */
import { isoTime } from "../clock.ts";
import type { Job, JobRun } from "../job.ts";
import type { Schedule, WorkerProcessWithJobs } from "../store/mod.ts";
import { tailText } from "../worker/output_tail.ts";

/** A job as its JSON object. */
export function jobToJson(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    command: job.command,
    state: job.state,
    attempts: job.attempts,
    max_retries: job.maxRetries,
    priority: job.priority,
    queue: job.queue,
    timeout: job.timeoutSeconds,
    backoff_base: job.backoffBase,
    cwd: job.cwd,
    env: job.env,
    created_at: isoTime(job.createdAt),
    updated_at: isoTime(job.updatedAt),
    run_at: isoTime(job.runAt),
    next_run_at: nextRunAt(job),
    started_at: isoTime(job.startedAt),
    finished_at: isoTime(job.finishedAt),
    exit_code: job.exitCode,
    last_error: job.lastError,
    worker_id: job.leaseOwner,
    lease_expires_at: isoTime(job.leaseExpiresAt),
    cancel_requested_at: isoTime(job.cancelRequestedAt),
    unique_key: job.uniqueKey,
  };
}

/** When the job will run next, or null when it will not run again by itself. */
function nextRunAt(job: Job): string | null {
  return job.state === "pending" || job.state === "failed" ? isoTime(job.runAt) : null;
}

/** One run of a job as JSON. */
export function runToJson(run: JobRun): Record<string, unknown> {
  return {
    attempt: run.attempt,
    worker_id: run.workerId,
    started_at: isoTime(run.startedAt),
    finished_at: isoTime(run.finishedAt),
    outcome: run.outcome,
    exit_code: run.exitCode,
    error: run.error,
    stdout: tailText(run.stdout, run.stdoutBytes),
    stderr: tailText(run.stderr, run.stderrBytes),
    stdout_bytes: run.stdoutBytes,
    stderr_bytes: run.stderrBytes,
  };
}

/** A worker process as JSON. */
export function workerToJson(worker: WorkerProcessWithJobs): Record<string, unknown> {
  return {
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    concurrency: worker.concurrency,
    started_at: isoTime(worker.startedAt),
    heartbeat_at: isoTime(worker.heartbeatAt),
    stop_requested: worker.stopRequested,
    jobs: worker.jobIds,
  };
}

/** A schedule as JSON. */
export function scheduleToJson(schedule: Schedule): Record<string, unknown> {
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    paused: schedule.paused,
    missed: schedule.missed,
    next_run_at: isoTime(schedule.nextRunAt),
    last_run_at: isoTime(schedule.lastRunAt),
    job: schedule.job,
  };
}

/** Pretty JSON and a newline. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** An aligned table; cells are cut to `maxWidth` characters with an ellipsis. */
export function table(headers: string[], rows: string[][], maxWidth = 60): string {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, " ");
    return flat.length > maxWidth ? flat.slice(0, maxWidth - 1) + "…" : flat;
  };
  const cells = [headers, ...rows.map((row) => row.map(cut))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()
  )
    .join("\n") + "\n";
}

/** `12s ago`, `in 4m`, relative to `now`. */
export function relativeTime(ms: number | null, now: number): string {
  if (ms === null) return "-";
  const delta = ms - now;
  const text = shortDuration(Math.abs(delta));
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** `850ms`, `12s`, `4m`, `3h`, `2d`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/**
 * The job table shared by `list` and `dlq list`; `waitsOn` gives blocked jobs' NEXT RUN text.
 */
export function jobTable(jobs: Job[], now: number, waitsOn = new Map<string, string>()): string {
  return table(
    ["ID", "STATE", "QUEUE", "PRI", "ATTEMPTS", "NEXT RUN", "UPDATED", "COMMAND"],
    jobs.map((job) => [
      job.id,
      job.state,
      job.queue,
      String(job.priority),
      `${job.attempts}/${job.maxRetries + 1}`,
      waitsOn.get(job.id) ??
        (job.state === "pending" || job.state === "failed" ? relativeTime(job.runAt, now) : "-"),
      relativeTime(job.updatedAt, now),
      job.command,
    ]),
  );
}
