/** Aggregates over the run history, for the dashboard and /metrics. */
import type { Histogram, RunBucket, RunStatsParams, RunTotals, RunTotalsParams } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

export function runStats(
  conn: SqliteConnection,
  params: RunStatsParams,
): Promise<RunBucket[]> {
  const rows = conn.statement(
    // node:sqlite binds numbers as REAL: cast, so that the division is a whole-number one.
    `SELECT (finished_at - CAST(?1 AS INTEGER)) / CAST(?2 AS INTEGER) AS bucket, outcome,
       count(*) AS n
     FROM job_runs WHERE finished_at >= ?1 GROUP BY bucket, outcome ORDER BY bucket, outcome`,
  ).all(params.since, params.bucketMs);
  return Promise.resolve(rows.map((row) => ({
    start: params.since + Number(row.bucket) * params.bucketMs,
    outcome: String(row.outcome),
    count: Number(row.n),
  })));
}

export function runTotals(
  conn: SqliteConnection,
  params: RunTotalsParams,
): Promise<RunTotals> {
  const outcomes = conn.statement(
    "SELECT outcome, count(*) AS n FROM job_runs GROUP BY outcome ORDER BY outcome",
  ).all();
  const duration = "(finished_at - started_at)";
  const wait = "max(0, started_at - due_at)";
  // Bounds are numbers the caller chose, never user input: safe to write into the SQL.
  const under = (expression: string, bounds: number[]) =>
    bounds.map((bound, i) => `sum(${expression} <= ${Number(bound)}) AS b${i}`).join(", ");
  const durations = conn.statement(
    `SELECT count(*) AS n, coalesce(sum(${duration}), 0) AS total
       ${params.durationBoundsMs.length ? ", " + under(duration, params.durationBoundsMs) : ""}
     FROM job_runs`,
  ).all()[0] as Record<string, unknown>;
  const waits = conn.statement(
    `SELECT count(*) AS n, coalesce(sum(${wait}), 0) AS total
       ${params.waitBoundsMs.length ? ", " + under(wait, params.waitBoundsMs) : ""}
     FROM job_runs WHERE due_at IS NOT NULL`,
  ).all()[0] as Record<string, unknown>;
  return Promise.resolve({
    byOutcome: Object.fromEntries(outcomes.map((row) => [String(row.outcome), Number(row.n)])),
    duration: histogram(durations, params.durationBoundsMs.length),
    wait: histogram(waits, params.waitBoundsMs.length),
  });
}

/** The histogram in a row of `n`, `total` and `b0`, `b1`, …. */
function histogram(row: Record<string, unknown>, buckets: number): Histogram {
  return {
    count: Number(row.n ?? 0),
    sumMs: Number(row.total ?? 0),
    buckets: Array.from({ length: buckets }, (_, i) => Number(row[`b${i}`] ?? 0)),
  };
}
