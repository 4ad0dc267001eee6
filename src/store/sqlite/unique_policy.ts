/**
 * Applying a batch's unique-key policies (`replace`, `debounce`) to stored holders, inside the
 * insert's transaction. SQLite has one writer at a time, so the holders read at the start of
 * the transaction are still the holders here.
 *
 * @module
 */
import type { InsertPlan } from "../insert_plan.ts";
import type { SqliteConnection } from "./connection.ts";

/** The waiting states a policy acts on; a running holder is never touched. */
const WAITING = "('blocked','pending','failed')";

/** Cancels the holders `replace` takes the key from: before the insert, which needs the key. */
export function cancelReplacedHolders(conn: SqliteConnection, plan: InsertPlan, now: number) {
  if (plan.replaced.length === 0) return;
  const cancel = conn.statement(
    `UPDATE jobs SET state = 'canceled', finished_at = ?, updated_at = ?, last_error = ?
     WHERE id = ? AND state IN ${WAITING}`,
  );
  for (const { holder, by } of plan.replaced) {
    cancel.run(now, now, `Replaced by job "${by}"`, holder.id);
  }
}

/**
 * After the insert: the children of a replaced holder wait on the job that replaced it (which
 * is not completed either, so they stay blocked), and debounced holders take their new values.
 */
export function applyUniquePolicies(conn: SqliteConnection, plan: InsertPlan): void {
  if (plan.replaced.length > 0) {
    const move = conn.statement(
      `UPDATE OR IGNORE job_dependencies
       SET parent_seq = (SELECT seq FROM jobs WHERE id = ?)
       WHERE parent_seq = (SELECT seq FROM jobs WHERE id = ?)`,
    );
    for (const { holder, by } of plan.replaced) move.run(by, holder.id);
  }
  if (plan.debounced.length === 0) return;
  const push = conn.statement(
    `UPDATE jobs SET run_at = ?, command = ?, env = ?, cwd = ?, shell = ?, updated_at = ?
     WHERE id = ? AND state IN ${WAITING}`,
  );
  for (const job of plan.debounced) {
    push.run(
      job.runAt,
      job.command,
      job.env ? JSON.stringify(job.env) : null,
      job.cwd,
      job.shell,
      job.updatedAt,
      job.id,
    );
  }
}
