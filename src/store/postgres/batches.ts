/**
 * Batches: joining one when jobs are added (`openBatches`, `countBatchJobs`, inside the insert's
 * transaction), and reading them (`batchList`, `batchGet`). Settling is `batch_job_moved()`'s,
 * the trigger of migration 6: it sees every move of a batch's job, whichever path makes it.
 *
 * Across hosts: the batch row is created with `ON CONFLICT DO NOTHING` (two enqueues creating one
 * batch at once: the second waits for the first and then joins it) and read `FOR UPDATE`, so an
 * enqueue and the settle of the same batch are serialized on its row: the enqueue either joins
 * the batch before it settles or finds it settled and is refused.
 *
 * @module
 */
import { ConflictError } from "../../errors.ts";
import { batchFromRows, batchSettledError, callbacksDiffer } from "../batch_rows.ts";
import type { BatchGetParams, BatchInfo, NewBatch, NewJob } from "../store.ts";
import type { PgConnection, TransactionSql } from "./connection.ts";

/**
 * Creates the batches `jobs` join that do not exist yet (with `spec`'s callbacks, returned to be
 * inserted blocked), and refuses, throwing, a settled batch or other callbacks than stored.
 */
export async function openBatches(
  sql: TransactionSql,
  jobs: NewJob[],
  spec: NewBatch | undefined,
  now: number,
): Promise<NewJob[]> {
  const callbacks: NewJob[] = [];
  // In name order, so two enqueues into the same batches lock their rows in one order.
  for (const name of batchNames(jobs).sort()) {
    const given = spec?.name === name ? spec : undefined;
    const [created] = await sql`
      INSERT INTO batches (name, created_at, on_complete, on_complete_job, on_failure,
        on_failure_job)
      VALUES (${name}, ${now}::bigint, ${given?.onComplete?.command ?? null},
        ${given?.onComplete?.id ?? null}, ${given?.onFailure?.command ?? null},
        ${given?.onFailure?.id ?? null})
      ON CONFLICT (name) DO NOTHING RETURNING name`;
    if (created) {
      if (given?.onComplete) callbacks.push(given.onComplete);
      if (given?.onFailure) callbacks.push(given.onFailure);
      continue;
    }
    const [stored] = await sql`SELECT * FROM batches WHERE name = ${name} FOR UPDATE`;
    if (stored.settled_at !== null) throw batchSettledError(name, stored);
    const differ = given && callbacksDiffer(given, stored);
    if (differ) throw new ConflictError(differ);
  }
  return callbacks;
}

/** Counts the added jobs of each batch as open (they are blocked or pending). */
export async function countBatchJobs(sql: TransactionSql, jobs: NewJob[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const job of jobs) {
    if (job.batch) counts.set(job.batch, (counts.get(job.batch) ?? 0) + 1);
  }
  for (const [name, count] of counts) {
    await sql`UPDATE batches SET open_jobs = open_jobs + ${count} WHERE name = ${name}`;
  }
}

/** The distinct batches of `jobs`, in order. */
export function batchNames(jobs: NewJob[]): string[] {
  const names = new Set<string>();
  for (const job of jobs) if (job.batch) names.add(job.batch);
  return [...names];
}

export async function batchList(conn: PgConnection): Promise<BatchInfo[]> {
  const [batches, counts] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT b.*,
          (SELECT state FROM jobs WHERE id = b.on_complete_job) AS on_complete_state,
          (SELECT state FROM jobs WHERE id = b.on_failure_job) AS on_failure_state
        FROM batches b ORDER BY created_at DESC, name`,
      sql`SELECT batch, state, count(*) AS n, min(started_at) AS first_started,
          max(finished_at) AS last_finished
        FROM jobs WHERE batch IS NOT NULL GROUP BY batch, state`,
    ])
  );
  return batchFromRows(batches, counts);
}

export async function batchGet(
  conn: PgConnection,
  params: BatchGetParams,
): Promise<BatchInfo | undefined> {
  const [batches, counts] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT b.*,
          (SELECT state FROM jobs WHERE id = b.on_complete_job) AS on_complete_state,
          (SELECT state FROM jobs WHERE id = b.on_failure_job) AS on_failure_state
        FROM batches b WHERE name = ${params.name}`,
      sql`SELECT batch, state, count(*) AS n, min(started_at) AS first_started,
          max(finished_at) AS last_finished
        FROM jobs WHERE batch = ${params.name} GROUP BY batch, state`,
    ])
  );
  return batches.length === 0 ? undefined : batchFromRows(batches, counts)[0];
}
