/**
 * Running finished jobs again, by ids or by a filter: the one implementation behind
 * `queuectl retry`, `POST /api/jobs/retry` and `Queue.retry`, so the three check a filter the same
 * way and answer with the same `RetryJson`.
 *
 * @module
 */
import { parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { FINAL_STATES, type Job, JOB_STATES, type JobState } from "./job.ts";
import { parseRunAt, validateJobId, validateQueueName } from "./job_spec.ts";
import { jobToJson, type RetryJson } from "./json_contract.ts";
import type { JobFilter, Store } from "./store/mod.ts";

/** The keys a retry filter takes. */
export const RETRY_FILTER_KEYS = ["state", "queue", "since"] as const;

/**
 * A retry filter as given: `state` (finished states; none: all of them), `queue` and `since`
 * (a duration ago like `1h`, or an ISO time). A list may also be one comma-separated string.
 */
export interface RetryFilterInput {
  /** Finished states: `completed`, `dead`, `canceled` (none given: all three). */
  state?: string | readonly string[];
  /** Queue names (none given: every queue). */
  queue?: string | readonly string[];
  /** Jobs enqueued since: a duration ago (`"1h"`, `"2d"`) or an ISO time. */
  since?: string;
}

/**
 * Checks a retry filter and turns it into the store's `JobFilter`. `where` names it in errors
 * (`--filter` for the CLI, `filter` for the API). At least one key must be given: an empty
 * filter is refused rather than read as "every finished job".
 *
 * @example
 * ```ts
 * import { retryFilter } from "./retry_finished.ts";
 * const filter = retryFilter({ state: "dead", since: "1h" }, 7_200_000, "filter");
 * console.assert(filter.createdSince === 3_600_000);
 * ```
 */
export function retryFilter(input: RetryFilterInput, now: number, where: string): JobFilter {
  const states = listOf(input.state, `${where} state`).map((name) => {
    const state = name.toLowerCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new UsageError(
        `Unknown state ${JSON.stringify(name)}: use one of ${JOB_STATES.join(", ")}`,
      );
    }
    return state as JobState;
  });
  const queues = listOf(input.queue, `${where} queue`).map((name) =>
    validateQueueName(name, `${where} queue`)
  );
  if (input.since !== undefined && typeof input.since !== "string") {
    throw new UsageError(`Invalid ${where} since: expected a string like "1h" or an ISO time`);
  }
  if (input.state === undefined && input.queue === undefined && input.since === undefined) {
    throw new UsageError(
      `Empty ${where}: give at least one of ${RETRY_FILTER_KEYS.join(", ")}` +
        ` (the states ${FINAL_STATES.join(", ")} for every finished job)`,
    );
  }
  const createdSince = input.since === undefined
    ? undefined
    : /^\d{4}-\d{2}-\d{2}T/.test(input.since)
    ? parseRunAt(input.since, `${where} since`)
    : now - parseDuration(input.since, `${where} since`);
  const notFinal = states.filter((state) => !FINAL_STATES.includes(state));
  if (notFinal.length > 0) {
    throw new UsageError(
      `Cannot retry ${notFinal.join(", ")} jobs: only ${
        FINAL_STATES.join(", ")
      } jobs can be retried`,
    );
  }
  return {
    states: states.length > 0 ? [...new Set(states)] : [...FINAL_STATES],
    queues: queues.length > 0 ? [...new Set(queues)] : undefined,
    createdSince,
  };
}

/** A string, a comma-separated string or a list of strings, as a list of non-empty names. */
function listOf(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  const parts = typeof value === "string"
    ? value.split(",")
    : Array.isArray(value) && value.every((part) => typeof part === "string")
    ? value as string[]
    : undefined;
  const names = parts?.map((part) => part.trim());
  if (!names || names.length === 0 || names.includes("")) {
    throw new UsageError(
      `Invalid ${where} ${JSON.stringify(value)}: expected a name or a list of names`,
    );
  }
  return names;
}

