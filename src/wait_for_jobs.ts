/**
 * Waiting until jobs are finished (completed, dead or canceled): the one polling loop behind
 * `queuectl wait` and the library's `Queue.wait`, so both give up, fail and report alike.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { NotFoundError, WaitTimeoutError } from "./errors.ts";
import { FINAL_STATES, type Job } from "./job.ts";
import type { Store } from "./store/mod.ts";
import { waitUntil } from "./wait_until.ts";

/** How long and how often `waitForJobs` looks. */
export interface WaitForJobsOptions {
  /** Gives up with `WaitTimeoutError` after this long; default: never. */
  timeoutMs?: number;
  /** How long between looks at the jobs (default 200 ms). */
  pollMs?: number;
  /** Stops waiting, rejecting with `signal.reason`. */
  signal?: AbortSignal;
  /** Called with the jobs as they are at every look (the CLI's progress line). */
  onPoll?(jobs: Job[]): void;
}

/** How long between looks when the caller does not say. */
export const DEFAULT_WAIT_POLL_MS = 200;

/**
 * Resolves with the jobs, in the order of `ids`, once every one is in a final state (a job seen
 * final is taken as it was then). Throws `NotFoundError` for an id with no job (at any look
 * before it was seen final: a job may be purged meanwhile),
 * `WaitTimeoutError` when `timeoutMs` passes first, and `signal.reason` when it is aborted.
 * The jobs are looked at once more after the timeout passed, so a zero timeout looks once.
 */
export async function waitForJobs(
  store: Store,
  clock: Clock,
  ids: readonly string[],
  options: WaitForJobsOptions = {},
): Promise<Job[]> {
  const { timeoutMs = Infinity, pollMs = DEFAULT_WAIT_POLL_MS, signal } = options;
  // A job once seen final is not read again: a wait over thousands of jobs reads fewer each time.
  const seenFinal = new Map<string, Job>();
  let jobs: Job[] = [];
  const finished = await waitUntil(async () => {
    jobs = await readJobs(store, ids, seenFinal);
    options.onPoll?.(jobs);
    return jobs.every((job) => FINAL_STATES.includes(job.state));
  }, { clock, timeoutMs, intervalMs: pollMs, signal });
  if (finished) return jobs;
  const unfinished = jobs.filter((job) => !FINAL_STATES.includes(job.state));
  throw new WaitTimeoutError(timeoutMs, unfinished.map(({ id, state }) => ({ id, state })));
}

async function readJobs(
  store: Store,
  ids: readonly string[],
  seenFinal: Map<string, Job>,
): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const id of ids) {
    const job = seenFinal.get(id) ?? await store.jobGet({ id });
    if (!job) throw new NotFoundError(`No job with id "${id}"`);
    if (FINAL_STATES.includes(job.state)) seenFinal.set(id, job);
    jobs.push(job);
  }
  return jobs;
}
