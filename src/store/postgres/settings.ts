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
import type { PgConnection } from "./connection.ts";
import { withRecentStarts } from "./queue_limits.ts";

export async function configOverrides(conn: PgConnection): Promise<Record<string, string>> {
  const rows = await conn.run((sql) => sql`SELECT key, value FROM config ORDER BY key`);
  return Object.fromEntries(rows.map((row) => [String(row.key), String(row.value)]));
}

export async function configSet(
  conn: PgConnection,
  params: ConfigSetParams,
): Promise<void> {
  await conn.run((sql) =>
    sql`INSERT INTO config (key, value) VALUES (${params.key}, ${params.value})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`
  );
}

export async function configUnset(conn: PgConnection, params: ConfigUnsetParams): Promise<boolean> {
  const result = await conn.run((sql) => sql`DELETE FROM config WHERE key = ${params.key}`);
  return result.count === 1;
}

export async function queueSetConcurrency(
  conn: PgConnection,
  params: QueueSetConcurrencyParams,
): Promise<void> {
  await conn.transaction(async (sql) => {
    await sql`
      INSERT INTO queues (name, concurrency) VALUES (${params.name}, ${params.concurrency})
      ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency`;
    // A raised limit may let waiting jobs run now.
    await sql`SELECT pg_notify(${conn.channel}, '')`;
  });
}

export async function queueList(conn: PgConnection): Promise<QueueInfo[]> {
  const [queues, counts] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT * FROM queues ORDER BY name`,
      sql`SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state`,
    ])
  );
  return withRecentStarts(
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
  );
}

export async function queueSettings(conn: PgConnection): Promise<QueueSettings[]> {
  const rows = await conn.run((sql) => sql`SELECT * FROM queues ORDER BY name`);
  return withRecentStarts(conn, rows.map(queueFromRow));
}

export async function queueSetPaused(
  conn: PgConnection,
  params: QueueSetPausedParams,
): Promise<void> {
  if (params.pausedAt === null) {
    await conn.transaction(async (sql) => {
      await sql`UPDATE queues SET paused_at = NULL, paused_until = NULL
        WHERE name = ${params.name}`;
      // A resume lets its waiting jobs run now.
      await sql`SELECT pg_notify(${conn.channel}, '')`;
    });
    return;
  }
  await conn.run((sql) =>
    sql`INSERT INTO queues (name, paused_at, paused_until)
      VALUES (${params.name}, ${params.pausedAt}::bigint, ${params.pausedUntil}::bigint)
      ON CONFLICT (name) DO UPDATE
        SET paused_at = excluded.paused_at, paused_until = excluded.paused_until`
  );
}

export async function queueSetRetry(
  conn: PgConnection,
  params: QueueSetRetryParams,
): Promise<void> {
  await conn.run((sql) =>
    sql`INSERT INTO queues (name, retry_on, no_retry_on)
      VALUES (${params.name}, ${exitCodesToColumn(params.retryOn)},
        ${exitCodesToColumn(params.noRetryOn)})
      ON CONFLICT (name) DO UPDATE
        SET retry_on = excluded.retry_on, no_retry_on = excluded.no_retry_on`
  );
}
