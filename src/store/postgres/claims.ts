/** A job's life under a lease: claim, process, finish, renew, rescue. */
import { finishAlternatives } from "../../finish_rules.ts";
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
import { type PgConnection, type Sql, textArray } from "./connection.ts";
import { rateLimitedNextStart } from "./queue_limits.ts";
import { jobFromRow } from "./rows.ts";

export async function jobClaim(
  conn: PgConnection,
  params: JobClaimParams,
): Promise<Job | undefined> {
  // One round trip: the function locks limited queues, then takes the best due head, and says
  // whether it found a limited queue held by another claim (migration 10).
  return await lookingAgainWhileBusy(params.now, async (now) => {
    const [row] = await conn.run((sql) =>
      sql`SELECT c.busy, (c.next).* FROM claim_next_job(${params.workerId}, ${params.leaseMs}::bigint,
        ${now}::bigint, ${textArray(params.queues ?? null)}::text[]) c`
    );
    return { busy: row?.busy === true, next: claimedJob(row) };
  });
}

/**
 * How long a claim waits before each look again while it finds a limited queue held by another
 * transaction (migration 10's `busy`): such a transaction is one claim or finish, a few ms, and
 * the waits add up to about a quarter of a second. After that the caller goes idle as for no
 * job: a queue held longer than that is held by something else, and a finish there wakes it.
 */
const BUSY_RETRY_DELAYS_MS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128];

/**
 * Runs `attempt` until it claims a job or finds no limited queue busy, waiting
 * `BUSY_RETRY_DELAYS_MS` between tries. Each try is stamped `now` plus the time waited, so a
 * start is recorded when it happened (rate windows count from it).
 */
async function lookingAgainWhileBusy(
  now: number,
  attempt: (now: number) => Promise<{ busy: boolean; next: Job | undefined }>,
): Promise<Job | undefined> {
  const started = performance.now();
  for (let i = 0;; i++) {
    const result = await attempt(now + Math.round(performance.now() - started));
    if (result.next || !result.busy || i === BUSY_RETRY_DELAYS_MS.length) return result.next;
    await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_DELAYS_MS[i]));
  }
}

/** The job of a claim's row (`(next).*`, all NULL when nothing was claimed). */
function claimedJob(row: Record<string, unknown> | undefined): Job | undefined {
  return row && row.id !== null ? jobFromRow(row) : undefined;
}

export async function jobNextRunAt(
  conn: PgConnection,
  params: JobNextRunAtParams,
): Promise<number | undefined> {
  // Given `now`, rate-limited queues apart: their jobs may be due and still wait for the window.
  const [row] = await conn.run((sql) =>
    sql`SELECT min(run_at) AS next FROM jobs WHERE state IN ('pending','failed')
      AND (${textArray(params.queues ?? null)}::text[] IS NULL OR queue = ANY (${
      textArray(params.queues ?? null)
    }::text[]))
      AND (${params.now ?? null}::bigint IS NULL
           OR queue NOT IN (SELECT name FROM queues WHERE rate_limit IS NOT NULL))`
  );
  const next = row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  if (params.now === undefined) return next;
  const limited = await rateLimitedNextStart(conn, params.queues, params.now);
  if (limited === undefined) return next;
  return next === undefined ? limited : Math.min(next, limited);
}

export async function jobSetProcess(
  conn: PgConnection,
  params: JobSetProcessParams,
): Promise<boolean> {
  const result = await conn.run((sql) =>
    sql`UPDATE jobs SET pgid = ${params.pgid}, pgid_start_time = ${params.pgidStartTime}
      WHERE id = ${params.id} AND state = 'processing' AND lease_token = ${params.leaseToken}::bigint`
  );
  return result.count === 1;
}

export async function jobFinish(conn: PgConnection, params: JobFinish): Promise<boolean> {
  // Both possible writes, decided by the rules (finish_rules.ts); finish_job() picks one by the
  // job's cancel request, so the read, the decision and the write take one round trip.
  const [row] = await conn.run((sql) =>
    sql`SELECT recorded FROM finish_job(${finishArguments(sql, conn, params)})`
  );
  return row?.recorded === true;
}

export async function jobFinishAndClaim(
  conn: PgConnection,
  params: JobFinishAndClaimParams,
): Promise<JobFinishAndClaimResult> {
  // finish_claim_next_job() is finish_job() then, if recorded, claim_next_job(), in one round
  // trip; its `next` is NULL (all of its columns NULL) when nothing was claimed.
  const { finish, claim } = params;
  const started = performance.now();
  const [row] = await conn.run((sql) =>
    sql`SELECT f.recorded, f.busy, (f.next).* FROM finish_claim_next_job(${
      finishArguments(sql, conn, finish)
    }, ${claim.workerId}, ${claim.leaseMs}::bigint, ${claim.now}::bigint,
      ${textArray(claim.queues ?? null)}::text[]) f`
  );
  if (row?.recorded !== true) return { recorded: false };
  const next = claimedJob(row);
  if (next || row.busy !== true) return { recorded: true, next };
  // A limited queue was busy: look again, in transactions of their own. The finish is committed
  // whatever happens here, so a failure now must not be reported as the finish's (its caller
  // would send it again and find it fenced off): it comes back as no job, and a claim whose
  // answer was lost is released like any other (UnclaimedLeases).
  try {
    const now = claim.now + Math.round(performance.now() - started);
    return { recorded: true, next: await jobClaim(conn, { ...claim, now }) };
  } catch {
    return { recorded: true, next: undefined };
  }
}

/** finish_job()'s arguments for `params`, as a fragment of the caller's query. */
function finishArguments(sql: Sql, conn: PgConnection, params: JobFinish) {
  const { asProposed, ifCancelRequested: ifCancel } = finishAlternatives(params);
  return sql`${params.id}, ${params.leaseToken}::bigint,
      ${params.now}::bigint, ${params.runAt ?? null}::bigint, ${params.exitCode}::integer,
      ${params.error}, ${params.stdout}::bytea, ${params.stderr}::bytea,
      ${params.stdoutBytes}::bigint, ${params.stderrBytes}::bigint,
      ${params.leaseExpiredBefore ?? null}::bigint, ${conn.channel},
      ROW(${asProposed.state}::text, ${asProposed.lastError}::text, ${asProposed.outcome}::text,
        ${asProposed.refundAttempt}::boolean, ${asProposed.keepCancelRequest}::boolean,
        ${asProposed.finishedAt}::bigint)::finish_write,
      ROW(${ifCancel.state}::text, ${ifCancel.lastError}::text, ${ifCancel.outcome}::text,
        ${ifCancel.refundAttempt}::boolean, ${ifCancel.keepCancelRequest}::boolean,
        ${ifCancel.finishedAt}::bigint)::finish_write`;
}

export async function leaseExtend(
  conn: PgConnection,
  params: LeaseExtendParams,
): Promise<JobLease[]> {
  const rows = await conn.run((sql) =>
    sql`UPDATE jobs SET lease_expires_at = ${params.now + params.leaseMs}::bigint
      WHERE lease_owner = ${params.workerId} AND state = 'processing'
      RETURNING id, lease_token`
  );
  return rows.map((row) => ({ id: String(row.id), leaseToken: Number(row.lease_token) }));
}

export async function jobListRescuable(
  conn: PgConnection,
  params: JobListRescuableParams,
): Promise<Job[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT * FROM jobs WHERE state = 'processing'
      AND (lease_expires_at < ${params.now}::bigint OR lease_owner = ANY (${
      textArray(params.owners)
    }::text[]))
      ORDER BY seq`
  );
  return rows.map(jobFromRow);
}
