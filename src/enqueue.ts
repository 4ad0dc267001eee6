/**
 * Enqueueing, the one path every entry point (CLI, and later the library client) goes through:
 * defaults from the stored config, generated ids, one all-or-nothing insert.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Clock } from "./clock.ts";
import { configFromOverrides } from "./config.ts";
import { generateJobId } from "./ids.ts";
import type { Job, JobSpec } from "./job.ts";
import type { Store } from "./store/mod.ts";

/** Where the jobs are enqueued from: relative `cwd`s resolve against `cwd`. */
export interface EnqueueOrigin {
  cwd: string;
}

/**
 * Adds the jobs, all or none; throws `ConflictError` for an id that exists. A job runs in the
 * directory it was enqueued from unless it names another (as pueue and task-spooler do).
 */
export async function enqueueJobs(
  store: Store,
  clock: Clock,
  specs: JobSpec[],
  origin: EnqueueOrigin = { cwd: Deno.cwd() },
): Promise<Job[]> {
  const config = configFromOverrides(await store.configOverrides());
  const now = clock.now();
  // Batches repeat a handful of directories: resolve each once.
  const directories = new Map<string | undefined, string>();
  const directory = (cwd: string | undefined) => {
    let resolved = directories.get(cwd);
    if (resolved === undefined) directories.set(cwd, resolved = resolve(origin.cwd, cwd ?? "."));
    return resolved;
  };
  return await store.jobInsert({
    now,
    jobs: specs.map((spec) => ({
      id: spec.id ?? generateJobId(now),
      command: spec.command,
      maxRetries: spec.maxRetries ?? config.maxRetries,
      timeoutSeconds: spec.timeoutSeconds ?? null,
      runAt: spec.runAt ?? now + (spec.delayMs ?? 0),
      priority: spec.priority ?? 0,
      queue: spec.queue ?? DEFAULT_QUEUE,
      backoffBase: spec.backoffBase ?? null,
      cwd: directory(spec.cwd),
      env: spec.env ?? null,
    })),
  });
}

/** The queue of jobs that name none. */
export const DEFAULT_QUEUE = "default";
