/**
 * Adding jobs: unique keys resolved first, then multi-row INSERTs, then dependencies, all in
 * one transaction.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import { ConflictError, errorMessage, NotFoundError } from "../../errors.ts";
import type { Job, JobState } from "../../job.ts";
import {
  insertResults,
  JOB_COLUMN_COUNT,
  planUniqueKeys,
  putJobColumns,
  uniqueKeysOf,
} from "../insert_plan.ts";
import type { JobInsertParams, JobInsertResult, NewBatch, NewJob } from "../store.ts";
import { countBatchJobs, openBatches } from "./batches.ts";
import type { SqliteConnection } from "./connection.ts";
import { jobFromRow, type Row } from "./rows.ts";
import { applyUniquePolicies, cancelReplacedHolders } from "./unique_policy.ts";

/** Rows per INSERT statement in a batch (23 values each: 11500 of SQLite's 32766 variables). */
const INSERT_ROWS = 500;

/** Values per row: the job's columns, then created_at and updated_at. */
const ROW_VALUES = JOB_COLUMN_COUNT + 2;

/** The INSERT of `rows` rows, by row count (a batch needs two: 500 rows and its last chunk). */
const insertSqls = new Map<number, string>();

function insertSql(rows: number): string {
  let sql = insertSqls.get(rows);
  if (sql === undefined) {
    const row = `(${Array(ROW_VALUES).fill("?").join(", ")})`;
    sql = `INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, priority,
       queue, backoff_base, cwd, env, unique_key, shell, retry_on, no_retry_on, on_finish,
       on_finish_when, batch, group_key, unique_policy, debounce_max_ms, created_at, updated_at)
     VALUES ${Array(rows).fill(row).join(", ")}`;
    insertSqls.set(rows, sql);
  }
  return sql;
}

/** The states a job holds its unique key in. */
const UNFINISHED = "('blocked','pending','processing','failed')";

export async function jobInsert(
  conn: SqliteConnection,
  params: JobInsertParams,
): Promise<JobInsertResult[]> {
  const results = await conn.write(() =>
    insertInTransaction(conn, params.jobs, params.now, params.batch)
  );
  conn.announceWork();
  return results;
}

/** The whole insert, for callers already in a transaction (a schedule firing). */
export function insertInTransaction(
  conn: SqliteConnection,
  jobs: NewJob[],
  now: number,
  batch?: NewBatch,
): JobInsertResult[] {
  const keys = uniqueKeysOf(jobs);
  const plan = keys.length > 0 ? planUniqueKeys(jobs, storedHolders(conn, keys), now) : undefined;
  let toAdd = plan?.toAdd ?? jobs;
  if (plan) cancelReplacedHolders(conn, plan, now);
  // One look at the jobs says which of the steps below a batch needs (most need none).
  let waits = false;
  let joined = false;
  for (const job of toAdd) {
    if (job.after.length > 0) waits = true;
    if (job.batch) joined = true;
  }
  const blocked = waits ? blockedJobs(conn, toAdd) : new Set<string>();
  // Batches: the callbacks of a new one are added with it, blocked until it settles.
  if (joined) {
    const callbacks = openBatches(conn, toAdd, batch, now);
    for (const callback of callbacks) blocked.add(callback.id);
    if (callbacks.length > 0) toAdd = [...toAdd, ...callbacks];
  }
  for (let start = 0; start < toAdd.length; start += INSERT_ROWS) {
    insertRows(conn, toAdd.slice(start, start + INSERT_ROWS), now, blocked);
  }
  if (plan) applyUniquePolicies(conn, plan);
  if (waits) insertDependencies(conn, toAdd);
  if (joined) countBatchJobs(conn, toAdd);
  const addQueue = conn.statement("INSERT OR IGNORE INTO queues (name) VALUES (?)");
  for (const queue of new Set(toAdd.map((job) => job.queue))) addQueue.run(queue);
  return insertResults(jobs, plan, now, blocked);
}

/** The unfinished jobs that hold any of `keys`, by key. */
function storedHolders(conn: SqliteConnection, keys: string[]): Map<string, Job> {
  const holder = conn.statement(
    `SELECT * FROM jobs WHERE unique_key = ? AND state IN ${UNFINISHED}`,
  );
  const holders = new Map<string, Job>();
  for (const key of keys) {
    const row = holder.get(key) as Row | undefined;
    if (row) holders.set(key, jobFromRow(row));
  }
  return holders;
}

/** The ids of new jobs that must wait: a parent (stored or new) has not completed. */
function blockedJobs(conn: SqliteConnection, jobs: NewJob[]): Set<string> {
  const blocked = new Set<string>();
  if (!jobs.some((job) => job.after.length > 0)) return blocked;
  const batch = new Set(jobs.map((job) => job.id));
  const stateOf = conn.statement("SELECT state FROM jobs WHERE id = ?");
  for (const job of jobs) {
    for (const parent of job.after) {
      if (batch.has(parent)) {
        blocked.add(job.id);
        continue;
      }
      const row = stateOf.get(parent);
      if (!row) {
        throw new NotFoundError(
          `Cannot enqueue job "${job.id}": its parent "${parent}" does not exist`,
        );
      }
      const state = row.state as JobState;
      if (state === "dead" || state === "canceled") {
        throw new ConflictError(
          `Cannot enqueue job "${job.id}": its parent "${parent}" is ${state}, so it could never run`,
        );
      }
      if (state !== "completed") blocked.add(job.id);
    }
  }
  return blocked;
}

/**
 * One multi-row INSERT (a batch runs ~2× faster than row by row) without RETURNING (which
 * makes it ~6× slower; the new rows are known: `newJobRow`).
 */
function insertRows(conn: SqliteConnection, jobs: NewJob[], now: number, blocked: Set<string>) {
  const insert = conn.statement(insertSql(jobs.length));
  // One array for the whole statement, filled in place: no array per row.
  const values: unknown[] = new Array(jobs.length * ROW_VALUES);
  let at = 0;
  for (const job of jobs) {
    at = putJobColumns(values, at, job, blocked.size > 0 && blocked.has(job.id));
    values[at++] = now;
    values[at++] = now;
  }
  try {
    insert.run(...values as SQLInputValue[]);
  } catch (error) {
    if (!/UNIQUE constraint failed: jobs\.id/.test(errorMessage(error))) throw error;
    throw new ConflictError(
      `Cannot enqueue job "${duplicateId(conn, jobs)}": a job with that id exists`,
    );
  }
}

/** The first id of `jobs` that is stored already or repeats an earlier one of `jobs`. */
function duplicateId(conn: SqliteConnection, jobs: NewJob[]): string {
  const stored = conn.statement("SELECT 1 FROM jobs WHERE id = ?");
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.id) || stored.get(job.id)) return job.id;
    seen.add(job.id);
  }
  return jobs[0].id;
}

function insertDependencies(conn: SqliteConnection, jobs: NewJob[]): void {
  const link = conn.statement(
    `INSERT OR IGNORE INTO job_dependencies (child_seq, parent_seq)
     SELECT child.seq, parent.seq FROM jobs child, jobs parent
     WHERE child.id = ? AND parent.id = ?`,
  );
  for (const job of jobs) {
    for (const parent of job.after) link.run(job.id, parent);
  }
}
