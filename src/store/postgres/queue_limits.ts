/** Rate limits and per-group limits of queues: setting them, and what readers need of them. */
import { queueNextStart, storedRate } from "../../queue_limits.ts";
import type {
  JobGroupRunningParams,
  QueueSetGroupConcurrencyParams,
  QueueSetRateParams,
  QueueSettings,
} from "../store.ts";
import { type PgConnection, textArray } from "./connection.ts";

export async function queueSetRate(conn: PgConnection, params: QueueSetRateParams): Promise<void> {
  await conn.transaction(async (sql) => {
    await sql`
      INSERT INTO queues (name, rate_limit, rate_period_ms)
      VALUES (${params.name}, ${params.rate?.limit ?? null}, ${params.rate?.periodMs ?? null})
      ON CONFLICT (name) DO UPDATE
        SET rate_limit = excluded.rate_limit, rate_period_ms = excluded.rate_period_ms`;
    // Starts recorded under another rate (or none) would count against the new one.
    await sql`DELETE FROM queue_starts WHERE queue = ${params.name}`;
    // A removed or raised rate may let waiting jobs run now.
    await sql`SELECT pg_notify(${conn.channel}, '')`;
  });
}

export async function queueSetGroupConcurrency(
  conn: PgConnection,
  params: QueueSetGroupConcurrencyParams,
): Promise<void> {
  await conn.transaction(async (sql) => {
    await sql`
      INSERT INTO queues (name, group_concurrency) VALUES (${params.name}, ${params.groupConcurrency})
      ON CONFLICT (name) DO UPDATE SET group_concurrency = excluded.group_concurrency`;
    await sql`SELECT pg_notify(${conn.channel}, '')`;
  });
}

export async function jobGroupRunning(
  conn: PgConnection,
  params: JobGroupRunningParams,
): Promise<number> {
  const [row] = await conn.run((sql) =>
    sql`SELECT count(*) AS n FROM jobs
      WHERE queue = ${params.queue} AND group_key = ${params.groupKey} AND state = 'processing'`
  );
  return Number(row?.n ?? 0);
}

/** `queues` with the recent starts of those that have a rate limit (one read of a small table). */
export async function withRecentStarts<Q extends QueueSettings>(
  conn: PgConnection,
  queues: Q[],
): Promise<Q[]> {
  if (!queues.some((queue) => queue.rateLimit !== null)) return queues;
  const rows = await conn.run((sql) =>
    sql`SELECT s.queue, s.started_at FROM queue_starts s JOIN queues q ON q.name = s.queue
      WHERE q.rate_limit IS NOT NULL ORDER BY s.queue, s.started_at`
  );
  for (const queue of queues) {
    queue.recentStarts = rows.filter((row) => row.queue === queue.name).map((row) =>
      Number(row.started_at)
    );
  }
  return queues;
}

/**
 * For `jobNextRunAt`: the earliest time a job of a rate-limited queue among `queues` may start
 * (its due time or its window's end, see `queueNextStart`), or undefined.
 */
export async function rateLimitedNextStart(
  conn: PgConnection,
  queues: string[] | undefined,
  now: number,
): Promise<number | undefined> {
  const rows = await conn.run((sql) =>
    sql`SELECT q.name, q.rate_limit, q.rate_period_ms,
        (SELECT min(run_at) FROM jobs j
         WHERE j.queue = q.name AND j.state IN ('pending','failed')) AS next,
        (SELECT coalesce(json_agg(started_at), '[]')::text FROM queue_starts s
         WHERE s.queue = q.name AND s.started_at > ${now}::bigint - q.rate_period_ms) AS starts
      FROM queues q
      WHERE q.rate_limit IS NOT NULL AND (${textArray(queues ?? null)}::text[] IS NULL
        OR q.name = ANY (${textArray(queues ?? null)}::text[]))`
  );
  let earliest: number | undefined;
  for (const row of rows) {
    const rate = storedRate(Number(row.rate_limit), Number(row.rate_period_ms));
    if (rate === null || rate === "invalid" || row.next === null) continue;
    const next = queueNextStart({
      nextRunAt: Number(row.next),
      starts: (JSON.parse(String(row.starts)) as unknown[]).map(Number),
      rate,
      now,
    });
    if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
  }
  return earliest;
}
