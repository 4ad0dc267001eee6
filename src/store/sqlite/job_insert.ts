/** Adding jobs: batches of multi-row INSERTs in one transaction. */
import type { SQLInputValue } from "node:sqlite";
import { ConflictError, errorMessage } from "../../errors.ts";
import type { Job } from "../../job.ts";
import { type NewJob, newJobRow } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** Rows per INSERT statement in a batch (12 values each, far below SQLite's variable limit). */
const INSERT_ROWS = 100;

export async function jobInsert(
  conn: SqliteConnection,
  params: { jobs: NewJob[]; now: number },
): Promise<Job[]> {
  await conn.write(() => {
    for (let start = 0; start < params.jobs.length; start += INSERT_ROWS) {
      insertRows(conn, params.jobs.slice(start, start + INSERT_ROWS), params.now);
    }
    const addQueue = conn.statement("INSERT OR IGNORE INTO queues (name) VALUES (?)");
    for (const queue of new Set(params.jobs.map((job) => job.queue))) addQueue.run(queue);
  });
  conn.announceWork();
  return params.jobs.map((job) => newJobRow(job, params.now));
}

function insertRows(conn: SqliteConnection, jobs: NewJob[], now: number): void {
  const row = "(?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  const insert = conn.statement(
    `INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, priority,
       queue, backoff_base, cwd, env, created_at, updated_at)
     VALUES ${Array(jobs.length).fill(row).join(", ")}`,
  );
  const values: SQLInputValue[] = [];
  for (const job of jobs) {
    values.push(
      job.id,
      job.command,
      job.maxRetries,
      job.timeoutSeconds,
      job.runAt,
      job.priority,
      job.queue,
      job.backoffBase,
      job.cwd,
      job.env ? JSON.stringify(job.env) : null,
      now,
      now,
    );
  }
  try {
    insert.run(...values);
  } catch (error) {
    if (!/UNIQUE constraint failed: jobs\.id/.test(errorMessage(error))) throw error;
    throw new ConflictError(
      `Cannot enqueue job "${duplicateId(conn, jobs)}": a job with that id exists`,
    );
  }
}

function duplicateId(conn: SqliteConnection, jobs: NewJob[]): string {
  const stored = conn.statement("SELECT 1 FROM jobs WHERE id = ?");
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.id) || stored.get(job.id)) return job.id;
    seen.add(job.id);
  }
  return jobs[0].id;
}
