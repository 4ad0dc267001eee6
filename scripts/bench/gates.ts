/**
 * The bench's CI gates: same-run ratios that `deno task bench` (quick or full) must hold, or it
 * exits 1 naming each one it missed. They are not the targets (those stay in each row, reported
 * MISSED or yes): a gate sits at about half the worst of at least five quick runs on the CI
 * machine (twice the worst, for a ratio where lower is better), so that noise cannot fail CI but
 * a 2× regression does. Each gate keeps the ratios it
 * was set from, newest runs last; when a change makes queuectl faster, measure five runs again
 * and raise the limit.
 *
 * @module
 */
import type { Metric } from "./context.ts";

/** One gate: a metric's same-run ratio must stay on the right side of `limit`. */
export interface Gate {
  /** The benchmark (`--only` name) that records the metric. */
  bench: string;
  /** The metric's key in the results. */
  metric: string;
  /** What the ratio is, for a person. */
  what: string;
  /** `min`: the ratio must be at least `limit` (higher is better); `max`: at most. */
  kind: "min" | "max";
  limit: number;
  /** The ratios of the runs the limit was set from, and where and when they ran. */
  setFrom: { runs: number[]; on: string };
}

/**
 * Two sittings, on the two kinds of 2-core machine CI has run on: one where an exec is cheap
 * (xargs -P4 ran ~1200 true jobs/s), one where it costs ~5 ms of CPU (~250 jobs/s, and busy with
 * other test runs). A gate must hold on both, so each sits at half the worst of all ten runs;
 * the first five (marked) predate the one-exec spawn of session_spawn.ts, which only raised the
 * drain ratios, so they bound the drain floors from below.
 */
const SET_ON = "2026-12-04: 5 × `deno task bench --quick` on an exec-cheap machine (before " +
  "posix_spawn), then 5 on an exec-dear one (after it, and after the one-slot wake-up)";

/** The start-up gate's sitting: one machine, exec-dear, quiet (no other test run). */
const SET_ON_STARTUP = "2026-12-04, later: 5 × `deno task bench --quick` on an exec-dear machine " +
  "(xargs -P4 ~200 jobs/s), before and after enqueue stopped loading the worker's modules";

/** Every gate. */
export const GATES: readonly Gate[] = [
  {
    bench: "drain",
    metric: "drain_sqlite",
    what: "SQLite drain ÷ xargs -P4 (jobs/s, same run)",
    kind: "min",
    limit: 0.17,
    setFrom: { runs: [0.37, 0.37, 0.34, 0.36, 0.36, 0.8, 1.17, 1.16, 1.19, 1.12], on: SET_ON },
  },
  {
    bench: "drain_postgres",
    metric: "drain_postgres",
    what: "PostgreSQL drain ÷ xargs -P4 (jobs/s, same run)",
    kind: "min",
    limit: 0.13,
    setFrom: { runs: [0.27, 0.27, 0.28, 0.27, 0.28, 0.82, 0.88, 0.85, 0.6, 1.12], on: SET_ON },
  },
  {
    bench: "pickup_latency",
    metric: "pickup_latency_sqlite_p50",
    what: "SQLite pickup latency p50 ÷ a bare `sh -c` spawn (same run)",
    kind: "max",
    limit: 8,
    setFrom: { runs: [3.51, 3.53, 3.52, 3.36, 4.02, 3.17, 3.08, 3.49, 3.13, 3.63], on: SET_ON },
  },
  {
    bench: "pickup_latency_postgres",
    metric: "pickup_latency_postgres_p50",
    what: "PostgreSQL pickup latency p50 ÷ a bare `sh -c` spawn (same run)",
    kind: "max",
    limit: 18,
    setFrom: { runs: [5.98, 5.88, 6.32, 6.21, 6.2, 6.89, 6.68, 3.62, 9.15, 7.03], on: SET_ON },
  },
  {
    // A CLI call's start-up: an empty `deno run` is the same run's baseline, so a module graph
    // that grows (a command loading what it does not use) or a slower open shows here.
    bench: "single_enqueue",
    metric: "single_enqueue",
    what: "single enqueue ÷ an empty deno run (wall time, same run)",
    kind: "max",
    limit: 4,
    setFrom: { runs: [2.14, 2.01, 2.02, 1.91, 1.79], on: SET_ON_STARTUP },
  },
  {
    bench: "batch_enqueue",
    metric: "batch_enqueue_vs_node_sqlite",
    what: "batch enqueue --file ÷ a plain node:sqlite insert (jobs/s, same run)",
    kind: "min",
    limit: 0.23,
    setFrom: { runs: [0.63, 0.63, 0.65, 0.66, 0.63, 0.75, 0.46, 0.74, 0.64, 0.73], on: SET_ON },
  },
];

/** A gate's verdict on one run. */
export interface GateResult {
  gate: Gate;
  ratio: number | null;
  passed: boolean;
}

/**
 * Judges the gates of the benchmarks that ran: a gate whose metric was not measured (the
 * benchmark failed, or its server was unreachable) fails too, since it proves nothing.
 */
export function checkGates(
  metrics: Record<string, Metric>,
  selected: readonly string[],
): GateResult[] {
  return GATES.filter((gate) => selected.includes(gate.bench)).map((gate) => {
    const ratio = metrics[gate.metric]?.ratio;
    const measured = typeof ratio === "number" && Number.isFinite(ratio);
    const passed = measured && (gate.kind === "min" ? ratio >= gate.limit : ratio <= gate.limit);
    return { gate, ratio: measured ? ratio : null, passed };
  });
}

/** One line per gate: `ok` or `FAILED`, the ratio, the limit. */
export function formatGates(results: readonly GateResult[]): string {
  return results.map(({ gate, ratio, passed }) =>
    `${passed ? "ok    " : "FAILED"} ${gate.what}: ${
      ratio === null ? "not measured" : `${ratio.toFixed(2)}×`
    } (gate: ${gate.kind === "min" ? "≥" : "≤"} ${gate.limit}×)`
  ).join("\n");
}
