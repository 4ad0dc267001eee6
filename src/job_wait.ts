/**
 * Why a waiting job that is due has not started: its queue's rate window, or its group being
 * full. What `queuectl info` shows of a pending or failed job.
 *
 * @module
 */
import type { Job } from "./job.ts";
import { queueRateState, storedGroupLimit } from "./queue_limits.ts";
import type { Store } from "./store/mod.ts";

/** What holds a waiting job back, besides its own run time and a pause. */
export interface JobWait {
  /** When its queue's rate lets a job start again; null when the rate does not hold it. */
  rateLimitedUntil: number | null;
  /** Its group, when the group is full: how many of it run, and the queue's group limit. */
  fullGroup: { key: string; running: number; limit: number } | null;
}

/** Reads what holds `job` back as of `now`; null for a job that is not waiting (pending/failed). */
export async function readJobWait(store: Store, job: Job, now: number): Promise<JobWait | null> {
  if (job.state !== "pending" && job.state !== "failed") return null;
  const queue = (await store.queueSettings()).find((queue) => queue.name === job.queue);
  if (!queue) return { rateLimitedUntil: null, fullGroup: null };
  const { limitedUntil } = queueRateState(queue, now);
  const limit = storedGroupLimit(queue.groupConcurrency);
  let fullGroup: JobWait["fullGroup"] = null;
  if (job.groupKey !== null && typeof limit === "number") {
    const running = await store.jobGroupRunning({ queue: job.queue, groupKey: job.groupKey });
    if (running >= limit) fullGroup = { key: job.groupKey, running, limit };
  }
  return { rateLimitedUntil: limitedUntil, fullGroup };
}
