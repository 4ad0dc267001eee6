/** Rate limits and per-group limits of queues: setting them, and what readers need of them. */
import { queueNextStart, storedRate } from "../../queue_limits.ts";
import type {
  JobGroupRunningParams,
  QueueSetGroupConcurrencyParams,
  QueueSetRateParams,
  QueueSettings,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

export async function queueSetRate(
  conn: SqliteConnection,
  params: QueueSetRateParams,
): Promise<void> {
  await conn.write(() => {
    conn.statement(
      `INSERT INTO queues (name, rate_limit, rate_period_ms) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE
         SET rate_limit = excluded.rate_limit, rate_period_ms = excluded.rate_period_ms`,
    ).run(params.name, params.rate?.limit ?? null, params.rate?.periodMs ?? null);
    // Starts recorded under another rate (or none) would count against the new one.
    conn.statement("DELETE FROM queue_starts WHERE queue = ?").run(params.name);
  });
  // A removed or raised rate may let waiting jobs run now.
  conn.announceWork();
}

export async function queueSetGroupConcurrency(
  conn: SqliteConnection,
  params: QueueSetGroupConcurrencyParams,
): Promise<void> {
  await conn.write(() => {
    conn.statement(
      `INSERT INTO queues (name, group_concurrency) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET group_concurrency = excluded.group_concurrency`,
    ).run(params.name, params.groupConcurrency);
  });
  conn.announceWork();
}

export function jobGroupRunning(
  conn: SqliteConnection,
  params: JobGroupRunningParams,
): Promise<number> {
  const row = conn.statement(
    `SELECT count(*) AS n FROM jobs
     WHERE queue = ? AND group_key = ? AND state = 'processing'`,
  ).get(params.queue, params.groupKey);
  return Promise.resolve(Number(row?.n ?? 0));
}

/** `queues` with the recent starts of those that have a rate limit (one read of a small table). */
export function withRecentStarts<Q extends QueueSettings>(
  conn: SqliteConnection,
  queues: Q[],
): Q[] {
  if (!queues.some((queue) => queue.rateLimit !== null)) return queues;
  const rows = conn.statement(
    `SELECT s.queue, s.started_at FROM queue_starts s JOIN queues q ON q.name = s.queue
     WHERE q.rate_limit IS NOT NULL ORDER BY s.queue, s.started_at`,
  ).all();
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
export function rateLimitedNextStart(
  conn: SqliteConnection,
  queues: string[] | undefined,
  now: number,
): number | undefined {
  const rows = conn.statement(
    `SELECT q.name, q.rate_limit, q.rate_period_ms,
       (SELECT min(run_at) FROM jobs j
        WHERE j.queue = q.name AND j.state IN ('pending','failed')) AS next,
       (SELECT json_group_array(started_at) FROM queue_starts s
        WHERE s.queue = q.name AND s.started_at > ? - q.rate_period_ms) AS starts
     FROM queues q
     WHERE q.rate_limit IS NOT NULL AND (? IS NULL OR q.name IN (SELECT value FROM json_each(?)))`,
  ).all(now, queues ? 1 : null, JSON.stringify(queues ?? []));
  let earliest: number | undefined;
  for (const row of rows) {
    const rate = storedRate(Number(row.rate_limit), Number(row.rate_period_ms));
    if (rate === null || rate === "invalid" || row.next === null) continue;
    const next = queueNextStart({
      nextRunAt: Number(row.next),
      starts: JSON.parse(String(row.starts)) as number[],
      rate,
      now,
    });
    if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
  }
  return earliest;
}
