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
import postgres from "postgres";
import { newPostgresDb } from "./postgres.ts";
import { cpuTicks, ticksPerSecond } from "./procfs.ts";

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

/** CPU ms per job, as measured around a claims run; null where the server cannot be seen. */
interface CpuPerJob {
  client: number;
  server: number | null;
}

/**
 * `claimComplete`, also measuring the CPU it cost: this process's (it starts no child meanwhile,
 * so procfs's count of its tree is its own), and the PostgreSQL server's (its postmaster and every
 * child, exited or not) when the server runs on this machine. On 2 cores, their sum per job
 * bounds the rate.
 */
async function claimCompleteMeasured(
  db: Db,
  jobs: number,
  inFlight = 4,
): Promise<{ ms: number; cpu: CpuPerJob }> {
  const server = db.startsWith("postgres") ? await postmasterPid(db) : null;
  const ticks = await ticksPerSecond();
  const serverBefore = server === null ? 0 : await cpuTicks(server);
  const clientBefore = await cpuTicks(Deno.pid);
  const ms = await claimComplete(db, jobs, inFlight);
  const clientTicks = await cpuTicks(Deno.pid) - clientBefore;
  const serverTicks = server === null ? null : await cpuTicks(server) - serverBefore;
  const perJob = (used: number) => round((used / ticks) * 1000 / jobs, 3);
  return {
    ms,
    cpu: { client: perJob(clientTicks), server: serverTicks === null ? null : perJob(serverTicks) },
  };
}

/** The PostgreSQL server's postmaster, if it runs on this machine: its backend's parent. */
async function postmasterPid(db: Db): Promise<number | null> {
  try {
    const server = new URL(db);
    server.searchParams.delete("schema");
    const sql = postgres(server.href, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SELECT pg_backend_pid() AS pid`;
      const status = await Deno.readTextFile(`/proc/${row.pid}/status`);
      const ppid = Number(status.match(/^PPid:\s+(\d+)/m)?.[1]);
      return ppid > 1 ? ppid : null;
    } finally {
      await sql.end({ timeout: 1 });
    }
  } catch {
    return null; // Another machine's server (or another pid namespace).
  }
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
  const { ms, cpu } = await claimCompleteMeasured(db, jobs);
  const rate = jobs / (ms / 1000);
  ctx.record(`claim_complete_${kind}`, {
    title,
    value: rate,
    unit: "jobs/s",
    target,
    met: kind === "postgres" ? rate >= 8000 : null,
    status: "measured",
    note: `CPU per job: ${cpu.client} ms in the bench's process${
      cpu.server === null ? "" : `, ${cpu.server} ms in the server`
    }`,
    raw: {
      jobs,
      in_flight: 4,
      ms: round(ms),
      jobs_per_s: round(rate),
      client_cpu_ms_per_job: cpu.client,
      server_cpu_ms_per_job: cpu.server,
    },
  });
}
