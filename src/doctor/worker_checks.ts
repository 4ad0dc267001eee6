/**
 * The doctor's checks of worker processes and running jobs, judged the way the rescuer judges
 * them (`src/worker/rescuer.ts`): a worker on this host is gone when its process is (pid and
 * start time); any worker is silent when its heartbeat is older than a lease. Running workers
 * clean up after lost ones at every heartbeat, so these findings are warnings with the truth
 * about when that happens.
 *
 * @module
 */
import { type Config, leaseDurationMs } from "../config.ts";
import type { StoreReader, WorkerProcessWithJobs } from "../store/mod.ts";
import { isSameProcessAlive } from "../worker/process_identity.ts";
import { type Check, ok, warn } from "./check.ts";

/** Where and when the doctor looks. */
export interface WorkerCheckOptions {
  reader: StoreReader;
  /** The config stored in the database (lease length). */
  config: Config;
  now: number;
  /** This host's id (`QUEUECTL_HOST_ID`, else the hostname): only its processes can be checked. */
  host: string;
}

/** A registered worker process and what the doctor makes of it. */
interface JudgedWorker {
  worker: WorkerProcessWithJobs;
  /** `gone`: its process on this host is gone; `silent`: no heartbeat for longer than a lease. */
  verdict: "alive" | "gone" | "silent";
}

/** Stale workers, jobs stuck in `processing`, and waiting jobs with no worker to run them. */
export async function workerChecks(options: WorkerCheckOptions): Promise<Check[]> {
  const { reader, now, host } = options;
  const leaseMs = leaseDurationMs(options.config);
  const judged = await Promise.all(
    (await reader.workerList()).map((worker) => judgeWorker(worker, { now, host, leaseMs })),
  );
  const alive = judged.filter((entry) => entry.verdict === "alive").length;
  const goneHere = judged.filter((entry) => entry.verdict === "gone").map((entry) => entry.worker);
  const stuck = await reader.jobListRescuable({ now, owners: goneHere.map((worker) => worker.id) });
  const counts = await reader.jobCountByState();
  return [
    workersCheck(judged, { now, host, leaseMs }),
    leasesCheck(stuck.map((job) => job.id), alive),
    queueCheck(counts.pending + counts.failed, alive),
  ];
}

async function judgeWorker(
  worker: WorkerProcessWithJobs,
  here: { now: number; host: string; leaseMs: number },
): Promise<JudgedWorker> {
  if (worker.host === here.host && !(await isSameProcessAlive(worker.pid, worker.pidStartTime))) {
    return { worker, verdict: "gone" };
  }
  return { worker, verdict: worker.heartbeatAt < here.now - here.leaseMs ? "silent" : "alive" };
}

function workersCheck(
  judged: JudgedWorker[],
  here: { now: number; host: string; leaseMs: number },
): Check {
  const stale = judged.filter((entry) => entry.verdict !== "alive");
  if (stale.length === 0) {
    return ok(
      "workers",
      judged.length === 0 ? "no worker process registered" : `${judged.length} alive`,
    );
  }
  const described = stale.map((entry) => describeStale(entry, here.now)).join("; ");
  const hungHere = stale.filter((entry) =>
    entry.verdict === "silent" && entry.worker.host === here.host
  );
  const fixes: string[] = [];
  if (hungHere.length < stale.length) {
    const leaseSeconds = Math.round(here.leaseMs / 1000);
    fixes.push(
      `running workers clean them up at every heartbeat (their jobs back in the queue, rows removed): at once on their own host, after ${
        2 * leaseSeconds
      } s (2 leases) of silence elsewhere` +
        (judged.length === stale.length ? `; none runs now: "queuectl worker start"` : ""),
    );
  }
  if (hungHere.length > 0) {
    const pids = hungHere.map((entry) => entry.worker.pid).join(" ");
    fixes.push(
      `pid ${pids} runs but sends no heartbeat (stopped or hung): "kill ${pids}"; its jobs are rescued when their leases expire`,
    );
  }
  return warn("workers", `${stale.length} stale: ${described}`, fixes.join("; "));
}

function describeStale(entry: JudgedWorker, now: number): string {
  const { worker } = entry;
  const silence = `last heartbeat ${Math.round((now - worker.heartbeatAt) / 1000)} s ago`;
  const why = entry.verdict === "gone" ? "its process is gone" : silence;
  const jobs = worker.jobIds.length > 0 ? `, holds ${worker.jobIds.join(", ")}` : "";
  return `${worker.id} (host ${worker.host}, pid ${worker.pid}: ${why}${jobs})`;
}

function leasesCheck(stuckIds: string[], alive: number): Check {
  if (stuckIds.length === 0) return ok("leases", "no running job has lost its worker");
  const shown = stuckIds.slice(0, 10).join(", ") + (stuckIds.length > 10 ? ", …" : "");
  return warn(
    "leases",
    `${stuckIds.length} job(s) stuck in processing (lease expired or worker gone): ${shown}`,
    alive > 0
      ? "running workers put them back at their next heartbeat (the lost run counts as an attempt)"
      : `no worker runs to put them back: "queuectl worker start" does at once (the lost run counts as an attempt)`,
  );
}

function queueCheck(waiting: number, alive: number): Check {
  if (waiting > 0 && alive === 0) {
    return warn(
      "queue",
      `${waiting} job(s) waiting (pending or failed, to be retried) and no worker alive`,
      `start one: "queuectl worker start --detach" (or "queuectl service install")`,
    );
  }
  return ok("queue", `${waiting} job(s) waiting, ${alive} worker process(es) alive`);
}
