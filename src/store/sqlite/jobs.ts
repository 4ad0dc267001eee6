/** Reading, listing, retrying, canceling and purging jobs. */
import { FINAL_STATES, type Job, JOB_STATES, type JobRun, type JobState } from "../../job.ts";
import type { SQLInputValue } from "node:sqlite";
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
import type { SqliteConnection } from "./connection.ts";
import { cancelDescendants } from "./dependencies.ts";
import { jobFromRow, type Row, runFromRow } from "./rows.ts";

export function jobGet(conn: SqliteConnection, params: JobGetParams): Promise<Job | undefined> {
  const row = conn.statement("SELECT * FROM jobs WHERE id = ?").get(params.id);
  return Promise.resolve(row ? jobFromRow(row as Row) : undefined);
}

/** The WHERE clause of a `JobFilter`, with its values. */
function filterClause(params: JobFilter): { where: string; values: SQLInputValue[] } {
  const states = params.states?.length ? params.states : JOB_STATES;
  const search = params.search?.trim() ? params.search.trim().toLowerCase() : null;
  return {
    where: `state IN (SELECT value FROM json_each(?))
       AND (? IS NULL OR queue IN (SELECT value FROM json_each(?)))
       AND created_at >= ?
       AND (? IS NULL OR instr(lower(id), ?) > 0 OR instr(lower(command), ?) > 0)
       AND (? IS NULL OR batch = ?)`,
    values: [
      JSON.stringify(states),
      params.queues ? 1 : null,
      JSON.stringify(params.queues ?? []),
      params.createdSince ?? 0,
      search,
      search,
      search,
      params.batch ?? null,
      params.batch ?? null,
    ],
  };
}

const ORDERS = { enqueue: "seq", run_at: "run_at, seq", newest: "seq DESC" } as const;

export function jobList(conn: SqliteConnection, params: JobListParams): Promise<Job[]> {
  const { where, values } = filterClause(params);
  const rows = conn.statement(
    `SELECT * FROM jobs WHERE ${where} ORDER BY ${ORDERS[params.order ?? "enqueue"]}
     LIMIT ? OFFSET ?`,
  ).all(...values, params.limit ? params.limit : -1, params.offset ?? 0);
  return Promise.resolve(rows.map((row) => jobFromRow(row as Row)));
}

export function jobCount(conn: SqliteConnection, params: JobFilter): Promise<number> {
  const { where, values } = filterClause(params);
  const row = conn.statement(`SELECT count(*) AS n FROM jobs WHERE ${where}`).get(...values);
  return Promise.resolve(Number(row?.n ?? 0));
}

export function jobCountByState(conn: SqliteConnection): Promise<Record<JobState, number>> {
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
    JobState,
    number
  >;
  // Kept by triggers (migration 3): no scan of the jobs.
  const rows = conn.statement("SELECT state, n FROM job_counts").all();
  for (const row of rows) counts[row.state as JobState] = Number(row.n);
  return Promise.resolve(counts);
}

export async function jobRetryDead(
  conn: SqliteConnection,
  params: JobRetryDeadParams,
): Promise<string[]> {
  const ids = await conn.write(() => {
    const all = params.ids === "all";
    const candidates = conn.statement(
      `SELECT seq, id, unique_key FROM jobs
       WHERE state = 'dead' AND (? OR id IN (SELECT value FROM json_each(?)))
       ORDER BY seq DESC`,
    ).all(all ? 1 : 0, JSON.stringify(all ? [] : params.ids));
    const keyTaken = conn.statement(
      "SELECT 1 FROM jobs WHERE unique_key = ? AND state IN ('blocked','pending','processing','failed')",
    );
    const retry = conn.statement(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ?,
         finished_at = NULL
       WHERE seq = ?`,
    );
    const retried: string[] = [];
    // Newest first: of several dead jobs sharing a unique key, the newest comes back and holds
    // it; the others stay dead, as does one whose key a newer unfinished job holds.
    for (const job of candidates) {
      if (job.unique_key !== null && keyTaken.get(job.unique_key)) continue;
      retry.run(params.now, params.now, job.seq);
      retried.push(String(job.id));
    }
    return retried.reverse();
  });
  if (ids.length > 0) conn.announceWork();
  return ids;
}

export function jobRuns(conn: SqliteConnection, params: JobRunsParams): Promise<JobRun[]> {
  const rows = conn.statement(
    `SELECT jobs.id AS job_id, job_runs.* FROM job_runs JOIN jobs ON jobs.seq = job_runs.job_seq
     WHERE jobs.id = ? ORDER BY run`,
  ).all(params.id);
  return Promise.resolve(rows.map((row) => runFromRow(row as Row)));
}

export function jobPurge(
  conn: SqliteConnection,
  params: JobPurgeParams,
): Promise<number> {
  const finals = params.states.filter((state) => FINAL_STATES.includes(state));
  return conn.write(() =>
    Number(
      conn.statement(
        `DELETE FROM jobs WHERE state IN (SELECT value FROM json_each(?)) AND finished_at < ?`,
      ).run(JSON.stringify(finals), params.finishedBefore).changes,
    )
  );
}

export async function jobCancel(
  conn: SqliteConnection,
  params: JobCancelParams,
): Promise<JobCancelResult> {
  const result = await conn.write(() => {
    const ids = JSON.stringify(params.ids);
    const canceledRows = conn.statement(
      `UPDATE jobs SET state = 'canceled', finished_at = ?, updated_at = ?,
         last_error = 'Canceled by a user'
       WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('blocked','pending','failed')
       RETURNING seq, id, batch`,
    ).all(params.now, params.now, ids);
    for (const row of canceledRows) {
      cancelDescendants(
        conn,
        { seq: Number(row.seq), id: String(row.id), state: "canceled" },
        params.now,
      );
    }
    const stopping = conn.statement(
      `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, ?), updated_at = ?
       WHERE id IN (SELECT value FROM json_each(?)) AND state = 'processing'
       RETURNING id`,
    ).all(params.now, params.now, ids).map((row) => String(row.id));
    // A batch's job canceled may have settled it, releasing its callback: wake the workers.
    const batch = canceledRows.some((row) => row.batch !== null);
    return { canceled: canceledRows.map((row) => String(row.id)), stopping, batch };
  });
  // Wakes the workers, which look for cancel requests on every wake-up, and claim what the
  // cancel released: the finish hook jobs it added (the trigger of finish_hooks.ts cannot
  // announce) and a settled batch's callback.
  if (result.stopping.length > 0 || result.canceled.length > 0 || result.batch) {
    conn.announceWork();
  }
  return { canceled: result.canceled, stopping: result.stopping };
}

export function jobListCancelRequested(
  conn: SqliteConnection,
  params: JobListCancelRequestedParams,
): Promise<JobLease[]> {
  const rows = conn.statement(
    `SELECT id, lease_token FROM jobs
     WHERE lease_owner = ? AND state = 'processing' AND cancel_requested_at IS NOT NULL`,
  ).all(params.workerId);
  return Promise.resolve(
    rows.map((row) => ({ id: String(row.id), leaseToken: Number(row.lease_token) })),
  );
}
