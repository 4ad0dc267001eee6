/** Cron schedules, and firing each scheduled time once across hosts. */
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
import { type PgConnection, uniqueViolation } from "./connection.ts";
import { duplicateIdError, insertInTransaction } from "./job_insert.ts";
import { scheduleFromRow } from "./rows.ts";

export async function scheduleAdd(
  conn: PgConnection,
  params: ScheduleAddParams,
): Promise<void> {
  const schedule = params.schedule;
  // Idle workers look at the schedules only when one comes due: the NOTIFY (sent at commit, and
  // only if the row went in) tells them about a new one.
  const result = await conn.run((sql) =>
    sql`WITH added AS (
        INSERT INTO schedules (name, cron, timezone, job, missed, paused, next_run_at,
          last_run_at, created_at)
        VALUES (${schedule.name}, ${schedule.cron}, ${schedule.timezone},
          ${JSON.stringify(schedule.job)}, ${schedule.missed}, ${schedule.paused},
          ${schedule.nextRunAt}::bigint, ${schedule.lastRunAt}::bigint,
          ${schedule.createdAt}::bigint)
        ON CONFLICT (name) DO NOTHING
        RETURNING name)
      SELECT pg_notify(${conn.channel}, '') FROM added`
  );
  if (result.count === 0) {
    throw new ConflictError(
      `Cannot add schedule "${schedule.name}": a schedule with that name exists (remove it first)`,
    );
  }
}

export async function scheduleList(conn: PgConnection): Promise<Schedule[]> {
  const rows = await conn.run((sql) => sql`SELECT * FROM schedules ORDER BY name`);
  return rows.map(scheduleFromRow);
}

export async function scheduleRemove(
  conn: PgConnection,
  params: ScheduleRemoveParams,
): Promise<boolean> {
  const result = await conn.run((sql) => sql`DELETE FROM schedules WHERE name = ${params.name}`);
  return result.count === 1;
}

export async function scheduleSetPaused(
  conn: PgConnection,
  params: ScheduleSetPausedParams,
): Promise<boolean> {
  // A resumed schedule has a new next run, which idle workers learn from the NOTIFY.
  const result = await conn.run((sql) =>
    sql`WITH changed AS (
        UPDATE schedules SET paused = ${params.paused},
          next_run_at = ${params.nextRunAt}::bigint
        WHERE name = ${params.name}
        RETURNING paused)
      SELECT CASE WHEN NOT paused THEN pg_notify(${conn.channel}, '') END FROM changed`
  );
  return result.count === 1;
}

export async function scheduleListDue(
  conn: PgConnection,
  params: ScheduleListDueParams,
): Promise<Schedule[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT * FROM schedules WHERE NOT paused AND next_run_at <= ${params.now}::bigint
      ORDER BY next_run_at, name`
  );
  return rows.map(scheduleFromRow);
}

export async function scheduleFire(
  conn: PgConnection,
  params: ScheduleFireParams,
): Promise<ScheduleFireResult | undefined> {
  for (let attempt = 1;; attempt++) {
    try {
      return await conn.transaction(async (sql) => {
        // Compare-and-set on next_run_at: a host racing for the same time waits for our row
        // lock, then finds next_run_at moved on and changes nothing.
        const won = await sql`
          UPDATE schedules SET next_run_at = ${params.nextRunAt}::bigint,
            last_run_at = ${params.now}::bigint
          WHERE name = ${params.name} AND NOT paused
            AND next_run_at = ${params.expectedNextRunAt}::bigint`;
        if (won.count !== 1) return undefined;
        if (!params.job) return { jobId: null };
        const [result] = await insertInTransaction(sql, conn.channel, [params.job], params.now);
        return { jobId: result.job.id };
      });
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === "jobs_unique_key" && attempt < 5) continue;
      if (constraint === "jobs_id_key" && params.job) {
        throw await duplicateIdError(conn, [params.job]);
      }
      throw error;
    }
  }
}
