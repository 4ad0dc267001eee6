/** Re-running finished jobs (`jobRetryFinished`) and changing waiting ones (`jobEdit`). */
import { ConflictError, NotFoundError } from "../../errors.ts";
import { FINAL_STATES, type Job, type JobState } from "../../job.ts";
import type { JobEditParams, JobRetryFinishedParams } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { jobFromRow, type Row } from "./rows.ts";

/** The states `jobEdit` changes: the job waits, and no worker holds it. */
const EDITABLE_STATES: readonly JobState[] = ["pending", "failed", "blocked"];

export async function jobRetryFinished(
  conn: SqliteConnection,
  params: JobRetryFinishedParams,
): Promise<string[]> {
  const retried = await conn.write(() => {
    const ids = JSON.stringify(params.ids);
    const rows = conn.statement(
      `SELECT seq, id, state, unique_key FROM jobs
       WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq DESC`,
    ).all(ids);
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    // Every id checked before anything changes: a bad one changes nothing.
    for (const id of params.ids) {
      const row = byId.get(id);
      if (!row) throw new NotFoundError(`No job with id "${id}"`);
      if (!FINAL_STATES.includes(row.state as JobState)) {
        throw new ConflictError(
          `Cannot retry job "${id}": its state is "${row.state}", not completed, dead or canceled`,
        );
      }
    }
    const stuck = conn.statement(
      `SELECT c.id AS child, p.id AS parent, p.state AS state
       FROM job_dependencies d JOIN jobs c ON c.seq = d.child_seq JOIN jobs p ON p.seq = d.parent_seq
       WHERE c.id IN (SELECT value FROM json_each(?)) AND p.state IN ('dead','canceled')
         AND p.id NOT IN (SELECT value FROM json_each(?))
       ORDER BY c.seq, p.seq LIMIT 1`,
    ).get(ids, ids);
    if (stuck) {
      throw new ConflictError(
        `Cannot retry job "${stuck.child}": job "${stuck.parent}", which it waits on, is ${stuck.state} (retry both together)`,
      );
    }
    const keyTaken = conn.statement(
      "SELECT 1 FROM jobs WHERE unique_key = ? AND state IN ('blocked','pending','processing','failed')",
    );
    const retry = conn.statement(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ?,
         finished_at = NULL, cancel_requested_at = NULL
       WHERE seq = ?`,
    );
    const seqs: number[] = [];
    const retried: string[] = [];
    // Newest first: of several jobs sharing a unique key, the newest comes back and holds it.
    for (const row of rows) {
      if (row.unique_key !== null && keyTaken.get(row.unique_key)) continue;
      retry.run(params.now, params.now, row.seq);
      seqs.push(Number(row.seq));
      retried.push(String(row.id));
    }
    // After all of them moved, so a parent retried in the same call counts as not completed.
    conn.statement(
      `UPDATE jobs SET state = 'blocked'
       WHERE seq IN (SELECT value FROM json_each(?)) AND EXISTS (
         SELECT 1 FROM job_dependencies d JOIN jobs p ON p.seq = d.parent_seq
         WHERE d.child_seq = jobs.seq AND p.state <> 'completed')`,
    ).run(JSON.stringify(seqs));
    return retried.reverse();
  });
  if (retried.length > 0) conn.announceWork();
  return retried;
}

export async function jobEdit(conn: SqliteConnection, params: JobEditParams): Promise<Job> {
  const job = await conn.write(() => {
    const row = conn.statement("SELECT * FROM jobs WHERE id = ?").get(params.id) as
      | Row
      | undefined;
    if (!row) throw new NotFoundError(`No job with id "${params.id}"`);
    const state = String(row.state) as JobState;
    if (!EDITABLE_STATES.includes(state)) {
      throw new ConflictError(
        `Cannot edit job "${params.id}": its state is "${state}", not pending, failed or blocked`,
      );
    }
    const env = params.env === undefined
      ? null
      : JSON.stringify({ ...jobFromRow(row).env, ...params.env });
    return jobFromRow(
      conn.statement(
        `UPDATE jobs SET command = coalesce(?, command), env = coalesce(?, env),
           priority = coalesce(?, priority), run_at = coalesce(?, run_at), updated_at = ?
         WHERE seq = ? RETURNING *`,
      ).get(
        params.command ?? null,
        env,
        params.priority ?? null,
        params.runAt ?? null,
        params.now,
        row.seq as number,
      ) as Row,
    );
  });
  // A run time moved earlier, a higher priority: a worker waiting for the old time looks again.
  conn.announceWork();
  return job;
}
