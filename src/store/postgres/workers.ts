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
import { type PgConnection, textArray } from "./connection.ts";
import { workerFromRow } from "./rows.ts";

export async function workerRegister(conn: PgConnection, params: WorkerProcess): Promise<void> {
  await conn.run((sql) =>
    sql`INSERT INTO workers
        (id, host, pid, pid_start_time, concurrency, started_at, heartbeat_at, stop_requested)
      VALUES (${params.id}, ${params.host}, ${params.pid}, ${params.pidStartTime},
        ${params.concurrency}, ${params.startedAt}::bigint, ${params.heartbeatAt}::bigint,
        ${params.stopRequested})
      ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
        pid_start_time = excluded.pid_start_time, concurrency = excluded.concurrency,
        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
        stop_requested = excluded.stop_requested`
  );
}

export async function workerHeartbeat(
  conn: PgConnection,
  params: WorkerHeartbeatParams,
): Promise<WorkerHeartbeatResult | undefined> {
  const [row] = await conn.run((sql) =>
    sql`UPDATE workers SET heartbeat_at = ${params.now}::bigint WHERE id = ${params.id}
      RETURNING stop_requested`
  );
  return row ? { stopRequested: (row.stop_requested ?? null) as StopMode | null } : undefined;
}

export async function workerList(conn: PgConnection): Promise<WorkerProcessWithJobs[]> {
  const [jobs, workers] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT lease_owner, id FROM jobs WHERE state = 'processing' ORDER BY seq`,
      sql`SELECT * FROM workers ORDER BY started_at, id`,
    ])
  );
  return workers.map((row) => ({
    ...workerFromRow(row),
    jobIds: jobs.filter((job) => job.lease_owner === row.id).map((job) => String(job.id)),
  }));
}

export async function workerRequestStop(
  conn: PgConnection,
  params: WorkerRequestStopParams,
): Promise<string[]> {
  const rows = await conn.run((sql) =>
    sql`UPDATE workers
      SET stop_requested = CASE WHEN stop_requested = 'now' THEN 'now' ELSE ${params.mode} END
      WHERE id = ANY (${textArray(params.ids)}::text[]) RETURNING id`
  );
  return rows.map((row) => String(row.id));
}

export async function workerDeregister(
  conn: PgConnection,
  params: WorkerDeregisterParams,
): Promise<void> {
  await conn.run((sql) => sql`DELETE FROM workers WHERE id = ${params.id}`);
}
