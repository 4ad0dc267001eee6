/**
 * The job: its states and its stored shape. What a user submits, and its checks, are in
 * `job_spec.ts`.
 *
 * @module
 */
import type { StoredExitCodes } from "./exit_codes.ts";
import type { StoredOutcomes } from "./finish_hooks.ts";

/**
 * Where a job is in its life. A job is in exactly one state at any time.
 * - `blocked`: waiting for its parents (`after`) to complete; then it becomes `pending`. A
 *   batch's callback job (`--on-complete`, `--on-failure`) waits so for its batch to settle.
 * - `pending`: waiting to run for the first time (or again after `retry` or `dlq retry`).
 * - `processing`: claimed by a worker under a lease; its command is running.
 * - `completed`: its command exited 0. Final.
 * - `failed`: its last run failed and it will run again at `runAt` (retries left).
 * - `dead`: it failed with no retries left; it sits in the dead-letter queue until retried.
 * - `canceled`: a user canceled it (`queuectl cancel`), or a parent it waited for ended dead or
 *   canceled; it never runs again. Final.
 */
export type JobState =
  | "blocked"
  | "pending"
  | "processing"
  | "completed"
  | "failed"
  | "dead"
  | "canceled";

/** The states a job never leaves by itself. */
export const FINAL_STATES: readonly JobState[] = ["completed", "dead", "canceled"];

/** Every state, in the order `status` shows them. */
export const JOB_STATES: readonly JobState[] = [
  // The seed's five first, in its order (status --json keys follow this order).
  "pending",
  "processing",
  "completed",
  "failed",
  "dead",
  "canceled",
  "blocked",
];

/**
 * A job as stored. Times are epoch milliseconds. Values are as the row holds them, even ones
 * queuectl never writes (a row edited by hand, by an older version, by a bug): a time out of
 * range, NaN, a state not in `JOB_STATES`. Readers show such a field as "invalid"
 * (`cli/render.ts`); only what cannot be read at all is listed in `unreadable`.
 */
export interface Job {
  id: string;
  command: string;
  state: JobState;
  /** Runs started so far; a claim counts one. */
  attempts: number;
  /** How many runs after the first one may fail before the job is dead. */
  maxRetries: number;
  priority: number;
  queue: string;
  /** Seconds before the run is killed; null means the `job_timeout` config applies. */
  timeoutSeconds: number | null;
  /** This job's backoff base; null means the `backoff_base` config applies. */
  backoffBase: number | null;
  /**
   * The shell that runs the command (`sh`, `bash`, `pwsh`, `cmd`, … or an absolute path); null
   * means the `shell` config in force when it runs.
   */
  shell: string | null;
  /** Where the command runs; null means the worker's own directory. */
  cwd: string | null;
  /** Variables added to the command's environment. */
  env: Record<string, string> | null;
  /** When a user asked to cancel the job while it was running. */
  cancelRequestedAt: number | null;
  /** While a job with this key is unfinished, enqueueing another with it adds nothing. */
  uniqueKey: string | null;
  /**
   * The policy the job was enqueued with for its key (`keep`, `replace`, `debounce`; any other
   * stored text reads as invalid); null: no policy given (`keep`).
   */
  uniquePolicy: string | null;
  /** The `debounce_max` it was enqueued with, in ms; null: none. */
  debounceMaxMs: number | null;
  /** When the job may run next (pending/failed); when it last became due otherwise. */
  runAt: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  lastError: string | null;
  /** The worker process holding the lease while `processing`. */
  leaseOwner: string | null;
  /** Grows by one on every claim; a finish must present the token of its claim (fencing). */
  leaseToken: number;
  leaseExpiresAt: number | null;
  /** The process group of the running command, and its leader's start time (to spot reuse). */
  pgid: number | null;
  pgidStartTime: string | null;
  /** Only these exit codes are retried; null: the queue's policy applies. */
  retryOn: StoredExitCodes;
  /** These exit codes are never retried; null: the queue's policy applies. */
  noRetryOn: StoredExitCodes;
  /** A command or webhook URL run as a job of its own when this job ends; null: none. */
  onFinish: string | null;
  /** The outcomes `onFinish` fires on; null: every one (completed, dead, canceled). */
  onFinishWhen: StoredOutcomes;
  /** The job whose end this hook job reports (its hooks fire no hooks); null: no hook job. */
  hookFor: string | null;
  /** The batch it belongs to (`enqueue --batch`); null: none. */
  batch: string | null;
  /** Its group: with a group limit on its queue, at most that many of one group run at once. */
  groupKey: string | null;
  /**
   * The fields whose stored value could not be read at all (an `env` that is not a JSON object
   * of strings); each holds null here. Absent when every field was read.
   */
  unreadable?: readonly "env"[];
}

/** One run of a job, as kept in its history. */
export interface JobRun {
  jobId: string;
  /** The lease token of the run's claim: unique per job, growing with every run. */
  run: number;
  attempt: number;
  workerId: string | null;
  startedAt: number;
  finishedAt: number;
  /**
   * `completed`, `failed`, `rescued`, `timeout`, `released` (a lease given back that no slot
   * ran), `interrupted` (stopped by a worker shutdown: not a failure, the attempt given back),
   * `canceled`.
   */
  outcome: string;
  exitCode: number | null;
  error: string | null;
  /** The tail of each stream as kept, and how many bytes the stream had in all. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  stdoutBytes: number;
  stderrBytes: number;
}
