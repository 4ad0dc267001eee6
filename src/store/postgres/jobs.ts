/** Reading, listing, retrying, canceling and purging jobs. */
import { FINAL_STATES, type Job, JOB_STATES, type JobRun, type JobState } from "../../job.ts";
import type {
  JobCancelParams,
  JobCancelResult,
  JobFilter,
  JobGetParams,
  JobLease,
  JobListCancelRequestedParams,
  JobListParams,
  JobPurgeParams,
  JobRetryDeadParams,
  JobRunsParams,
} from "../store.ts";
import { type PgConnection, type Sql, textArray, uniqueViolation } from "./connection.ts";
import { jobFromRow, runFromRow } from "./rows.ts";

export async function jobGet(conn: PgConnection, params: JobGetParams): Promise<Job | undefined> {
  const [row] = await conn.run((sql) => sql`SELECT * FROM jobs WHERE id = ${params.id}`);
  return row ? jobFromRow(row) : undefined;
}

/** The WHERE clause of a `JobFilter`. */
function filterClause(sql: Sql, params: JobFilter) {
  const states = params.states?.length ? params.states : [...JOB_STATES];
  const queues = textArray(params.queues ?? null);
  const search = params.search?.trim() ? params.search.trim().toLowerCase() : null;
  return sql`state = ANY (${textArray(states)}::text[])
    AND (${queues}::text[] IS NULL OR queue = ANY (${queues}::text[]))
    AND created_at >= ${params.createdSince ?? 0}::bigint
    AND (${search}::text IS NULL OR strpos(lower(id), ${search}::text) > 0
         OR strpos(lower(command), ${search}::text) > 0)
    AND (${params.batch ?? null}::text IS NULL OR batch = ${params.batch ?? null}::text)`;
}

export async function jobList(conn: PgConnection, params: JobListParams): Promise<Job[]> {
  const rows = await conn.run((sql) => {
    const order = params.order === "run_at"
      ? sql`run_at, seq`
      : params.order === "newest"
      ? sql`seq DESC`
      : sql`seq`;
    return sql`SELECT * FROM jobs WHERE ${filterClause(sql, params)} ORDER BY ${order}
      ${params.limit ? sql`LIMIT ${params.limit}` : sql``}
      ${params.offset ? sql`OFFSET ${params.offset}` : sql``}`;
  });
  return rows.map(jobFromRow);
}

export async function jobCount(conn: PgConnection, params: JobFilter): Promise<number> {
  const [row] = await conn.run((sql) =>
    sql`SELECT count(*) AS n FROM jobs WHERE ${filterClause(sql, params)}`
  );
  return Number(row.n);
}

export async function jobCountByState(conn: PgConnection): Promise<Record<JobState, number>> {
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
    JobState,
    number
  >;
  const rows = await conn.run((sql) => sql`SELECT state, count(*) AS n FROM jobs GROUP BY state`);
  for (const row of rows) counts[row.state as JobState] = Number(row.n);
  return counts;
}

export async function jobRetryDead(
  conn: PgConnection,
  params: JobRetryDeadParams,
): Promise<string[]> {
  const all = params.ids === "all";
  const ids = all ? [] : params.ids as string[];
  for (let attempt = 1;; attempt++) {
    try {
      return await conn.transaction(async (sql) => {
        // Newest first: of several dead jobs sharing a unique key, the newest comes back and
        // holds it; the others stay dead, as does one whose key a newer unfinished job holds.
        const candidates = await sql`
          SELECT seq, id, unique_key FROM jobs
          WHERE state = 'dead' AND (${all} OR id = ANY (${textArray(ids)}::text[]))
          ORDER BY seq DESC FOR NO KEY UPDATE`;
        const retried: string[] = [];
        for (const job of candidates) {
          if (job.unique_key !== null) {
            const [taken] = await sql`
              SELECT 1 FROM jobs WHERE unique_key = ${job.unique_key as string}
                AND state IN ('blocked','pending','processing','failed')`;
            if (taken) continue;
          }
          await sql`
            UPDATE jobs SET state = 'pending', attempts = 0, run_at = ${params.now}::bigint,
              updated_at = ${params.now}::bigint, finished_at = NULL
            WHERE seq = ${job.seq as number}::bigint`;
          retried.push(String(job.id));
        }
        if (retried.length > 0) await sql`SELECT pg_notify(${conn.channel}, '')`;
        return retried.reverse();
      });
    } catch (error) {
      // An enqueue on another host took one of the keys meanwhile: look again.
      if (uniqueViolation(error) === "jobs_unique_key" && attempt < 5) continue;
      throw error;
    }
  }
}

export async function jobRuns(conn: PgConnection, params: JobRunsParams): Promise<JobRun[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT jobs.id AS job_id, job_runs.* FROM job_runs JOIN jobs ON jobs.seq = job_runs.job_seq
      WHERE jobs.id = ${params.id} ORDER BY run`
  );
  return rows.map(runFromRow);
}

export async function jobPurge(
  conn: PgConnection,
  params: JobPurgeParams,
): Promise<number> {
  const finals = params.states.filter((state) => FINAL_STATES.includes(state));
  const result = await conn.run((sql) =>
    sql`DELETE FROM jobs WHERE state = ANY (${textArray(finals)}::text[])
      AND finished_at < ${params.finishedBefore}::bigint`
  );
  return result.count;
}

export async function jobCancel(
  conn: PgConnection,
  params: JobCancelParams,
): Promise<JobCancelResult> {
  return await conn.transaction(async (sql) => {
    const canceledRows = await sql`
      UPDATE jobs SET state = 'canceled', finished_at = ${params.now}::bigint,
        updated_at = ${params.now}::bigint, last_error = 'Canceled by a user'
      WHERE id = ANY (${textArray(params.ids)}::text[]) AND state IN ('blocked','pending','failed')
      RETURNING seq, id`;
    for (const row of canceledRows) {
      await sql`SELECT settle_children(${row.seq as number}::bigint, ${row.id as string},
        'canceled', ${params.now}::bigint)`;
    }
    const stopping = await sql`
      UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, ${params.now}::bigint),
        updated_at = ${params.now}::bigint
      WHERE id = ANY (${textArray(params.ids)}::text[]) AND state = 'processing'
      RETURNING id`;
    // Wakes the workers, which look for cancel requests on every wake-up.
    if (stopping.length > 0) await sql`SELECT pg_notify(${conn.channel}, '')`;
    return {
      canceled: canceledRows.map((row) => String(row.id)),
      stopping: stopping.map((row) => String(row.id)),
    };
  });
}

export async function jobListCancelRequested(
  conn: PgConnection,
  params: JobListCancelRequestedParams,
): Promise<JobLease[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT id, lease_token FROM jobs
      WHERE lease_owner = ${params.workerId} AND state = 'processing'
        AND cancel_requested_at IS NOT NULL`
  );
  return rows.map((row) => ({ id: String(row.id), leaseToken: Number(row.lease_token) }));
}
