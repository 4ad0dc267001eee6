/**
 * Batches: joining one when jobs are added (`openBatches`, `countBatchJobs`, inside the insert's
 * transaction), and reading them (`batchList`, `batchGet`). Settling is the triggers' of
 * migration 6: they see every move of a batch's job, whichever path makes it.
 *
 * @module
 */
import { ConflictError } from "../../errors.ts";
import type { BatchGetParams, BatchInfo, NewBatch, NewJob } from "../store.ts";
import { batchFromRows, batchSettledError, callbacksDiffer } from "../batch_rows.ts";
import type { SqliteConnection } from "./connection.ts";
import type { Row } from "./rows.ts";

/**
 * Creates the batches `jobs` join that do not exist yet (with `spec`'s callbacks, returned to be
 * inserted blocked), and refuses, throwing, a settled batch or other callbacks than stored.
 */
export function openBatches(
  conn: SqliteConnection,
  jobs: NewJob[],
  spec: NewBatch | undefined,
  now: number,
): NewJob[] {
  const callbacks: NewJob[] = [];
  for (const name of batchNames(jobs)) {
    const given = spec?.name === name ? spec : undefined;
    const stored = conn.statement("SELECT * FROM batches WHERE name = ?").get(name) as
      | Row
      | undefined;
    if (stored) {
      if (stored.settled_at !== null) throw batchSettledError(name, stored);
      const differ = given && callbacksDiffer(given, stored);
      if (differ) throw new ConflictError(differ);
      continue;
    }
    conn.statement(
      `INSERT INTO batches (name, created_at, on_complete, on_complete_job, on_failure,
         on_failure_job) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(
      name,
      now,
      given?.onComplete?.command ?? null,
      given?.onComplete?.id ?? null,
      given?.onFailure?.command ?? null,
      given?.onFailure?.id ?? null,
    );
    if (given?.onComplete) callbacks.push(given.onComplete);
    if (given?.onFailure) callbacks.push(given.onFailure);
  }
  return callbacks;
}

/** Counts the added jobs of each batch as open (they are blocked or pending). */
export function countBatchJobs(conn: SqliteConnection, jobs: NewJob[]): void {
  const counts = new Map<string, number>();
  for (const job of jobs) {
    if (job.batch) counts.set(job.batch, (counts.get(job.batch) ?? 0) + 1);
  }
  const add = conn.statement("UPDATE batches SET open_jobs = open_jobs + ? WHERE name = ?");
  for (const [name, count] of counts) add.run(count, name);
}

/** The distinct batches of `jobs`, in order. */
export function batchNames(jobs: NewJob[]): string[] {
  const names = new Set<string>();
  for (const job of jobs) if (job.batch) names.add(job.batch);
  return [...names];
}

const BATCH_COLUMNS = `b.*,
  (SELECT state FROM jobs WHERE id = b.on_complete_job) AS on_complete_state,
  (SELECT state FROM jobs WHERE id = b.on_failure_job) AS on_failure_state`;

const COUNT_COLUMNS = `batch, state, count(*) AS n, min(started_at) AS first_started,
  max(finished_at) AS last_finished`;

export function batchList(conn: SqliteConnection): Promise<BatchInfo[]> {
  const batches = conn.statement(
    `SELECT ${BATCH_COLUMNS} FROM batches b ORDER BY created_at DESC, name`,
  ).all();
  const counts = conn.statement(
    `SELECT ${COUNT_COLUMNS} FROM jobs WHERE batch IS NOT NULL GROUP BY batch, state`,
  ).all();
  return Promise.resolve(batchFromRows(batches, counts));
}

export function batchGet(
  conn: SqliteConnection,
  params: BatchGetParams,
): Promise<BatchInfo | undefined> {
  const batch = conn.statement(`SELECT ${BATCH_COLUMNS} FROM batches b WHERE name = ?`)
    .get(params.name);
  if (!batch) return Promise.resolve(undefined);
  const counts = conn.statement(
    `SELECT ${COUNT_COLUMNS} FROM jobs WHERE batch = ? GROUP BY batch, state`,
  ).all(params.name);
  return Promise.resolve(batchFromRows([batch], counts)[0]);
}
