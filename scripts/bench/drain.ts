/**
 * Drain throughput: N queued `true` jobs through `worker start --count 4`, timed from the first
 * job's start to the last job's end as the store recorded them (the worker's start-up, from its
 * spawn to the first job, is reported apart), against `xargs -P4` running the same commands
 * (before and after, the mean; its own start-up is a millisecond) and a queue peer: task-spooler
 * on SQLite's run (from releasing its queue to its last job's end; it holds at most 900 jobs, so
 * queuectl drains as many again for that row), graphile-worker on PostgreSQL's (from its first
 * job's start to its last completion committed, its start-up apart).
 *
 * @module
 */
import { join } from "node:path";
import {
  type BenchContext,
  commandOutput,
  jobsFile,
  mean,
  type Metric,
  openBenchStore,
  round,
  startWorker,
  timeCli,
  unavailable,
  waitForCompleted,
} from "./context.ts";
import { findGraphile, findTsp, runGraphile, runTsp } from "./peers.ts";
import { newPostgresDb, POSTGRES_URL } from "./postgres.ts";
import { cpuTicks, ticksPerSecond } from "./procfs.ts";

/** Most jobs queued in task-spooler at once: each waits in a client connection (max 1000). */
const TSP_MAX_JOBS = 900;

/** A drain's time and the CPU time it used (its children's included). */
interface Drained {
  /** From the first job's start to the last job's end. */
  ms: number;
  cpuMs: number;
  /** queuectl: from the worker's spawn to its first job's start. */
  startupMs?: number;
}

/**
 * `xargs -P4`, with the CPU time of everything it ran (the shell's `times`). With `setsid`, each
 * `sh` leads a session of its own, the isolation queuectl gives every job (one exec more).
 */
async function xargs(jobs: number, via: "" | "setsid " = ""): Promise<Drained> {
  const start = performance.now();
  const output = await commandOutput("sh", [
    "-c",
    `seq ${jobs} | xargs -P4 -I{} ${via}sh -c true; times`,
  ]);
  const ms = performance.now() - start;
  // `times`: the shell's user and system time, then its children's ("0m0.730000s 0m0.320000s").
  const seconds = [...output.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => +m[1] * 60 + +m[2]);
  return { ms, cpuMs: seconds.reduce((sum, value) => sum + value, 0) * 1000 };
}

/** Drains `jobs` queued jobs with a fresh `worker start --count 4`. */
export async function drainQueuectl(db: string, jobs: number, file: string): Promise<Drained> {
  await timeCli(db, ["enqueue", "--file", file]);
  const store = await openBenchStore(db);
  try {
    const spawnedAt = Date.now();
    const worker = startWorker(db, 4);
    try {
      // The poll only notices the end; the times come from the runs' records. Polled seldom, so
      // that the bench's reads barely compete with the worker's writes.
      await waitForCompleted(store, jobs, {
        timeoutMs: 120_000 + jobs * 100,
        worker,
        intervalMs: 100,
      });
      const cpuMs = Deno.build.os === "linux"
        ? (await cpuTicks(worker.pid)) / (await ticksPerSecond()) * 1000
        : NaN;
      const done = await store.jobList({ states: ["completed"], limit: jobs + 1 });
      const firstStart = Math.min(...done.map((job) => job.startedAt ?? Infinity));
      const lastEnd = Math.max(...done.map((job) => job.finishedAt ?? -Infinity));
      return { ms: lastEnd - firstStart, cpuMs, startupMs: firstStart - spawnedAt };
    } finally {
      await worker.stop();
    }
  } finally {
    await store.close();
  }
}

const perSecond = (jobs: number, ms: number) => jobs / (ms / 1000);

