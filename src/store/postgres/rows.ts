/** Turning PostgreSQL rows into the store's types (bigint columns arrive as numbers). */
import type { MissedPolicy, Schedule } from "../store.ts";
import type { PgRow } from "./connection.ts";
import { numberOrNull } from "../stored_row.ts";

export { bytesFromColumn, jobFromRow, runFromRow, workerFromRow } from "../stored_row.ts";

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
