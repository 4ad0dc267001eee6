/**
 * Brings back jobs whose worker was lost. Two ways to be lost: the owner is on this host and its
 * process is gone (found at once by pid + start time), or the owner stopped renewing its lease
 * (any host; found when the lease expires). Before a job runs again, what still runs of its lost
 * run on this host is stopped (found by the run's tag, or its recorded process group), so a job
 * never runs twice at the same time here; a job whose lost run cannot be stopped stays lost.
 *
 * @module
 */
import { type Config, leaseDurationMs } from "../config.ts";
import type { Job } from "../job.ts";
import type { Store, WorkerProcessWithJobs } from "../store/mod.ts";
import { afterFailure } from "./backoff.ts";
import type { RunnerLog } from "./job_runner.ts";
import { isSameProcessAlive } from "./process_identity.ts";
import { stopProcessTree } from "./process_tree.ts";
import { findTaggedProcesses, runTag, type TaggedProcess } from "./run_tag.ts";

/** What the rescuer needs. */
export interface RescuerOptions {
  store: Store;
  /** This host's id: processes of workers registered under it can be checked and killed. */
  host: string;
  config: Config;
  log: RunnerLog;
}

/** Rescues what is lost as of `now`; returns the ids of the jobs it rescued. */
export async function rescueOnce(options: RescuerOptions, now: number): Promise<string[]> {
  const { store, host, log } = options;
  const workers = await store.workerList();
  const lostHere = new Set<string>();
  for (const worker of workers) {
    if (worker.host === host && !(await isSameProcessAlive(worker.pid, worker.pidStartTime))) {
      lostHere.add(worker.id);
    }
  }
  const owners = new Map(workers.map((worker) => [worker.id, worker]));
  const rescued: string[] = [];
  for (const job of await store.jobListRescuable({ now, owners: [...lostHere] })) {
    const owner = job.leaseOwner ? owners.get(job.leaseOwner) : undefined;
    // The run's tag is looked for whatever the owner: its row may be gone (forgotten as silent
    // while it still ran the job), and only this host's processes of this very claim carry it.
    // The recorded group is a pid on the owner's host: only used when that is this one.
    const orphan = await killOrphan(job, options.config, { recordedGroup: owner?.host === host });
    if (orphan.survivors.length > 0) {
      log.warn(
        `Not rescuing job "${job.id}" yet: processes of its lost run still run after SIGKILL (${
          describeProcesses(orphan.survivors)
        }); the next rescue tries again`,
      );
      continue;
    }
    if (orphan.stopped.length > 0) {
      log.warn(
        `Stopped what still ran of job "${job.id}"'s lost run (lease token ${job.leaseToken}): ${
          describeProcesses(orphan.stopped)
        }, gone after ${orphan.ms} ms`,
      );
    }
    const ownerGone = owner !== undefined && lostHere.has(owner.id);
    const reason = ownerGone
      ? `its worker process ${owner.id} (pid ${owner.pid}) is gone`
      : `its lease expired (worker ${job.leaseOwner} stopped renewing it)`;
    if (await rescueJob(store, job, { now, config: options.config, reason, ownerGone })) {
      rescued.push(job.id);
      log.warn(`Rescued job "${job.id}" from a lost worker: ${reason}`);
    }
  }
  await forgetLostWorkers(store, workers, { lostHere, rescued, now, config: options.config });
  return rescued;
}

async function rescueJob(
  store: Store,
  job: Job,
  rescue: { now: number; config: Config; reason: string; ownerGone: boolean },
): Promise<boolean> {
  const { now, config, reason } = rescue;
  // The lost run counts as an attempt (it was counted at claim); the retry is due at once.
  const next = afterFailure(job, now, { ...config, immediate: true });
  return await store.jobFinish({
    id: job.id,
    leaseToken: job.leaseToken,
    // A dead owner cannot renew; a silent one might have since we looked: then leave it be.
    leaseExpiredBefore: rescue.ownerGone ? undefined : now,
    now,
    state: next.state,
    runAt: next.runAt,
    exitCode: null,
    error: `Rescued from a lost worker: ${reason}`,
    outcome: "rescued",
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    stdoutBytes: 0,
    stderrBytes: 0,
  });
}

