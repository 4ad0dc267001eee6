/**
 * The store's own cost per job: 4 connections (as 4 worker slots would have) claim and complete
 * no-op jobs through the `Store` interface, no process spawned.
 *
 * @module
 */
import { join } from "node:path";
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
    const empty = new Uint8Array();
    const start = performance.now();
    await Promise.all(stores.map(async (store, slot) => {
      while (claimed < jobs) {
        claimed++;
        const job = await store.jobClaim({
          workerId: `bench-${slot}`,
          leaseMs: 60_000,
          now: Date.now(),
        });
        if (!job) return;
        await store.jobFinish({
          id: job.id,
          leaseToken: job.leaseToken,
          now: Date.now(),
          state: "completed",
          exitCode: 0,
          error: null,
          outcome: "completed",
          stdout: empty,
          stderr: empty,
          stdoutBytes: 0,
          stderrBytes: 0,
        });
        done++;
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