/**
 * Parses the CLI's `--filter state=dead,queue=images,since=1h`: a key given twice adds its values
 * (`state` and `queue`; `since` once), then checks it as `retryFilter` does.
 *
 * @example
 * ```ts
 * import { parseRetryFilterText } from "./retry_finished.ts";
 * const filter = parseRetryFilterText("state=dead,state=canceled,queue=images", 0);
 * console.assert(filter.states?.length === 2 && filter.queues?.[0] === "images");
 * ```
 */
export function parseRetryFilterText(text: string, now: number): JobFilter {
  const input: { state: string[]; queue: string[]; since?: string } = { state: [], queue: [] };
  for (const part of text.split(",")) {
    const equals = part.indexOf("=");
    const key = part.slice(0, Math.max(equals, 0)).trim().toLowerCase();
    const value = part.slice(equals + 1).trim();
    if (equals <= 0 || value === "") {
      throw new UsageError(
        `Invalid --filter ${
          JSON.stringify(text)
        }: expected KEY=VALUE pairs like state=dead,queue=images,since=1h`,
      );
    }
    if (key === "state") input.state.push(value);
    else if (key === "queue") input.queue.push(value);
    else if (key === "since") {
      if (input.since !== undefined) throw new UsageError("Give since once in --filter");
      input.since = value;
    } else {
      throw new UsageError(
        `Unknown --filter key ${JSON.stringify(key)}: use ${RETRY_FILTER_KEYS.join(", ")}`,
      );
    }
  }
  return retryFilter(
    {
      state: input.state.length > 0 ? input.state : undefined,
      queue: input.queue.length > 0 ? input.queue : undefined,
      since: input.since,
    },
    now,
    "--filter",
  );
}

/** What to retry: named jobs, or those a filter matches. */
export type RetryTarget =
  | { ids: readonly string[]; filter?: undefined; dryRun?: undefined }
  | {
    ids?: undefined;
    filter: JobFilter;
    /**
     * true: only list the matching jobs; false: retry them all; not given: retry when exactly
     * one matches, else only list them (the CLI without `--yes`, the API without `dry_run`).
     */
    dryRun?: boolean;
  };

/**
 * Retries finished jobs and answers as `queuectl retry --json` does. By ids: all or none (the
 * store throws `NotFoundError` or `ConflictError`, changing nothing). By filter: the matching
 * jobs, or, on a dry run, none (`dry_run: true`, `jobs` lists what would be retried).
 *
 * @example
 * ```ts ignore
 * const answer = await retryFinished(store, { filter, dryRun: true }, Date.now());
 * console.log(`${answer.jobs.length} jobs would be retried`);
 * ```
 */
export async function retryFinished(
  store: Store,
  target: RetryTarget,
  now: number,
): Promise<RetryJson> {
  let jobs: Job[];
  let ids: string[];
  if (target.filter) {
    jobs = await store.jobList({ ...target.filter, order: "enqueue", limit: 0 });
    const dryRun = target.dryRun ?? jobs.length > 1;
    if (jobs.length === 0 || dryRun) {
      return { dry_run: dryRun, jobs: jobs.map(jobToJson), retried: [], kept: [] };
    }
    ids = jobs.map((job) => job.id);
  } else {
    ids = [...new Set(target.ids.map((id) => validateJobId(id)))];
    if (ids.length === 0) throw new UsageError("Missing job id: give one or more ids");
    // As they were (for the answer); an unknown or unfinished id makes the store refuse them all.
    jobs = [];
    for (const id of ids) {
      const job = await store.jobGet({ id });
      if (job) jobs.push(job);
    }
  }
  const retried = await store.jobRetryFinished({ ids, now });
  return {
    dry_run: false,
    jobs: jobs.map(jobToJson),
    retried,
    kept: ids.filter((id) => !retried.includes(id)),
  };
}
