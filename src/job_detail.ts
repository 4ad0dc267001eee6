/**
 * One job with everything known about it: its runs and its place in the dependency graph.
 * What `queuectl info` shows and the library's `Queue.job` returns.
 *
 * @module
 */
import type { Job, JobRun } from "./job.ts";
import type { JobDependencies, Store } from "./store/mod.ts";

/** A job, its runs (oldest first), its parents and its children. */
export interface JobDetail extends JobDependencies {
  job: Job;
  runs: JobRun[];
}

/** Reads a job with its runs and dependencies; undefined when there is no job with that id. */
export async function readJobDetail(store: Store, id: string): Promise<JobDetail | undefined> {
  const job = await store.jobGet({ id });
  if (!job) return undefined;
  const [runs, { parents, children }] = await Promise.all([
    store.jobRuns({ id }),
    store.jobDependencies({ id }),
  ]);
  return { job, runs, parents, children };
}
