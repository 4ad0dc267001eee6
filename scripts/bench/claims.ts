/**
 * The store's own cost per job: 4 connections (as 4 worker slots would have) claim and complete
 * no-op jobs through the `Store` interface, no process spawned. Each connection makes the calls a
 * worker slot makes (`JobRunner`, src/worker/job_runner.ts): a first `jobClaim`, then for each
 * job one `jobFinishAndClaim` that records its end and takes the next job in one transaction.
 * The bench measures the worker's store path, so it must change whenever the slot's does.
 *
 * @module
 */
import { join } from "node:path";
import type { Job } from "../../src/job.ts";
import type { JobFinish } from "../../src/store/mod.ts";
import {
  type BenchContext,
  type Db,
  jobsFile,
  openBenchStore,
  round,
  timeCli,
  unavailable,
} from "./context.ts";
import { newPostgresDb } from "./postgres.ts";

const EMPTY = new Uint8Array();

/** A no-op run's end, as the runner records it. */
function completed(job: Job): JobFinish {
  return {
    id: job.id,
    leaseToken: job.leaseToken,
    now: Date.now(),
    state: "completed",
    exitCode: 0,
    error: null,
    outcome: "completed",
    stdout: EMPTY,
    stderr: EMPTY,
    stdoutBytes: 0,
    stderrBytes: 0,
  };
}

/**
 * Claims and completes `jobs` queued jobs with `inFlight` connections; returns the wall time in
 * ms. Stops after `jobs` claims, so it also works on a queue holding more.
 */
export async function claimComplete(db: Db, jobs: number, inFlight = 4): Promise<number> {
  const stores = [];
  for (let i = 0; i < inFlight; i++) stores.push(await openBenchStore(db, "normal"));
  try {
    let claimed = 0;
    let done = 0;
    const start = performance.now();
    await Promise.all(stores.map(async (store, slot) => {
      const claim = () => ({ workerId: `bench-${slot}`, leaseMs: 60_000, now: Date.now() });
      if (claimed >= jobs) return;
      claimed++;
      let job = await store.jobClaim(claim());
      while (job) {
        if (claimed >= jobs) {
          // The last one: its finish claims nothing, as a draining slot's.
          if (!await store.jobFinish(completed(job))) throw new Error("a finish was fenced off");
          done++;
          return;
        }
        claimed++;
        const result = await store.jobFinishAndClaim({ finish: completed(job), claim: claim() });
        if (!result.recorded) throw new Error("a finish was fenced off");
        done++;
        job = result.next;
      }
    }));
    const ms = performance.now() - start;
    if (done !== jobs) throw new Error(`claimed and completed ${done} of ${jobs} jobs`);
    return ms;
  } finally {
    for (const store of stores) await store.close();
  }
}

export async function benchClaimComplete(
  ctx: BenchContext,
  kind: "sqlite" | "postgres",
): Promise<void> {
  const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
  const title = `claim+complete via Store, 4 in flight (${label})`;
  const target = kind === "postgres" ? "≥ 8000 jobs/s" : "-";
  if (kind === "postgres" && ctx.postgresError) {
    ctx.record(`claim_complete_${kind}`, unavailable(title, target, ctx.postgresError, "jobs/s"));
    return;
  }
  const jobs = ctx.quick ? 2_000 : 20_000;
  ctx.log(`claim+complete (${label}): ${jobs} jobs`);
  const db = kind === "sqlite" ? join(ctx.dir, "claims.db") : newPostgresDb();
  await timeCli(db, ["enqueue", "--file", await jobsFile(ctx.dir, jobs)]);
  const ms = await claimComplete(db, jobs);
  const rate = jobs / (ms / 1000);
  ctx.record(`claim_complete_${kind}`, {
    title,
    value: rate,
    unit: "jobs/s",
    target,
    met: kind === "postgres" ? rate >= 8000 : null,
    status: "measured",
    raw: { jobs, in_flight: 4, ms: round(ms), jobs_per_s: round(rate) },
  });
}
