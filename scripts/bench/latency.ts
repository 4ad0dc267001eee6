/**
 * Pickup latency: an idle `worker start --count 4`; one `queuectl enqueue` at a time of a job
 * that writes `date +%s%N` to a file; latency = that timestamp − the job's `created_at` (the
 * enqueue's commit, as `enqueue --json` reports it, in ms). The next job is enqueued once the
 * previous one completed and the worker is idle again.
 *
 * @module
 */
import { join } from "node:path";
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

/** What the command itself costs to reach its timestamp: `sh -c 'date …'` spawned from here. */
async function commandStartMs(dir: string): Promise<number> {
  const times: number[] = [];
  const file = join(dir, "spawn-stamp");
  for (let i = 0; i < 20; i++) {
    const start = performance.timeOrigin + performance.now();
    await new Deno.Command("sh", { args: ["-c", `date +%s%N > '${file}'`] }).output();
    times.push((await readStamp(file))! - start);
  }
  return median(times);
}

export async function benchLatency(ctx: BenchContext, kind: "sqlite" | "postgres"): Promise<void> {
  const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
  if (kind === "postgres" && ctx.postgresError) {
    for (const q of ["p50", "p99"]) {
      ctx.record(
        `pickup_latency_${kind}_${q}`,
        unavailable(
          `pickup latency ${q} (${label})`,
          q === "p50" ? "≤ 3 ms" : "≤ 20 ms",
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
  const store = await openBenchStore(db);
  const worker = startWorker(db, 4);
  const latencies: number[] = [];
  // The two halves of each latency: enqueue's created_at → the claim (the job's started_at, in
  // ms), and the claim → the command's timestamp (the spawn).
  const toClaim: number[] = [];
  const claimToStart: number[] = [];
  try {
    await waitForWorker(store, worker);
    for (let i = 0; i < warmup; i++) await runCli(db, ["enqueue", "--", "true"]);
    await waitForCompleted(store, warmup, { timeoutMs: 30_000, worker });
    await sleep(500);
    for (let i = 0; i < samples; i++) {
      const file = join(stamps, String(i));
      const job = JSON.parse(
        await runCli(db, ["enqueue", "--json", "--", `date +%s%N > '${file}'`]),
      );
      const createdAt = Date.parse(job.created_at);
      let started: number | undefined;
      await waitFor(
        `job ${i} to start`,
        async () => (started = await readStamp(file)) !== undefined,
        {
          timeoutMs: 30_000,
          intervalMs: 2,
          worker,
        },
      );
      latencies.push(started! - createdAt);
      await waitForCompleted(store, warmup + i + 1, { timeoutMs: 30_000, worker, intervalMs: 5 });
      const claimedAt = (await store.jobGet({ id: job.id }))?.startedAt;
      if (typeof claimedAt === "number") {
        toClaim.push(claimedAt - createdAt);
        claimToStart.push(started! - claimedAt);
      }
      // Let every slot go back to waiting (and not always at the same phase of its poll).
      await sleep(20 + Math.random() * 30);
    }
  } finally {
    await worker.stop();
    await store.close();
  }
  const commandStart = await commandStartMs(ctx.dir);
  const raw = {
    samples,
    p50_ms: round(median(latencies)),
    p90_ms: round(quantile(latencies, 0.9)),
    p99_ms: round(quantile(latencies, 0.99)),
    max_ms: round(Math.max(...latencies)),
    mean_ms: round(mean(latencies)),
    command_start_ms: round(commandStart),
    p50_enqueue_to_claim_ms: round(median(toClaim)),
    p50_claim_to_command_ms: round(median(claimToStart)),
    latencies_ms: latencies.map((value) => round(value)),
  };
  const note = `median: created_at → claim ${round(median(toClaim), 1)} ms, claim → command ${
    round(median(claimToStart), 1)
  } ms (sh + date alone: ${round(commandStart, 1)} ms)`;
  const p50 = median(latencies);
  const p99 = quantile(latencies, 0.99);
  ctx.record(`pickup_latency_${kind}_p50`, {
    title: `pickup latency p50 (${label})`,
    value: p50,
    unit: "ms",
    // What CI gates on: the latency as a multiple of what starting the command alone costs here.
    baseline: { name: "sh -c date spawn", value: commandStart, unit: "ms" },
    ratio: p50 / commandStart,
    target: "≤ 3 ms",
    met: p50 <= 3,
    status: "measured",
    note,
    raw,
  });
  ctx.record(`pickup_latency_${kind}_p99`, {
    title: `pickup latency p99 (${label})`,
    value: p99,
    unit: "ms",
    target: "≤ 20 ms",
    met: p99 <= 20,
    status: "measured",
    note: `over ${samples} jobs`,
    raw: { samples, p99_ms: raw.p99_ms, max_ms: raw.max_ms },
  });
}
