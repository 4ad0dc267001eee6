/** Turning PostgreSQL rows into the store's types (bigint columns arrive as numbers). */
import { Buffer } from "node:buffer";
import type { JobRun } from "../../job.ts";
import type { MissedPolicy, Schedule } from "../store.ts";
import type { PgRow } from "./connection.ts";
import { numberOrNull, stringOrNull } from "../stored_row.ts";

export { jobFromRow, workerFromRow } from "../stored_row.ts";

/** A bytea value as a plain `Uint8Array` (the driver returns a Node `Buffer`). */
export function bytesFromColumn(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return new TextEncoder().encode(String(value ?? ""));
}

/** A `Uint8Array` as the driver sends bytea: a `Buffer` over the same memory. */
export function bytesToColumn(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function runFromRow(row: PgRow): JobRun {
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

export function scheduleFromRow(row: PgRow): Schedule {
  return {
    name: String(row.name),
    cron: String(row.cron),
    timezone: String(row.timezone),
    job: JSON.parse(String(row.job)),
    missed: row.missed as MissedPolicy,
    paused: row.paused === true,
    nextRunAt: numberOrNull(row.next_run_at),
    lastRunAt: numberOrNull(row.last_run_at),
    createdAt: Number(row.created_at),
  };
}
