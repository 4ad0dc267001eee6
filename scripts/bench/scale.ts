/**
 * Scale: `status` and the claim rate with 1M jobs queued against 1k (SQLite). The big database
 * is built through the CLI, `enqueue --file` in chunks of 100k. Quick mode queues 50k instead.
 *
 * @module
 */
import { join } from "node:path";
import { claimComplete } from "./claims.ts";
import { type BenchContext, jobsFile, median, openBenchStore, round, timeCli } from "./context.ts";
import { emptyDenoRunMs } from "./enqueue.ts";

const SMALL = 1_000;
const CHUNK = 100_000;

function count(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`;
}

export async function benchScale(ctx: BenchContext): Promise<void> {
  const big = ctx.quick ? 50_000 : 1_000_000;
  const bigLabel = count(big);
  const smallDb = join(ctx.dir, "scale-small.db");
  const bigDb = join(ctx.dir, "scale-big.db");
  ctx.log(
    `scale: building ${bigLabel} queued jobs` + (ctx.quick ? " (quick mode: 1M skipped)" : ""),
  );
  await timeCli(smallDb, ["enqueue", "--file", await jobsFile(ctx.dir, SMALL)]);
  const chunk = Math.min(CHUNK, big);
  const chunkFile = await jobsFile(ctx.dir, chunk);
  const buildStart = performance.now();
  for (let queued = 0; queued < big; queued += chunk) {
    await timeCli(bigDb, ["enqueue", "--file", chunkFile]);
  }
  const buildMs = performance.now() - buildStart;

  const rounds = ctx.quick ? 5 : 10;
  const empty: number[] = [];
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < rounds; i++) {
    empty.push(await emptyDenoRunMs(ctx.dir));
    small.push(await timeCli(smallDb, ["status"]));
    large.push(await timeCli(bigDb, ["status"]));
  }
  // Where status's time goes: the count query alone, in this process.
  const store = await openBenchStore(bigDb, "full");
  const countMs: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await store.jobCountByState();
      countMs.push(performance.now() - start);
    }
  } finally {
    await store.close();
  }

  // Alternating passes, so that noise falls on both sides alike.
  const pass = ctx.quick ? 100 : 400;
  const claimSmall: number[] = [];
  const claimLarge: number[] = [];
  for (let i = 0; i < 2; i++) {
    claimSmall.push(await claimComplete(smallDb, pass));
    claimLarge.push(await claimComplete(bigDb, pass));
  }
  const rate = (times: number[]) => (pass * times.length) / (times.reduce((a, b) => a + b) / 1000);

  const own = median(large) - median(empty);
  const note = ctx.quick ? "quick mode: 1M skipped, 50k queued" : undefined;
  const raw = {
    queued: big,
    build_ms: round(buildMs),
    empty_deno_run_ms: round(median(empty)),
    status_small_ms: round(median(small)),
    status_big_ms: round(median(large)),
    status_big_all_ms: large.map((value) => round(value)),
    job_count_by_state_big_ms: round(median(countMs)),
  };
  ctx.record("scale_status", {
    title: `status with ${bigLabel} queued (minus deno start-up)`,
    value: own,
    unit: "ms",
    baseline: {
      name: `status with ${count(SMALL)}`,
      value: median(small) - median(empty),
      unit: "ms",
    },
    ratio: own / (median(small) - median(empty)),
    target: "≤ 50 ms",
    met: own <= 50,
    status: "measured",
    note: note ??
      `wall ${round(median(large))} ms; count query ${round(median(countMs))} ms`,
    raw,
  });
  ctx.record("scale_claim", {
    title: `claim+complete with ${bigLabel} queued`,
    value: rate(claimLarge),
    unit: "jobs/s",
    baseline: { name: `with ${count(SMALL)} queued`, value: rate(claimSmall), unit: "jobs/s" },
    ratio: rate(claimLarge) / rate(claimSmall),
    target: "≥ 0.8× (1k)",
    met: rate(claimLarge) / rate(claimSmall) >= 0.8,
    status: "measured",
    note,
    raw: {
      queued: big,
      jobs_per_pass: pass,
      small_ms: claimSmall.map((value) => round(value)),
      big_ms: claimLarge.map((value) => round(value)),
    },
  });
}
