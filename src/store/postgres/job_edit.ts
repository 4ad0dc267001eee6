/** Re-running finished jobs (`jobRetryFinished`) and changing waiting ones (`jobEdit`). */
import { ConflictError, NotFoundError } from "../../errors.ts";
import { FINAL_STATES, type Job, type JobState } from "../../job.ts";
import type { JobEditParams, JobRetryFinishedParams } from "../store.ts";
import { type PgConnection, textArray, uniqueViolation } from "./connection.ts";
import { jobFromRow } from "./rows.ts";

/** The states `jobEdit` changes: the job waits, and no worker holds it. */
const EDITABLE_STATES: readonly JobState[] = ["pending", "failed", "blocked"];

export async function jobRetryFinished(
  conn: PgConnection,
  params: JobRetryFinishedParams,
): Promise<string[]> {
  const ids = textArray(params.ids);
  for (let attempt = 1;; attempt++) {
    try {
      return await conn.transaction(async (sql) => {
        const rows = await sql`
          SELECT seq, id, state, unique_key FROM jobs WHERE id = ANY (${ids}::text[])
          ORDER BY seq DESC FOR NO KEY UPDATE`;
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
        const [stuck] = await sql`
          SELECT c.id AS child, p.id AS parent, p.state AS state
          FROM job_dependencies d JOIN jobs c ON c.seq = d.child_seq
            JOIN jobs p ON p.seq = d.parent_seq
          WHERE c.id = ANY (${ids}::text[]) AND p.state IN ('dead','canceled')
            AND NOT p.id = ANY (${ids}::text[])
          ORDER BY c.seq, p.seq LIMIT 1`;
        if (stuck) {
          throw new ConflictError(
            `Cannot retry job "${stuck.child}": job "${stuck.parent}", which it waits on, is ${stuck.state} (retry both together)`,
          );
        }
        const seqs: number[] = [];
        const retried: string[] = [];
        // Newest first: of several jobs sharing a unique key, the newest comes back and holds it.
        for (const row of rows) {
          if (row.unique_key !== null) {
            const [taken] = await sql`
              SELECT 1 FROM jobs WHERE unique_key = ${row.unique_key as string}
                AND state IN ('blocked','pending','processing','failed')`;
            if (taken) continue;
          }
          await sql`
            UPDATE jobs SET state = 'pending', attempts = 0, run_at = ${params.now}::bigint,
              updated_at = ${params.now}::bigint, finished_at = NULL, cancel_requested_at = NULL
            WHERE seq = ${row.seq as number}::bigint`;
          seqs.push(Number(row.seq));
          retried.push(String(row.id));
        }
        if (seqs.length === 0) return [];
        // After all of them moved, so a parent retried in the same call counts as not completed.
        await sql`
          UPDATE jobs SET state = 'blocked'
          WHERE seq = ANY (${textArray(seqs.map(String))}::bigint[]) AND EXISTS (
            SELECT 1 FROM job_dependencies d JOIN jobs p ON p.seq = d.parent_seq
            WHERE d.child_seq = jobs.seq AND p.state <> 'completed')`;
        await sql`SELECT pg_notify(${conn.channel}, '')`;
        return retried.reverse();
      });
    } catch (error) {
      // An enqueue on another host took one of the keys meanwhile: look again.
      if (uniqueViolation(error) === "jobs_unique_key" && attempt < 5) continue;
      throw error;
    }
  }
}

export async function jobEdit(conn: PgConnection, params: JobEditParams): Promise<Job> {
  return await conn.transaction(async (sql) => {
    const [row] = await sql`SELECT * FROM jobs WHERE id = ${params.id} FOR NO KEY UPDATE`;
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
    const [changed] = await sql`
      UPDATE jobs SET command = coalesce(${params.command ?? null}::text, command),
        env = coalesce(${env}::text, env),
        priority = coalesce(${params.priority ?? null}::integer, priority),
        run_at = coalesce(${params.runAt ?? null}::bigint, run_at),
        updated_at = ${params.now}::bigint
      WHERE seq = ${row.seq as number}::bigint RETURNING *`;
    // A run time moved earlier, a higher priority: a worker waiting for the old time looks again.
    await sql`SELECT pg_notify(${conn.channel}, '')`;
    return jobFromRow(changed);
  });
}
