/**
 * What a program passes to `Queue.enqueue`: a command line, or an object with the fields of the
 * `queuectl enqueue` JSON form, checked by the same code (`jobSpecFromValue`), so the library
 * accepts and refuses exactly what the CLI does.
 *
 * @module
 */
import { errorMessage, UsageError } from "../errors.ts";
import { type JobSpec, jobSpecFromValue, validateCommand } from "../job_spec.ts";

/**
 * A job as the fields of the `queuectl enqueue` JSON form (snake_case, like every JSON shape
 * of queuectl). Only `command` is required; a field left out, or `undefined`, takes its
 * default. Checked at run time as the CLI checks JSON: unknown fields are refused too.
 */
export interface JobInput {
  /** The command line the job runs. */
  command: string;
  /** 1–128 letters, digits, `.` `_` `:` `-`; unique. Default: generated (sorts by time). */
  id?: string;
  /** The queue's name. Default: `default`. */
  queue?: string;
  /** An integer from -1000000 to 1000000; higher runs first. Default: 0. */
  priority?: number;
  /** Failed runs allowed after the first before the job is dead (0–1000). Default: config. */
  max_retries?: number;
  /** Seconds before a run is killed (0 = none). Default: config `job_timeout`. */
  timeout?: number;
  /** The time before which it does not run: a `Date`, or ISO 8601 with a zone. */
  run_at?: string | Date;
  /** Or: how long to wait first, `"30s"`, `"5m"`, `"2h"`, or a number of seconds. */
  delay?: string | number;
  /** This job's backoff base (1–1000). Default: config `backoff_base`. */
  backoff_base?: number;
  /** The directory to run in; a relative one resolves against `Deno.cwd()`. Default: that. */
  cwd?: string;
  /** Variables added to the command's environment (no `QUEUECTL_` names). */
  env?: Record<string, string>;
  /** Ids of jobs (stored, or in the same batch) that must complete before this one runs. */
  after?: string | readonly string[];
  /** While an unfinished job holds this key, enqueueing another adds nothing. */
  unique_key?: string;
  /**
   * When `unique_key` is held by an unfinished job: `keep` (add nothing; the default),
   * `replace` (cancel a waiting holder and add this job) or `debounce` (push the waiting
   * holder's run time to this job's, and give it this job's command). A running holder is
   * never touched. Needs `unique_key`.
   */
  unique_policy?: "keep" | "replace" | "debounce";
  /**
   * With `debounce`: how far past the holder's creation its run time may be pushed: `"5m"`,
   * or a number of seconds. Default: no cap.
   */
  debounce_max?: string | number;
  /**
   * The shell that runs `command`: `sh`, `bash`, `zsh`, `dash`, `ksh`, `fish`, `pwsh`,
   * `powershell`, `cmd` or an absolute path. Default: config `shell` when the job runs.
   */
  shell?: string;
  /**
   * Only failures with these exit codes (0–255, at most 64) are retried; any other goes to the
   * DLQ at once. Default: the queue's (`queuectl queue set-retry`).
   */
  retry_on?: readonly number[];
  /** Or: failures with these exit codes are never retried. Not with `retry_on`. */
  no_retry_on?: readonly number[];
  /**
   * A finish hook: a command run as a job of its own when this job ends (with
   * `QUEUECTL_JOB_ID`, `QUEUECTL_JOB_STATE`, `QUEUECTL_JOB_EXIT_CODE` … naming it), or an
   * http(s) URL the job's JSON is POSTed to (retried like any job until it answers 2xx).
   */
  on_finish?: string;
  /** The outcomes `on_finish` fires on: `completed`, `dead`, `canceled`. Default: all three. */
  on_finish_when?: readonly ("completed" | "dead" | "canceled")[];
  /** The batch it joins (see `Queue.enqueueMany`'s `batch`). */
  batch?: string;
  /**
   * Its group (a tenant, a host): with a group limit on its queue (`Queue.setGroupConcurrency`),
   * at most that many jobs of one group run at once.
   */
  group_key?: string;
}

/** Checks one job given to the library; a `UsageError` names what is wrong. */
export function jobSpecFromInput(input: string | JobInput): JobSpec {
  if (typeof input === "string") return { command: validateCommand(input) };
  return jobSpecFromValue(asJsonFields(input));
}

/** Checks a batch; a `UsageError` names the index of the first bad job. */
export function jobSpecsFromInputs(inputs: readonly (string | JobInput)[]): JobSpec[] {
  if (!Array.isArray(inputs)) {
    throw new UsageError(`Invalid jobs: expected an array, got ${typeof inputs}`);
  }
  return inputs.map((input, index) => {
    try {
      return jobSpecFromInput(input);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`Job at index ${index}: ${errorMessage(error)}`);
    }
  });
}

/**
 * The input as the JSON form would carry it: `undefined` fields dropped (TypeScript callers
 * pass them for "not given"; JSON cannot) and a `Date` as its ISO text.
 */
function asJsonFields(input: JobInput): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  // Own data properties, as JSON.parse makes them: a "__proto__" key stays a field (refused as
  // unknown) instead of setting the prototype, where `command` could be inherited from.
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined).map(([key, value]) => [
      key,
      value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value,
    ]),
  );
}
