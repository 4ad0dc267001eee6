/**
 * Applying a batch's unique-key policies (`replace`, `debounce`) to stored holders, inside the
 * insert's transaction.
 *
 * Across hosts: when a batch asks for `replace` or `debounce`, its holders are read
 * `FOR NO KEY UPDATE` (in key order, so two batches never wait on each other in a circle). A
 * second enqueuer of the same key waits for the first to commit, then reads the holder as the
 * first left it: pushed (and pushes it again), or canceled by a replace (then it sees no holder,
 * its insert meets the first one's new job at the unique index, and the insert runs again and
 * replaces that one). A worker's claim skips a locked holder (`SKIP LOCKED`), and a holder
 * claimed first is read as running, which no policy touches. So at most one unfinished job
 * holds a key, as the partial unique index `jobs_unique_key` guarantees in the end.
 *
 * @module
 */
import type { Job } from "../../job.ts";
import type { InsertPlan } from "../insert_plan.ts";
import { textArray, type TransactionSql } from "./connection.ts";
import { jobFromRow } from "./rows.ts";

/** The unfinished jobs that hold any of `keys`, by key, locked until the transaction ends. */
export async function lockedHolders(
  sql: TransactionSql,
  keys: string[],
): Promise<Map<string, Job>> {
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
    await sql`
      UPDATE jobs SET state = 'canceled', finished_at = ${now}, updated_at = ${now},
        last_error = ${`Replaced by job "${by}"`}
      WHERE id = ${holder.id} AND state IN ('blocked','pending','failed')`;
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
    await sql`
      UPDATE jobs SET run_at = ${job.runAt}, command = ${job.command},
        env = ${job.env ? JSON.stringify(job.env) : null}, cwd = ${job.cwd},
        shell = ${job.shell}, updated_at = ${job.updatedAt}
      WHERE id = ${job.id} AND state IN ('blocked','pending','failed')`;
  }
}
