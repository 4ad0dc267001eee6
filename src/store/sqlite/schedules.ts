/** Cron schedules, and firing each scheduled time once across processes. */
import { ConflictError } from "../../errors.ts";
import type {
  Schedule,
  ScheduleAddParams,
  ScheduleFireParams,
  ScheduleFireResult,
  ScheduleListDueParams,
  ScheduleRemoveParams,
  ScheduleSetPausedParams,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { insertInTransaction } from "./job_insert.ts";
import { type Row, scheduleFromRow } from "./rows.ts";

export async function scheduleAdd(
  conn: SqliteConnection,
  params: ScheduleAddParams,
): Promise<void> {
  const schedule = params.schedule;
  await conn.write(() => {
    const added = conn.statement(
      `INSERT INTO schedules (name, cron, timezone, job, missed, paused, next_run_at, last_run_at,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    ).run(
      schedule.name,
      schedule.cron,
      schedule.timezone,
      JSON.stringify(schedule.job),
      schedule.missed,
      schedule.paused ? 1 : 0,
      schedule.nextRunAt,
      schedule.lastRunAt,
      schedule.createdAt,
    ).changes;
    if (Number(added) === 0) {
      throw new ConflictError(
        `Cannot add schedule "${schedule.name}": a schedule with that name exists (remove it first)`,
      );
    }
  });
  // Idle workers look at the schedules only when one comes due: tell them about a new one.
  conn.announceWork();
}

export function scheduleList(conn: SqliteConnection): Promise<Schedule[]> {
  const rows = conn.statement("SELECT * FROM schedules ORDER BY name").all();
  return Promise.resolve(rows.map((row) => scheduleFromRow(row as Row)));
}

export function scheduleRemove(
  conn: SqliteConnection,
  params: ScheduleRemoveParams,
): Promise<boolean> {
  return conn.write(() =>
    Number(conn.statement("DELETE FROM schedules WHERE name = ?").run(params.name).changes) === 1
  );
}

export async function scheduleSetPaused(
  conn: SqliteConnection,
  params: ScheduleSetPausedParams,
): Promise<boolean> {
  const changed = await conn.write(() =>
    Number(
      conn.statement("UPDATE schedules SET paused = ?, next_run_at = ? WHERE name = ?")
        .run(params.paused ? 1 : 0, params.nextRunAt, params.name).changes,
    ) === 1
  );
  // A resumed schedule has a new next run, which idle workers learn from a wake-up.
  if (changed && !params.paused) conn.announceWork();
  return changed;
}

export function scheduleListDue(
  conn: SqliteConnection,
  params: ScheduleListDueParams,
): Promise<Schedule[]> {
  const rows = conn.statement(
    "SELECT * FROM schedules WHERE paused = 0 AND next_run_at <= ? ORDER BY next_run_at, name",
  ).all(params.now);
  return Promise.resolve(rows.map((row) => scheduleFromRow(row as Row)));
}

export async function scheduleFire(
  conn: SqliteConnection,
  params: ScheduleFireParams,
): Promise<ScheduleFireResult | undefined> {
  const fired = await conn.write(() => {
    // Compare-and-set on next_run_at: of all processes racing for this time, one wins.
    const won = Number(
      conn.statement(
        `UPDATE schedules SET next_run_at = ?, last_run_at = ?
         WHERE name = ? AND paused = 0 AND next_run_at = ?`,
      ).run(params.nextRunAt, params.now, params.name, params.expectedNextRunAt).changes,
    ) === 1;
    if (!won) return undefined;
    if (!params.job) return { jobId: null };
    const [result] = insertInTransaction(conn, [params.job], params.now);
    return { jobId: result.job.id };
  });
  if (fired?.jobId) conn.announceWork();
  return fired;
}