export async function benchDrain(ctx: BenchContext, kind: "sqlite" | "postgres"): Promise<void> {
  const jobs = ctx.quick ? 1000 : 5000;
  const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
  const xargsTarget = kind === "sqlite" ? 0.85 : 0.7;
  const peerName = kind === "sqlite" ? "task-spooler" : "graphile-worker";
  const peerKey = kind === "sqlite" ? "tsp" : "graphile";
  const peerTarget = `≥ 2× ${peerName}`;
  if (kind === "postgres" && ctx.postgresError) {
    ctx.record(
      `drain_postgres`,
      unavailable(`drain (${label})`, `≥ ${xargsTarget}× xargs`, ctx.postgresError, "jobs/s"),
    );
    ctx.record(
      `drain_postgres_vs_graphile`,
      unavailable(`drain (${label}) vs ${peerName}`, peerTarget, ctx.postgresError, "jobs/s"),
    );
    return;
  }
  // Peers first (an install must not fall between the measurements).
  const peer = kind === "sqlite"
    ? await findTsp(ctx, !ctx.quick)
    : await findGraphile(ctx, !ctx.quick);

  const file = await jobsFile(ctx.dir, jobs);
  const db = kind === "sqlite" ? join(ctx.dir, "drain.db") : newPostgresDb();
  ctx.log(`drain (${label}): ${jobs} jobs; xargs, queuectl, ${peerName}, xargs`);
  const xargsBefore = await xargs(jobs);
  const queuectl = await drainQueuectl(db, jobs, file);
  const xargsSetsid = await hasSetsid() ? await xargs(jobs, "setsid ") : undefined;
  let peerResult: { jobs: number; ms: number; startupMs?: number; version?: string } | undefined;
  let peerError: string | undefined;
  // queuectl on the peer's number of jobs (task-spooler takes at most TSP_MAX_JOBS): the same work.
  let queuectlForPeer = queuectl;
  if (peer.ok) {
    try {
      peerResult = kind === "sqlite"
        ? await runTsp(ctx, peer.value, Math.min(jobs, TSP_MAX_JOBS))
        : await runGraphile(peer.value, POSTGRES_URL, jobs);
      if (peerResult.jobs < jobs) {
        const fewer = await jobsFile(ctx.dir, peerResult.jobs);
        queuectlForPeer = await drainQueuectl(
          join(ctx.dir, "drain-peer.db"),
          peerResult.jobs,
          fewer,
        );
      }
    } catch (error) {
      peerError = error instanceof Error ? error.message : String(error);
    }
  } else {
    peerError = peer.reason;
  }
  const xargsAfter = await xargs(jobs);

  const xargsRate = perSecond(jobs, mean([xargsBefore.ms, xargsAfter.ms]));
  const rate = perSecond(jobs, queuectl.ms);
  const raw = {
    jobs,
    queuectl_ms: round(queuectl.ms),
    queuectl_jobs_per_s: round(rate),
    queuectl_startup_ms: round(queuectl.startupMs ?? NaN),
    // CPU time per job (the jobs' own included): on a machine with few cores, what caps the rate.
    queuectl_cpu_ms_per_job: round(queuectl.cpuMs / jobs, 3),
    xargs_ms: [round(xargsBefore.ms), round(xargsAfter.ms)],
    xargs_jobs_per_s: round(xargsRate),
    xargs_cpu_ms_per_job: round(mean([xargsBefore.cpuMs, xargsAfter.cpuMs]) / jobs, 3),
  };
  ctx.record(`drain_${kind}`, {
    title: `drain (${label})`,
    value: rate,
    unit: "jobs/s",
    baseline: { name: "xargs -P4", value: xargsRate, unit: "jobs/s" },
    ratio: rate / xargsRate,
    target: `≥ ${xargsTarget}× xargs`,
    met: rate / xargsRate >= xargsTarget,
    status: "measured",
    note: `first job start → last job end; worker start-up ${
      round(raw.queuectl_startup_ms, 0)
    } ms apart. CPU per job: queuectl ${round(raw.queuectl_cpu_ms_per_job, 2)} ms, xargs ${
      round(raw.xargs_cpu_ms_per_job, 2)
    } ms`,
    raw,
  });
  const peerRate = peerResult && perSecond(peerResult.jobs, peerResult.ms);
  const rateForPeer = peerResult && perSecond(peerResult.jobs, queuectlForPeer.ms);
  const peerNotes = [
    peerResult && peerResult.jobs < jobs
      ? `both ran ${peerResult.jobs} jobs (${peerName}'s most)`
      : undefined,
    peerResult?.startupMs !== undefined
      ? `${peerName} start-up ${round(peerResult.startupMs, 0)} ms apart`
      : undefined,
  ].filter(Boolean);
  const peerRow: Metric = peerResult && peerRate && rateForPeer
    ? {
      title: `drain (${label}) vs ${peerName}`,
      value: rateForPeer,
      unit: "jobs/s",
      baseline: { name: peerName, value: peerRate, unit: "jobs/s" },
      ratio: rateForPeer / peerRate,
      target: peerTarget,
      met: rateForPeer / peerRate >= 2,
      status: "measured",
      note: peerNotes.length > 0 ? peerNotes.join("; ") : undefined,
      raw: {
        ...raw,
        queuectl_jobs_for_peer: peerResult.jobs,
        queuectl_ms_for_peer: round(queuectlForPeer.ms),
        ...(peerResult.startupMs !== undefined
          ? { [`${peerKey}_startup_ms`]: round(peerResult.startupMs) }
          : {}),
        [`${peerKey}_jobs`]: peerResult.jobs,
        [`${peerKey}_ms`]: round(peerResult.ms),
        [`${peerKey}_jobs_per_s`]: round(perSecond(peerResult.jobs, peerResult.ms)),
        ...(peerResult.version ? { [`${peerKey}_version`]: peerResult.version } : {}),
      },
    }
    : {
      ...unavailable(`drain (${label}) vs ${peerName}`, peerTarget, peerError ?? "", "jobs/s"),
      value: rate,
      raw,
    };
  ctx.record(`drain_${kind}_vs_${peerKey}`, peerRow);
  if (xargsSetsid) {
    const setsidRate = perSecond(jobs, xargsSetsid.ms);
    ctx.record(`drain_${kind}_vs_xargs_setsid`, {
      title: `drain (${label}) vs xargs + setsid`,
      value: rate,
      unit: "jobs/s",
      baseline: { name: "xargs -P4 setsid", value: setsidRate, unit: "jobs/s" },
      ratio: rate / setsidRate,
      target: "-",
      met: null,
      status: "measured",
      note: `each job in a session of its own, as queuectl runs it; CPU per job ${
        round(xargsSetsid.cpuMs / jobs, 2)
      } ms`,
      raw: { ...raw, xargs_setsid_ms: round(xargsSetsid.ms) },
    });
  }
}

async function hasSetsid(): Promise<boolean> {
  try {
    return (await new Deno.Command("setsid", { args: ["true"] }).output()).success;
  } catch {
    return false;
  }
}
