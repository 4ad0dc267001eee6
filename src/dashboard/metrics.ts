/**
 * `/metrics` in the Prometheus text format (version 0.0.4): jobs by state and queue, runs by
 * outcome, run durations and queue waits as histograms, worker processes alive. Everything is
 * read from the store at scrape time, so every dashboard of one database reports the same
 * numbers. The run counters count the run history as stored: a purge lowers them, which
 * Prometheus reads as a counter reset.
 *
 * @module
 */
import { stateCounts } from "../json_contract.ts";
import type { Histogram, Store } from "../store/mod.ts";

/** Bucket bounds of both histograms, in seconds. */
export const HISTOGRAM_BOUNDS_SECONDS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
  900,
  3600,
];

/** How a run can end (`JobFinish.outcome`). */
const RUN_OUTCOMES = [
  "completed",
  "failed",
  "timeout",
  "rescued",
  "released",
  "interrupted",
  "canceled",
];

/** The whole exposition. */
export async function metricsText(
  store: Store,
  workersAlive: () => Promise<number>,
): Promise<string> {
  const boundsMs = HISTOGRAM_BOUNDS_SECONDS.map((seconds) => seconds * 1000);
  const [queues, totals, alive] = await Promise.all([
    store.queueList(),
    store.runTotals({ durationBoundsMs: boundsMs, waitBoundsMs: boundsMs }),
    workersAlive(),
  ]);
  const lines: string[] = [];
  lines.push(
    "# HELP queuectl_jobs Jobs in the store, by state and queue.",
    "# TYPE queuectl_jobs gauge",
  );
  for (const queue of queues) {
    // A state no version of queuectl has (a row written by hand) counts as state="invalid".
    for (const [state, count] of Object.entries(stateCounts(queue.counts))) {
      lines.push(`queuectl_jobs{queue="${label(queue.name)}",state="${state}"} ${count}`);
    }
  }
  lines.push(
    "# HELP queuectl_job_runs_total Runs recorded, by how they ended.",
    "# TYPE queuectl_job_runs_total counter",
  );
  // Every known outcome, zero included (so rates work from the first scrape), then any other.
  // Read as own entries: an outcome named "__proto__" or "constructor" is just a name here.
  const byOutcome = new Map(Object.entries(totals.byOutcome));
  const outcomes = new Set([...RUN_OUTCOMES, ...byOutcome.keys()]);
  for (const outcome of outcomes) {
    lines.push(
      `queuectl_job_runs_total{outcome="${label(outcome)}"} ${byOutcome.get(outcome) ?? 0}`,
    );
  }
  lines.push(
    "# HELP queuectl_jobs_processed_total Runs that completed.",
    "# TYPE queuectl_jobs_processed_total counter",
    `queuectl_jobs_processed_total ${byOutcome.get("completed") ?? 0}`,
    "# HELP queuectl_jobs_failed_total Runs that failed or timed out.",
    "# TYPE queuectl_jobs_failed_total counter",
    `queuectl_jobs_failed_total ${
      (byOutcome.get("failed") ?? 0) + (byOutcome.get("timeout") ?? 0)
    }`,
    "# HELP queuectl_jobs_dead Jobs in the dead-letter queue.",
    "# TYPE queuectl_jobs_dead gauge",
    `queuectl_jobs_dead ${queues.reduce((sum, queue) => sum + queue.counts.dead, 0)}`,
  );
  lines.push(
    ...histogram(
      "queuectl_job_duration_seconds",
      "How long runs took, from start to end.",
      totals.duration,
    ),
    ...histogram(
      "queuectl_queue_latency_seconds",
      "How long jobs waited from when they were due (enqueued, delayed or retried) to their start.",
      totals.wait,
    ),
  );
  lines.push(
    "# HELP queuectl_workers_alive Worker processes alive.",
    "# TYPE queuectl_workers_alive gauge",
    `queuectl_workers_alive ${alive}`,
  );
  return lines.join("\n") + "\n";
}

function histogram(name: string, help: string, data: Histogram): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  HISTOGRAM_BOUNDS_SECONDS.forEach((bound, i) => {
    lines.push(`${name}_bucket{le="${bound}"} ${data.buckets[i] ?? 0}`);
  });
  lines.push(
    `${name}_bucket{le="+Inf"} ${data.count}`,
    `${name}_sum ${data.sumMs / 1000}`,
    `${name}_count ${data.count}`,
  );
  return lines;
}

/** A label value escaped as the text format requires. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
