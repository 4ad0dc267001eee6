/**
 * Enqueueing, the one path every entry point (CLI, and later the library client) goes through:
 * defaults from the stored config, generated ids, one all-or-nothing insert.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { configFromOverrides } from "./config.ts";
import { generateJobId } from "./ids.ts";
import type { Job, JobSpec } from "./job.ts";
import type { Store } from "./store/mod.ts";

/** Adds the jobs, all or none; throws `ConflictError` for an id that exists. */
export async function enqueueJobs(store: Store, clock: Clock, specs: JobSpec[]): Promise<Job[]> {
  const config = configFromOverrides(await store.configOverrides());
  const now = clock.now();
  return await store.jobInsert({
    now,
    jobs: specs.map((spec) => ({
      id: spec.id ?? generateJobId(now),
      command: spec.command,
      maxRetries: spec.maxRetries ?? config.maxRetries,
      timeoutSeconds: spec.timeoutSeconds ?? null,
      runAt: now,
    })),
  });
}
