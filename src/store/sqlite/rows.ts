/** Turning SQLite rows into the store's types. */
import type { SQLInputValue } from "node:sqlite";
import type { MissedPolicy, Schedule } from "../store.ts";

export {
  jobFromRow,
  numberOrNull,
  runFromRow,
  stringOrNull,
  workerFromRow,
} from "../stored_row.ts";
import { numberOrNull } from "../stored_row.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;

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
