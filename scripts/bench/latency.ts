/**
 * Pickup latency: an idle `worker start --count 4`; one job at a time that writes `date +%s%N` to
 * a file; latency = that timestamp − the moment the enqueue's commit returned. The enqueue is
 * made here, through the same core as `queuectl enqueue` (`enqueueJobs`, its commit fsync'd, its
 * wake-up sent as the CLI's is), so that the time is taken after the commit: `created_at` is
 * taken before the transaction, and a CLI process would add its own fsync (SQLite) or connection
 * and transaction (PostgreSQL) to a figure that is about the worker. Between two jobs, one bare
 * `sh -c 'date +%s%N > FILE'` spawned from here: the spawn's part, taken under the same load. The
 * next job is enqueued once the previous one completed and the worker is idle again.
 *
 * Targets (issue #18): SQLite p50 ≤ 3 ms + the same run's bare spawn, p99 ≤ 20 ms; PostgreSQL
 * p50 ≤ 10 ms, p99 ≤ 30 ms.
 *
 * @module
 */
import { join } from "node:path";
import { systemClock } from "../../src/clock.ts";
import { enqueueJobs } from "../../src/enqueue.ts";
import {
  type BenchContext,
  mean,
  median,
  openBenchStore,
  quantile,
  round,
  runCli,
  sleep,
  startWorker,
  timeCli,
  unavailable,
  waitFor,
  waitForCompleted,
  waitForWorker,
} from "./context.ts";
import { newPostgresDb } from "./postgres.ts";

/** Epoch ms (sub-ms) of a `date +%s%N` output. */
function nanosToMs(text: string): number {
  const nanos = BigInt(text.trim());
  return Number(nanos / 1000n) / 1000;
}

async function readStamp(file: string): Promise<number | undefined> {
  try {
    const text = await Deno.readTextFile(file);
    return /^\d+\s*$/.test(text) && text.endsWith("\n") ? nanosToMs(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Epoch ms, sub-ms. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What the command itself costs to reach its timestamp: `sh -c 'date …'` spawned from here. */
async function bareSpawnMs(file: string): Promise<number> {
  const start = nowMs();
  await new Deno.Command("sh", { args: ["-c", `date +%s%N > '${file}'`] }).output();
  return (await readStamp(file))! - start;
}

/** The targets: p50 (SQLite's on top of the same run's bare spawn) and p99, in ms. */
const TARGETS = {
  sqlite: { p50: 3, p50Label: "≤ 3 ms + spawn", p99: 20 },
  postgres: { p50: 10, p50Label: "≤ 10 ms", p99: 30 },
} as const;

export async function benchLatency(ctx: BenchContext, kind: "sqlite" | "postgres"): Promise<void> {
  const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
  const target = TARGETS[kind];
  if (kind === "postgres" && ctx.postgresError) {
    for (const q of ["p50", "p99"]) {
      ctx.record(
        `pickup_latency_${kind}_${q}`,
        unavailable(
          `pickup latency ${q} (${label})`,
          q === "p50" ? target.p50Label : `≤ ${target.p99} ms`,
          ctx.postgresError,
          "ms",
        ),
      );
    }
    return;
  }
  const samples = ctx.quick ? 30 : 200;
  const warmup = 3;
  const db = kind === "sqlite" ? join(ctx.dir, "latency.db") : newPostgresDb();
  const stamps = await Deno.makeTempDir({ dir: ctx.dir, prefix: `latency-${kind}-` });
  ctx.log(`pickup latency (${label}): ${samples} jobs, one at a time`);
  await timeCli(db, ["status"]); // creates the database
  // Commits as the CLI's do (fsync'd; PostgreSQL: synchronous_commit on).
  const store = await openBenchStore(db, "full");
  const worker = startWorker(db, 4);
  const latencies: number[] = [];
  const spawns: number[] = [];
  // The two halves of each latency: the commit → the claim (the job's started_at: whole ms,
  // taken as the claim's transaction begins), and the claim → the command's timestamp.
  const toClaim: number[] = [];
  const claimToStart: number[] = [];
  try {
    await waitForWorker(store, worker);
    for (let i = 0; i < warmup; i++) await runCli(db, ["enqueue", "--", "true"]);
    await waitForCompleted(store, warmup, { timeoutMs: 30_000, worker });
    await sleep(500);
    for (let i = 0; i < samples; i++) {
      const file = join(stamps, String(i));
      const [job] = await enqueueJobs(store, systemClock, [{
        command: `date +%s%N > '${file}'`,
      }]);
      const committedAt = nowMs();
      let started: number | undefined;
      // The stamp is the measure: how often it is looked for only shifts the next job.
      await waitFor(
        `job ${i} to start`,
        async () => (started = await readStamp(file)) !== undefined,
        { timeoutMs: 30_000, intervalMs: 5, worker },
      );
      latencies.push(started! - committedAt);
      await waitForCompleted(store, warmup + i + 1, { timeoutMs: 30_000, worker, intervalMs: 5 });
      const claimedAt = (await store.jobGet({ id: job.id }))?.startedAt;
      if (typeof claimedAt === "number") {
        toClaim.push(claimedAt - committedAt);
        claimToStart.push(started! - claimedAt);
      }
      spawns.push(await bareSpawnMs(join(stamps, `spawn-${i}`)));
      // Let every slot go back to waiting (and not always at the same phase of its poll).
      await sleep(20 + Math.random() * 30);
    }
  } finally {
    await worker.stop();
    await store.close();
  }
  const spawn = median(spawns);
  const p50 = median(latencies);
  const p99 = quantile(latencies, 0.99);
  const raw = {
    samples,
    p50_ms: round(median(latencies)),
    p90_ms: round(quantile(latencies, 0.9)),
    p99_ms: round(quantile(latencies, 0.99)),
    max_ms: round(Math.max(...latencies)),
    mean_ms: round(mean(latencies)),
    command_start_ms: round(spawn),
    p50_beyond_spawn_ms: round(p50 - spawn),
    p50_commit_to_claim_ms: round(median(toClaim)),
    p50_claim_to_command_ms: round(median(claimToStart)),
    latencies_ms: latencies.map((value) => round(value)),
    spawns_ms: spawns.map((value) => round(value)),
  };
  // The queue's part, as the SQLite target counts it: all but what a bare spawn costs here.
  const note = `median: ${round(p50 - spawn, 1)} ms beyond a bare spawn of ${
    round(spawn, 1)
  } ms (sh -c date from here, between the jobs); commit → claim ${
    round(median(toClaim), 1)
  } ms, claim → command ${round(median(claimToStart), 1)} ms`;
  ctx.record(`pickup_latency_${kind}_p50`, {
    title: `pickup latency p50 (${label})`,
    value: p50,
    unit: "ms",
    // What CI gates on: the latency as a multiple of what starting the command alone costs here.
    baseline: { name: "sh -c date spawn", value: spawn, unit: "ms" },
    ratio: p50 / spawn,
    target: target.p50Label,
    met: kind === "sqlite" ? p50 <= target.p50 + spawn : p50 <= target.p50,
    status: "measured",
    note,
    raw,
  });
  ctx.record(`pickup_latency_${kind}_p99`, {
    title: `pickup latency p99 (${label})`,
    value: p99,
    unit: "ms",
    target: `≤ ${target.p99} ms`,
    met: p99 <= target.p99,
    status: "measured",
    note: `over ${samples} jobs`,
    raw: { samples, p99_ms: raw.p99_ms, max_ms: raw.max_ms },
  });
}
