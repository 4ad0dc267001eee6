/**
 * Adding jobs: unique keys resolved first, then the rows (sent as one JSON document per chunk,
 * which PostgreSQL unpacks far faster than thousands of bound parameters), then dependencies,
 * all in one transaction that also wakes the workers.
 *
 * Across hosts: parents are read `FOR SHARE`, so a parent finishing at the same moment either
 * finishes first (and the child is added pending) or waits for this transaction (and then sees
 * the child it must release). Two hosts adding the same unique key at once meet at the unique
 * index: the loser runs again and finds the winner's job (with `replace` or `debounce`, holders
 * are locked first: see unique_policy.ts).
 *
 * @module
 */
import { ConflictError, NotFoundError } from "../../errors.ts";
import type { Job, JobState } from "../../job.ts";
import {
  insertResults,
  needsUniquePolicy,
  newJobColumns,
  planUniqueKeys,
  uniqueKeysOf,
} from "../insert_plan.ts";
import type { JobInsertParams, JobInsertResult, NewBatch, NewJob } from "../store.ts";
import { batchNames, countBatchJobs, openBatches } from "./batches.ts";
import {
  type PgConnection,
  textArray,
  type TransactionSql,
  uniqueViolation,
} from "./connection.ts";
import { jobFromRow } from "./rows.ts";
import {
  applyUniquePolicies,
  cancelReplacedHolders,
  HolderMovedError,
  lockedHolders,
} from "./unique_policy.ts";

/** Rows per INSERT statement: bounds the JSON document of a large batch. */
const INSERT_ROWS = 20_000;

export async function jobInsert(
  conn: PgConnection,
  params: JobInsertParams,
): Promise<JobInsertResult[]> {
  for (let attempt = 1;; attempt++) {
    try {
      return await conn.transaction((sql) =>
        insertInTransaction(sql, conn.channel, params.jobs, params.now, params.batch)
      );
    } catch (error) {
      const constraint = uniqueViolation(error);
      // Another host took a unique key between our look and our insert (or, with a policy,
      // changed its holder): look again.
      if (constraint === "jobs_unique_key" && attempt < 5) continue;
      if (error instanceof HolderMovedError && attempt < 5) continue;
      if (constraint === "jobs_id_key") throw await duplicateIdError(conn, params.jobs);
      throw error;
    }
  }
}

/** The whole insert, for callers already in a transaction (a schedule firing). */
export async function insertInTransaction(
  sql: TransactionSql,
  channel: string,
  jobs: NewJob[],
  now: number,
  batch?: NewBatch,
): Promise<JobInsertResult[]> {
  const keys = uniqueKeysOf(jobs);
  // Holders are locked only for a batch that may change them: `keep` reads, as it always did.
  const holders = keys.length === 0
    ? undefined
    : needsUniquePolicy(jobs)
    ? await lockedHolders(sql, keys)
    : await storedHolders(sql, keys);
  const plan = holders ? planUniqueKeys(jobs, holders, now) : undefined;
  let toAdd = plan?.toAdd ?? jobs;
  if (plan) await cancelReplacedHolders(sql, plan, now);
  const blocked = await blockedJobs(sql, toAdd);
  // Batches: the callbacks of a new one are added with it, blocked until it settles.
  const joined = batchNames(toAdd).length > 0;
  if (joined) {
    const callbacks = await openBatches(sql, toAdd, batch, now);
    for (const callback of callbacks) blocked.add(callback.id);
    if (callbacks.length > 0) toAdd = [...toAdd, ...callbacks];
  }
  for (let start = 0; start < toAdd.length; start += INSERT_ROWS) {
    await insertRows(sql, toAdd.slice(start, start + INSERT_ROWS), now, blocked);
  }
  if (plan) await applyUniquePolicies(sql, plan);
  await insertDependencies(sql, toAdd);
  if (joined) await countBatchJobs(sql, toAdd);
  const queues = [...new Set(toAdd.map((job) => job.queue))];
  if (queues.length > 0) {
    await sql`INSERT INTO queues (name) SELECT unnest(${
      textArray(queues)
    }::text[]) ON CONFLICT DO NOTHING`;
  }
  if (toAdd.length > 0) await sql`SELECT pg_notify(${channel}, '')`;
  return insertResults(jobs, plan, now, blocked);
}

