/** The registry of worker processes. */
import type {
  StopMode,
  WorkerDeregisterParams,
  WorkerHeartbeatParams,
  WorkerHeartbeatResult,
  WorkerProcess,
  WorkerProcessWithJobs,
  WorkerRequestStopParams,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { type Row, workerFromRow } from "./rows.ts";

export function workerRegister(conn: SqliteConnection, params: WorkerProcess): Promise<void> {
  return conn.write(() => {
    conn.statement(
      `INSERT OR REPLACE INTO workers
         (id, host, pid, pid_start_time, concurrency, started_at, heartbeat_at, stop_requested)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      params.id,
      params.host,
      params.pid,
      params.pidStartTime,
      params.concurrency,
      params.startedAt,
      params.heartbeatAt,
      params.stopRequested,
    );
  });
}

export function workerHeartbeat(
  conn: SqliteConnection,
  params: WorkerHeartbeatParams,
): Promise<WorkerHeartbeatResult | undefined> {
  return conn.write(() => {
    const row = conn.statement(
      "UPDATE workers SET heartbeat_at = ? WHERE id = ? RETURNING stop_requested",
    ).get(params.now, params.id);
    return row ? { stopRequested: (row.stop_requested ?? null) as StopMode | null } : undefined;
  });
}

export function workerList(conn: SqliteConnection): Promise<WorkerProcessWithJobs[]> {
  const jobs = conn.statement(
    "SELECT lease_owner, id FROM jobs WHERE state = 'processing' ORDER BY seq",
  ).all();
  const workers = conn.statement("SELECT * FROM workers ORDER BY started_at, id").all();
  return Promise.resolve(workers.map((row) => ({
    ...workerFromRow(row as Row),
    jobIds: jobs.filter((job) => job.lease_owner === row.id).map((job) => String(job.id)),
  })));
}

export function workerRequestStop(
  conn: SqliteConnection,
  params: WorkerRequestStopParams,
): Promise<string[]> {
  return conn.write(() =>
    conn.statement(
      `UPDATE workers SET stop_requested = CASE WHEN stop_requested = 'now' THEN 'now' ELSE ? END
       WHERE id IN (SELECT value FROM json_each(?)) RETURNING id`,
    ).all(params.mode, JSON.stringify(params.ids)).map((row) => String(row.id))
  );
}

export function workerDeregister(
  conn: SqliteConnection,
  params: WorkerDeregisterParams,
): Promise<void> {
  return conn.write(() => {
    conn.statement("DELETE FROM workers WHERE id = ?").run(params.id);
  });
}
