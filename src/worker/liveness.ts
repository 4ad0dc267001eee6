/**
 * Which registered worker processes are alive: on this host, the process must still exist (pid
 * and start time); elsewhere, its heartbeat must be younger than a lease.
 *
 * @module
 */
import { type Config, leaseDurationMs } from "../config.ts";
import type { WorkerProcessWithJobs } from "../store/mod.ts";
import { isSameProcessAlive } from "./process_identity.ts";

/** This host's id: `QUEUECTL_HOST_ID` when set (tests simulate hosts with it), else the hostname. */
export function hostId(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  return env("QUEUECTL_HOST_ID") || Deno.hostname();
}

/** Keeps the workers that are alive as of `now`. */
export async function liveWorkers(
  workers: WorkerProcessWithJobs[],
  here: { host: string; now: number; config: Config },
): Promise<WorkerProcessWithJobs[]> {
  const leaseMs = leaseDurationMs(here.config);
  const alive: WorkerProcessWithJobs[] = [];
  for (const worker of workers) {
    const live = worker.host === here.host
      ? await isSameProcessAlive(worker.pid, worker.pidStartTime)
      : worker.heartbeatAt >= here.now - leaseMs;
    if (live) alive.push(worker);
  }
  return alive;
}