/** The unfinished jobs that hold any of `keys`, by key. */
async function storedHolders(sql: TransactionSql, keys: string[]): Promise<Map<string, Job>> {
  const rows = await sql`
    SELECT * FROM jobs WHERE unique_key = ANY (${textArray(keys)}::text[])
      AND state IN ('blocked','pending','processing','failed')`;
  return new Map(rows.map((row) => [String(row.unique_key), jobFromRow(row)]));
}

/** The ids of new jobs that must wait: a parent (stored or new) has not completed. */
async function blockedJobs(sql: TransactionSql, jobs: NewJob[]): Promise<Set<string>> {
  const blocked = new Set<string>();
  if (!jobs.some((job) => job.after.length > 0)) return blocked;
  const batch = new Set(jobs.map((job) => job.id));
  const storedParents = [
    ...new Set(jobs.flatMap((job) => job.after.filter((parent) => !batch.has(parent)))),
  ].sort();
  const states = new Map<string, JobState>();
  if (storedParents.length > 0) {
    // FOR SHARE: a parent's finish waits for this transaction, or this waits for the finish.
    const rows = await sql`
      SELECT id, state FROM jobs WHERE id = ANY (${
      textArray(storedParents)
    }::text[]) ORDER BY id FOR SHARE`;
    for (const row of rows) states.set(String(row.id), row.state as JobState);
  }
  for (const job of jobs) {
    for (const parent of job.after) {
      if (batch.has(parent)) {
        blocked.add(job.id);
        continue;
      }
      const state = states.get(parent);
      if (state === undefined) {
        throw new NotFoundError(
          `Cannot enqueue job "${job.id}": its parent "${parent}" does not exist`,
        );
      }
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

/** One INSERT of many rows, unpacked from a JSON array of arrays on the server. */
async function insertRows(
  sql: TransactionSql,
  jobs: NewJob[],
  now: number,
  blocked: Set<string>,
): Promise<void> {
  const rows = jobs.map((job) => newJobColumns(job, blocked.has(job.id)));
  await sql`
    INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, priority, queue,
      backoff_base, cwd, env, unique_key, shell, retry_on, no_retry_on, on_finish, on_finish_when,
      batch, group_key, unique_policy, debounce_max_ms, created_at, updated_at)
    SELECT r->>0, r->>1, r->>2, (r->>3)::integer, (r->>4)::double precision, (r->>5)::bigint,
      (r->>6)::integer, r->>7, (r->>8)::double precision, r->>9, r->>10, r->>11, r->>12,
      r->>13, r->>14, r->>15, r->>16, r->>17, r->>18, r->>19, (r->>20)::bigint, ${now}::bigint,
      ${now}::bigint
    -- jsonb, not json: json's ->> parses the row's array again at every column (21 of them).
    FROM jsonb_array_elements(${JSON.stringify(rows)}::text::jsonb) WITH ORDINALITY AS t (r, n)
    ORDER BY n`;
}

async function insertDependencies(sql: TransactionSql, jobs: NewJob[]): Promise<void> {
  const children: string[] = [];
  const parents: string[] = [];
  for (const job of jobs) {
    for (const parent of job.after) {
      children.push(job.id);
      parents.push(parent);
    }
  }
  if (children.length === 0) return;
  await sql`
    INSERT INTO job_dependencies (child_seq, parent_seq)
    SELECT c.seq, p.seq
    FROM unnest(${textArray(children)}::text[], ${
    textArray(parents)
  }::text[]) AS link (child, parent)
    JOIN jobs c ON c.id = link.child JOIN jobs p ON p.id = link.parent
    ON CONFLICT DO NOTHING`;
}

/** The error for a batch that repeats an id: the first job whose id is stored or came before. */
export async function duplicateIdError(conn: PgConnection, jobs: NewJob[]): Promise<ConflictError> {
  const ids = jobs.map((job) => job.id);
  const rows = await conn.run((sql) =>
    sql`SELECT id FROM jobs WHERE id = ANY (${textArray(ids)}::text[])`
  );
  const stored = new Set(rows.map((row) => String(row.id)));
  const seen = new Set<string>();
  let duplicate = ids[0];
  for (const id of ids) {
    if (seen.has(id) || stored.has(id)) {
      duplicate = id;
      break;
    }
    seen.add(id);
  }
  return new ConflictError(`Cannot enqueue job "${duplicate}": a job with that id exists`);
}