/** What `killOrphan` did. */
export interface OrphanReport {
  /** The processes it found of the run and stopped (with their groups). */
  stopped: TaggedProcess[];
  /** The processes of the run still alive when it gave up (none: the run is over here). */
  survivors: TaggedProcess[];
  /** How long it took. */
  ms: number;
}

/** How many times `killOrphan` looks again after stopping what it found. */
const ORPHAN_LOOKS = 3;

/**
 * Stops what still runs of the job's run (its claim's lease token) before the job runs again:
 * every process group holding a process tagged with the run (`run_tag.ts`; Linux), and the
 * recorded process group if its leader is still the process that was started (unless
 * `recordedGroup` is false: the owner was on another host, or is unknown). Elsewhere no start
 * time is recorded, and a pid alone could be a stranger's by now, so nothing is killed there.
 *
 * It looks again after each stop, until a look finds nothing: a process in the middle of an
 * exec shows no environment for that instant, and one SIGKILLed but not yet scheduled to die
 * still looks alive. What survives `ORPHAN_LOOKS` stops (a process it may not signal) is
 * reported, and the job must not run again yet.
 */
export async function killOrphan(
  job: Job,
  config: Config,
  options: { recordedGroup?: boolean } = {},
): Promise<OrphanReport> {
  const started = Date.now();
  const tag = runTag(job);
  const stopped = new Map<number, TaggedProcess>();
  let found = findTaggedProcesses(tag);
  for (let look = 0; look < ORPHAN_LOOKS; look++) {
    const groups = new Map<number, Promise<void>>();
    for (const process of found) {
      stopped.set(process.pid, process);
      const gone = groups.get(process.pgid) ?? Promise.resolve();
      groups.set(process.pgid, gone.then(() => waitUntilGone(process.pid, process.startTime)));
    }
    if (
      look === 0 && options.recordedGroup !== false && job.pgid !== null &&
      job.pgidStartTime !== null && !groups.has(job.pgid) &&
      await isSameProcessAlive(job.pgid, job.pgidStartTime)
    ) {
      const leader = { pid: job.pgid, pgid: job.pgid, startTime: job.pgidStartTime };
      stopped.set(leader.pid, leader);
      groups.set(job.pgid, waitUntilGone(job.pgid, job.pgidStartTime));
    }
    if (groups.size === 0) return { stopped: [...stopped.values()], survivors: [], ms: 0 };
    // The grace period once; a look again only finds what is slow to die or was hidden.
    const graceMs = look === 0 ? config.killGrace * 1000 : Math.min(config.killGrace * 1000, 1000);
    await Promise.all(
      [...groups].map(([pgid, gone]) => stopProcessTree(pgid, graceMs, gone)),
    );
    found = findTaggedProcesses(tag);
    if (found.length === 0) {
      return { stopped: [...stopped.values()], survivors: [], ms: Date.now() - started };
    }
  }
  return { stopped: [...stopped.values()], survivors: found, ms: Date.now() - started };
}

/** "pid 123 (group 123), pid 124 (group 123)". */
function describeProcesses(processes: TaggedProcess[]): string {
  return processes.map((process) => `pid ${process.pid} (group ${process.pgid})`).join(", ");
}

async function waitUntilGone(pid: number, startTime: string): Promise<void> {
  while (await isSameProcessAlive(pid, startTime)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Removes the rows of workers that are gone: dead processes on this host, and workers anywhere
 * that have been silent for two lease lengths and hold no job any more.
 */
async function forgetLostWorkers(
  store: Store,
  workers: WorkerProcessWithJobs[],
  found: { lostHere: Set<string>; rescued: string[]; now: number; config: Config },
): Promise<void> {
  const silentSince = found.now - 2 * leaseDurationMs(found.config);
  for (const worker of workers) {
    if (!found.lostHere.has(worker.id) && worker.heartbeatAt >= silentSince) continue;
    const stillHolds = worker.jobIds.some((id) => !found.rescued.includes(id));
    if (!stillHolds) await store.workerDeregister({ id: worker.id });
  }
}
