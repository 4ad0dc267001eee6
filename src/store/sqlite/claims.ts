/** A job's life under a lease: claim, process, finish, renew, rescue. */
import { decideFinish } from "../../finish_rules.ts";
import type { Job } from "../../job.ts";
import type {
  JobClaimParams,
  JobFinish,
  JobFinishAndClaimParams,
  JobFinishAndClaimResult,
  JobLease,
  JobListRescuableParams,
  JobNextRunAtParams,
  JobSetProcessParams,
  LeaseExtendParams,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { settleChildren } from "./dependencies.ts";
import { rateLimitedNextStart } from "./queue_limits.ts";
import { jobFromRow, numberOrNull, type Row } from "./rows.ts";

export function jobClaim(
  conn: SqliteConnection,
  params: JobClaimParams,
): Promise<Job | undefined> {
  return conn.write(() => claimIn(conn, params));
}

/** The claim, inside the caller's write transaction. */
function claimIn(conn: SqliteConnection, params: JobClaimParams): Job | undefined {
  // Per open queue (served, not paused, below its limit and its rate), its best due job by
  // the index; then the best of those. A pause is two columns of the queue row read here
  // anyway; one whose paused_until has passed is over (no timer clears it). A rate counts
  // the queue's recorded starts in the window; a group limit passes over the jobs of full
  // groups (so they block no other group), checked only in queues that have one. Queues
  // without these limits pay one NULL test each. O(queues × log jobs), however many jobs
  // wait in full queues (plus, with a group limit, the jobs of full groups ahead).
  const row = conn.statement(
    `WITH open_queues AS (
       SELECT name, group_concurrency FROM queues q
       WHERE (? IS NULL OR name IN (SELECT value FROM json_each(?)))
         AND (paused_at IS NULL OR paused_until <= ?)
         AND (concurrency IS NULL OR concurrency >
              (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing'))
         AND (rate_limit IS NULL OR rate_limit >
              (SELECT count(*) FROM queue_starts s
               WHERE s.queue = q.name AND s.started_at > ? - q.rate_period_ms))
     ), heads AS (
       SELECT (SELECT seq FROM jobs j
               WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= ?
                 AND (o.group_concurrency IS NULL OR j.group_key IS NULL OR
                      o.group_concurrency > (SELECT count(*) FROM jobs g
                        WHERE g.queue = j.queue AND g.group_key = j.group_key
                          AND g.state = 'processing'))
               ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1) AS seq
       FROM open_queues o
     )
     UPDATE jobs SET state = 'processing', attempts = attempts + 1,
       lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?,
       started_at = ?, finished_at = NULL, updated_at = ?, pgid = NULL, pgid_start_time = NULL
     WHERE seq = (SELECT j.seq FROM heads h JOIN jobs j ON j.seq = h.seq
                  ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1)
     RETURNING *, (SELECT rate_period_ms FROM queues
                   WHERE name = jobs.queue AND rate_limit IS NOT NULL) AS queue_rate_period`,
  ).get(
    params.queues ? 1 : null,
    JSON.stringify(params.queues ?? []),
    params.now,
    params.now,
    params.now,
    params.workerId,
    params.now + params.leaseMs,
    params.now,
    params.now,
  );
  if (!row) return undefined;
  if (row.queue_rate_period !== null) {
    // A rate-limited queue: record this start, in this transaction, and forget those that
    // left the window (so the table holds about one window's starts per such queue).
    conn.statement("INSERT INTO queue_starts (queue, started_at) VALUES (?, ?)")
      .run(row.queue, params.now);
    conn.statement("DELETE FROM queue_starts WHERE queue = ? AND started_at <= ?")
      .run(row.queue, params.now - Number(row.queue_rate_period));
  }
  return jobFromRow(row as Row);
}

export function jobNextRunAt(
  conn: SqliteConnection,
  params: JobNextRunAtParams,
): Promise<number | undefined> {
  // Given `now`, rate-limited queues apart: their jobs may be due and still wait for the window.
  const row = conn.statement(
    `SELECT min(run_at) AS next FROM jobs WHERE state IN ('pending','failed')
       AND (? IS NULL OR queue IN (SELECT value FROM json_each(?)))
       AND (? IS NULL OR queue NOT IN (SELECT name FROM queues WHERE rate_limit IS NOT NULL))`,
  ).get(params.queues ? 1 : null, JSON.stringify(params.queues ?? []), params.now ?? null);
  const next = numberOrNull(row?.next) ?? undefined;
  if (params.now === undefined) return Promise.resolve(next);
  const limited = rateLimitedNextStart(conn, params.queues, params.now);
  if (limited === undefined) return Promise.resolve(next);
  return Promise.resolve(next === undefined ? limited : Math.min(next, limited));
}

export function jobSetProcess(
  conn: SqliteConnection,
  params: JobSetProcessParams,
): Promise<boolean> {
  return conn.write(() =>
    conn.statement(
      `UPDATE jobs SET pgid = ?, pgid_start_time = ?
       WHERE id = ? AND state = 'processing' AND lease_token = ?`,
    ).run(params.pgid, params.pgidStartTime, params.id, params.leaseToken).changes === 1
  );
}

export async function jobFinish(conn: SqliteConnection, params: JobFinish): Promise<boolean> {
  checkFinish(params);
  const finished = await conn.write(() => finishIn(conn, params));
  // A place in a limited queue (or in a group of it) came free, or children became pending: wake every process.
  if (finished?.wakeWorkers) conn.announceWork();
  return finished !== undefined;
}

export async function jobFinishAndClaim(
  conn: SqliteConnection,
  params: JobFinishAndClaimParams,
): Promise<JobFinishAndClaimResult> {
  checkFinish(params.finish);
  // One BEGIN IMMEDIATE for both: the claim sees what the finish freed or released, and a
  // rejected finish claims nothing.
  const result = await conn.write(() => {
    const finished = finishIn(conn, params.finish);
    if (!finished) return undefined;
    return { ...finished, next: claimIn(conn, params.claim) };
  });
  // As after jobFinish: other processes may take what the finish freed.
  if (result?.wakeWorkers) conn.announceWork();
  return result ? { recorded: true, next: result.next } : { recorded: false };
}

function checkFinish(params: JobFinish): void {
  if ((params.state as string) === "processing") {
    throw new Error("jobFinish() cannot move a job to processing");
  }
}

/** The fenced finish, inside the caller's write transaction; undefined when fenced off. */
function finishIn(
  conn: SqliteConnection,
  params: JobFinish,
): { wakeWorkers: boolean } | undefined {
  // Read, decide (finish_rules.ts) and write inside the one write transaction: nothing can
  // set a cancel request in between.
  const held = conn.statement(
    `SELECT seq, attempts, lease_owner, started_at, run_at, cancel_requested_at, batch,
       (SELECT coalesce(concurrency, group_concurrency) FROM queues WHERE name = jobs.queue)
         AS queue_limit
     FROM jobs
     WHERE id = ? AND state = 'processing' AND lease_token = ?
       AND (? IS NULL OR lease_expires_at < ?)`,
  ).get(
    params.id,
    params.leaseToken,
    params.leaseExpiredBefore ?? null,
    params.leaseExpiredBefore ?? null,
  );
  if (!held) return undefined;
  const write = decideFinish({ cancelRequested: held.cancel_requested_at !== null }, params);
  conn.statement(
    `UPDATE jobs SET state = ?, run_at = coalesce(?, run_at), exit_code = ?,
       last_error = ?, attempts = ?, finished_at = ?, updated_at = ?,
       cancel_requested_at = CASE WHEN ? THEN cancel_requested_at END,
       lease_owner = NULL, lease_expires_at = NULL, pgid = NULL, pgid_start_time = NULL
     WHERE seq = ?`,
  ).run(
    write.state,
    params.runAt ?? null,
    params.exitCode,
    write.lastError,
    Number(held.attempts) - (write.refundAttempt ? 1 : 0),
    write.finishedAt,
    params.now,
    write.keepCancelRequest ? 1 : 0,
    held.seq,
  );
  conn.statement("DELETE FROM job_output WHERE job_seq = ? AND run = ?")
    .run(held.seq, params.leaseToken);
  conn.statement(
    `INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
       exit_code, error, stdout, stderr, stdout_bytes, stderr_bytes, due_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    held.seq,
    params.leaseToken,
    Number(held.attempts),
    held.lease_owner,
    held.started_at ?? params.now,
    params.now,
    write.outcome,
    params.exitCode,
    params.error,
    params.stdout,
    params.stderr,
    params.stdoutBytes,
    params.stderrBytes,
    held.run_at,
  );
  const { released } = settleChildren(
    conn,
    { seq: Number(held.seq), id: params.id, state: write.state },
    params.now,
  );
  // A batch's job: the triggers may have settled the batch just now and released its callback.
  const settled = held.batch !== null && conn.statement(
        "SELECT 1 FROM batches WHERE name = ? AND settled_at = ?",
      ).get(held.batch, params.now) !== undefined;
  return { wakeWorkers: held.queue_limit !== null || released > 0 || settled };
}

export function leaseExtend(
  conn: SqliteConnection,
  params: LeaseExtendParams,
): Promise<JobLease[]> {
  return conn.write(() =>
    conn.statement(
      `UPDATE jobs SET lease_expires_at = ?
       WHERE lease_owner = ? AND state = 'processing' RETURNING id, lease_token`,
    ).all(params.now + params.leaseMs, params.workerId).map((row) => ({
      id: String(row.id),
      leaseToken: Number(row.lease_token),
    }))
  );
}

export function jobListRescuable(
  conn: SqliteConnection,
  params: JobListRescuableParams,
): Promise<Job[]> {
  const rows = conn.statement(
    `SELECT * FROM jobs WHERE state = 'processing'
       AND (lease_expires_at < ? OR lease_owner IN (SELECT value FROM json_each(?)))
     ORDER BY seq`,
  ).all(params.now, JSON.stringify(params.owners));
  return Promise.resolve(rows.map((row) => jobFromRow(row as Row)));
}
