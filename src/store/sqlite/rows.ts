/** Turning SQLite rows into the store's types. */
import type { SQLInputValue } from "node:sqlite";
import type { JobRun } from "../../job.ts";
import type { MissedPolicy, Schedule } from "../store.ts";

export { jobFromRow, numberOrNull, stringOrNull, workerFromRow } from "../stored_row.ts";
import { numberOrNull, stringOrNull } from "../stored_row.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;

export function blob(value: SQLInputValue | undefined): Uint8Array {
  return value instanceof Uint8Array ? value : new TextEncoder().encode(String(value ?? ""));
}

export function runFromRow(row: Row): JobRun {
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
    stdout: blob(row.stdout),
    stderr: blob(row.stderr),
    stdoutBytes: Number(row.stdout_bytes),
    stderrBytes: Number(row.stderr_bytes),
  };
}

export function scheduleFromRow(row: Row): Schedule {
  return {
    name: String(row.name),
    cron: String(row.cron),
    timezone: String(row.timezone),
    job: JSON.parse(String(row.job)),
    missed: row.missed as MissedPolicy,
    paused: Number(row.paused) === 1,
    nextRunAt: numberOrNull(row.next_run_at),
    lastRunAt: numberOrNull(row.last_run_at),
    createdAt: Number(row.created_at),
  };
}
