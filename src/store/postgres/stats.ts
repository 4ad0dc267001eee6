/** Aggregates over the run history, for the dashboard and /metrics. */
import type { Histogram, RunBucket, RunStatsParams, RunTotals, RunTotalsParams } from "../store.ts";
import type { PgConnection, PgRow } from "./connection.ts";

export async function runStats(
  conn: PgConnection,
  params: RunStatsParams,
): Promise<RunBucket[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT (finished_at - ${params.since}::bigint) / ${params.bucketMs}::bigint AS bucket,
        outcome, count(*) AS n
      FROM job_runs WHERE finished_at >= ${params.since}::bigint
      GROUP BY bucket, outcome ORDER BY bucket, outcome`
  );
  return rows.map((row) => ({
    start: params.since + Number(row.bucket) * params.bucketMs,
    outcome: String(row.outcome),
    count: Number(row.n),
  }));
}

export async function runTotals(
  conn: PgConnection,
  params: RunTotalsParams,
): Promise<RunTotals> {
  const duration = "(finished_at - started_at)";
  const wait = "greatest(0, started_at - due_at)";
  // Bounds are numbers the caller chose, never user input: safe to write into the SQL.
  const under = (expression: string, bounds: number[]) =>
    bounds.map((bound, i) => `, count(*) FILTER (WHERE ${expression} <= ${Number(bound)}) AS b${i}`)
      .join("");
  const [outcomes, [durations], [waits]] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT outcome, count(*) AS n FROM job_runs GROUP BY outcome ORDER BY outcome`,
      sql.unsafe(
        `SELECT count(*) AS n, coalesce(sum(${duration}), 0) AS total
           ${under(duration, params.durationBoundsMs)}
         FROM job_runs`,
      ),
      sql.unsafe(
        `SELECT count(*) AS n, coalesce(sum(${wait}), 0) AS total
           ${under(wait, params.waitBoundsMs)}
         FROM job_runs WHERE due_at IS NOT NULL`,
      ),
    ])
  );
  return {
    byOutcome: Object.fromEntries(outcomes.map((row) => [String(row.outcome), Number(row.n)])),
    duration: histogram(durations, params.durationBoundsMs.length),
    wait: histogram(waits, params.waitBoundsMs.length),
  };
}

/** The histogram in a row of `n`, `total` and `b0`, `b1`, …. */
function histogram(row: PgRow, buckets: number): Histogram {
  return {
    count: Number(row.n ?? 0),
    sumMs: Number(row.total ?? 0),
    buckets: Array.from({ length: buckets }, (_, i) => Number(row[`b${i}`] ?? 0)),
  };
}
