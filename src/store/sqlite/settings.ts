/** Config overrides and queue limits. */
import { JOB_STATES, type JobState } from "../../job.ts";
import { exitCodesToColumn } from "../../exit_codes.ts";
import { queueFromRow } from "../stored_row.ts";
import type {
  ConfigSetParams,
  ConfigUnsetParams,
  QueueInfo,
  QueueSetConcurrencyParams,
  QueueSetPausedParams,
  QueueSetRetryParams,
  QueueSettings,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { withRecentStarts } from "./queue_limits.ts";

export function configOverrides(conn: SqliteConnection): Promise<Record<string, string>> {
  const rows = conn.statement("SELECT key, value FROM config ORDER BY key").all();
  return Promise.resolve(Object.fromEntries(rows.map((row) => [row.key, String(row.value)])));
}

export function configSet(
  conn: SqliteConnection,
  params: ConfigSetParams,
): Promise<void> {
  return conn.write(() => {
    conn.statement(
      "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(params.key, params.value);
  });
}

export function configUnset(conn: SqliteConnection, params: ConfigUnsetParams): Promise<boolean> {
  return conn.write(() =>
    conn.statement("DELETE FROM config WHERE key = ?").run(params.key).changes === 1
  );
}

export async function queueSetConcurrency(
  conn: SqliteConnection,
  params: QueueSetConcurrencyParams,
): Promise<void> {
  await conn.write(() => {
    conn.statement(
      `INSERT INTO queues (name, concurrency) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency`,
    ).run(params.name, params.concurrency);
  });
  // A raised limit may let waiting jobs run now.
  conn.announceWork();
}

export function queueList(conn: SqliteConnection): Promise<QueueInfo[]> {
  const queues = conn.statement("SELECT * FROM queues ORDER BY name").all();
  const counts = conn.statement(
    "SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state",
  ).all();
  return Promise.resolve(withRecentStarts(
    conn,
    queues.map((queue) => {
      const byState = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
        JobState,
        number
      >;
      for (const row of counts) {
        if (row.queue === queue.name) byState[row.state as JobState] = Number(row.n);
      }
      return { ...queueFromRow(queue), counts: byState };
    }),
  ));
}

export function queueSettings(conn: SqliteConnection): Promise<QueueSettings[]> {
  const rows = conn.statement("SELECT * FROM queues ORDER BY name").all();
  return Promise.resolve(withRecentStarts(conn, rows.map(queueFromRow)));
}

export async function queueSetPaused(
  conn: SqliteConnection,
  params: QueueSetPausedParams,
): Promise<void> {
  await conn.write(() => {
    if (params.pausedAt === null) {
      conn.statement("UPDATE queues SET paused_at = NULL, paused_until = NULL WHERE name = ?")
        .run(params.name);
      return;
    }
    conn.statement(
      `INSERT INTO queues (name, paused_at, paused_until) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE
         SET paused_at = excluded.paused_at, paused_until = excluded.paused_until`,
    ).run(params.name, params.pausedAt, params.pausedUntil);
  });
  // A resume lets its waiting jobs run now.
  if (params.pausedAt === null) conn.announceWork();
}

export async function queueSetRetry(
  conn: SqliteConnection,
  params: QueueSetRetryParams,
): Promise<void> {
  await conn.write(() => {
    conn.statement(
      `INSERT INTO queues (name, retry_on, no_retry_on) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE
         SET retry_on = excluded.retry_on, no_retry_on = excluded.no_retry_on`,
    ).run(params.name, exitCodesToColumn(params.retryOn), exitCodesToColumn(params.noRetryOn));
  });
}
