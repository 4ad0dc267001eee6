/**
 * A job's place in the dependency graph (`jobDependencies`), and what a job's end means for the
 * jobs waiting on it (`settleChildren`, called inside the transaction that ends the parent, so a
 * child is never left blocked on a finished parent, nor run after a failed one).
 *
 * @module
 */
import type { JobDependencies, JobDependenciesParams } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** Children of `parentSeq` whose parents have all completed become pending; returns how many. */
export function releaseChildren(conn: SqliteConnection, parentSeq: number, now: number): number {
  return Number(
    conn.statement(
      `UPDATE jobs SET state = 'pending', updated_at = ?
       WHERE state = 'blocked'
         AND seq IN (SELECT child_seq FROM job_dependencies WHERE parent_seq = ?)
         AND NOT EXISTS (
           SELECT 1 FROM job_dependencies d JOIN jobs p ON p.seq = d.parent_seq
           WHERE d.child_seq = jobs.seq AND p.state <> 'completed')`,
    ).run(now, parentSeq).changes,
  );
}

/** Every job waiting on `parentSeq`, directly or not, becomes canceled naming the parent. */
export function cancelDescendants(
  conn: SqliteConnection,
  parent: { seq: number; id: string; state: string },
  now: number,
): number {
  return Number(
    conn.statement(
      `WITH RECURSIVE waiting (seq) AS (
         SELECT child_seq FROM job_dependencies WHERE parent_seq = ?
         UNION
         SELECT d.child_seq FROM job_dependencies d JOIN waiting w ON d.parent_seq = w.seq)
       UPDATE jobs SET state = 'canceled', finished_at = ?, updated_at = ?, last_error = ?
       WHERE state = 'blocked' AND seq IN (SELECT seq FROM waiting)`,
    ).run(
      parent.seq,
      now,
      now,
      `Canceled: job "${parent.id}", which it waited on (directly or not), ended ${parent.state}`,
    ).changes,
  );
}

/** After a job reached `state`: releases or cancels the jobs waiting on it. */
export function settleChildren(
  conn: SqliteConnection,
  parent: { seq: number; id: string; state: string },
  now: number,
): { released: number } {
  if (parent.state === "completed") return { released: releaseChildren(conn, parent.seq, now) };
  if (parent.state === "dead" || parent.state === "canceled") cancelDescendants(conn, parent, now);
  return { released: 0 };
}

export function jobDependencies(
  conn: SqliteConnection,
  params: JobDependenciesParams,
): Promise<JobDependencies> {
  const parents = conn.statement(
    `SELECT p.id, p.state FROM jobs c JOIN job_dependencies d ON d.child_seq = c.seq
       JOIN jobs p ON p.seq = d.parent_seq
     WHERE c.id = ? ORDER BY p.seq`,
  ).all(params.id);
  const children = conn.statement(
    `SELECT c.id, c.state FROM jobs p JOIN job_dependencies d ON d.parent_seq = p.seq
       JOIN jobs c ON c.seq = d.child_seq
     WHERE p.id = ? ORDER BY c.seq`,
  ).all(params.id);
  const shape = (row: Record<string, unknown>) => ({
    id: String(row.id),
    state: row.state as JobDependencies["parents"][number]["state"],
  });
  return Promise.resolve({ parents: parents.map(shape), children: children.map(shape) });
}
