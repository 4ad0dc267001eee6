/**
 * The queue at a glance: how many jobs are in each state and which worker processes are alive.
 * What `queuectl status` shows and the library's `Queue.status` returns.
 *
 * @module
 */
import { configFromOverrides } from "./config.ts";
import type { JobState } from "./job.ts";
import type { QueueSettings, Store, WorkerProcessWithJobs } from "./store/mod.ts";
import { liveWorkers } from "./worker/liveness.ts";
import { type QueueRate, queueRateState } from "./queue_limits.ts";
import { isQueuePaused } from "./queue_pause.ts";

/** Job counts per state and the live worker processes. */
export interface QueueStatus {
  /** Every state, zero when no job is in it. */
  counts: Record<JobState, number>;
  workers: WorkerProcessWithJobs[];
  /** The queues paused as of `now` (see `isQueuePaused`), by name. */
  pausedQueues: QueueSettings[];
  /** The queues whose rate holds their jobs back as of `now`, and until when, by name. */
  rateLimitedQueues: { name: string; rate: QueueRate; until: number }[];
}

/**
 * Reads the counts and the workers alive as of `now`, as seen from `host` (whose workers are
 * checked by pid, others by heartbeat: see `liveWorkers`).
 */
export async function readQueueStatus(
  store: Store,
  here: { now: number; host: string },
): Promise<QueueStatus> {
  const config = configFromOverrides(await store.configOverrides());
  const counts = await store.jobCountByState();
  const workers = await liveWorkers(await store.workerList(), { ...here, config });
  const queues = await store.queueSettings();
  const pausedQueues = queues.filter((queue) => isQueuePaused(queue, here.now));
  const rateLimitedQueues = queues.flatMap((queue) => {
    const { rate, limitedUntil } = queueRateState(queue, here.now);
    return rate === null || rate === "invalid" || limitedUntil === null
      ? []
      : [{ name: queue.name, rate, until: limitedUntil }];
  });
  return { counts, workers, pausedQueues, rateLimitedQueues };
}
