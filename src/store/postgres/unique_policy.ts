/**
 * Applying a batch's unique-key policies (`replace`, `debounce`) to stored holders, inside the
 * insert's transaction.
 *
 * Across hosts: a batch that asks for `replace` or `debounce` first takes a transaction-level
 * advisory lock per key (in key order, so two batches never wait on each other in a circle):
 * enqueuers with a policy for one key go one after the other, each reading the holder the one
 * before left (a replace's new job, a debounce's pushed one). Without it, a replacer that read
 * the holder just canceled would find no holder, meet the new one at the unique index, and run
 * again, as often as other replacers beat it (seen: five times in a row with four at once). Its
 * holders are then read `FOR NO KEY UPDATE`: a worker's claim skips a locked holder
 * (`SKIP LOCKED`), and a holder claimed first is read as running, which no policy touches. An
 * enqueuer with `keep` takes no lock; if it adds a job between a replacer's look and its insert,
 * the partial unique index `jobs_unique_key` stops the second holder and the insert runs again.
 *
 * @module
 */
import type { Job } from "../../job.ts";
import type { InsertPlan } from "../insert_plan.ts";
import { textArray, type TransactionSql } from "./connection.ts";
import { jobFromRow } from "./rows.ts";

/**
 * Thrown when a holder the plan changes was no longer waiting (never expected, as holders are
 * locked): the insert runs again, from a fresh look at the holders.
 */
export class HolderMovedError extends Error {
  constructor(id: string) {
    super(`Job "${id}" was no longer waiting when its unique key was resolved`);
  }
}

/** The first key of the advisory locks on unique keys ("uniq"), apart from any other user's. */
const ADVISORY_CLASS = 0x756e6971;

/**
 * The unfinished jobs that hold any of `keys`, by key, locked (with the keys themselves) until
 * the transaction ends.
 */
export async function lockedHolders(
  sql: TransactionSql,
  keys: string[],
): Promise<Map<string, Job>> {
  // Advisory locks are database-wide: equal keys of two schemas (or a hash collision) share one,
  // which only makes them wait for each other.
  await sql`
    SELECT pg_advisory_xact_lock(${ADVISORY_CLASS}, hashtext(key))
    FROM unnest(${textArray([...keys].sort())}::text[]) AS key ORDER BY key`;
  // A fresh statement, so a fresh snapshot: it sees what the lock's last holder committed.
  const rows = await sql`
    SELECT * FROM jobs WHERE unique_key = ANY (${textArray(keys)}::text[])
      AND state IN ('blocked','pending','processing','failed')
    ORDER BY unique_key
    FOR NO KEY UPDATE`;
  return new Map(rows.map((row) => [String(row.unique_key), jobFromRow(row)]));
}

/** Cancels the holders `replace` takes the key from: before the insert, which needs the key. */
export async function cancelReplacedHolders(
  sql: TransactionSql,
  plan: InsertPlan,
  now: number,
): Promise<void> {
  for (const { holder, by } of plan.replaced) {
    const canceled = await sql`
      UPDATE jobs SET state = 'canceled', finished_at = ${now}, updated_at = ${now},
        last_error = ${`Replaced by job "${by}"`}
      WHERE id = ${holder.id} AND state IN ('blocked','pending','failed')`;
    if (canceled.count !== 1) throw new HolderMovedError(holder.id);
  }
}

/**
 * After the insert: the children of a replaced holder wait on the job that replaced it (which
 * is not completed either, so they stay blocked), and debounced holders take their new values.
 */
export async function applyUniquePolicies(sql: TransactionSql, plan: InsertPlan): Promise<void> {
  for (const { holder, by } of plan.replaced) {
    await sql`
      UPDATE job_dependencies d SET parent_seq = n.seq
      FROM jobs n, jobs o
      WHERE n.id = ${by} AND o.id = ${holder.id} AND d.parent_seq = o.seq
        AND NOT EXISTS (SELECT 1 FROM job_dependencies e
                        WHERE e.child_seq = d.child_seq AND e.parent_seq = n.seq)`;
  }
  for (const job of plan.debounced) {
    const pushed = await sql`
      UPDATE jobs SET run_at = ${job.runAt}, command = ${job.command},
        env = ${job.env ? JSON.stringify(job.env) : null}, cwd = ${job.cwd},
        shell = ${job.shell}, updated_at = ${job.updatedAt}
      WHERE id = ${job.id} AND state IN ('blocked','pending','failed')`;
    if (pushed.count !== 1) throw new HolderMovedError(job.id);
  }
}
