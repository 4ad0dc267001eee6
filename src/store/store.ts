/**
 * The one interface every backend implements. Each method's contract is documented here, once;
 * `tests/store/store_contract.ts` checks every implementation against it. Times are epoch
 * milliseconds passed in by the caller (`now`): no implementation reads the clock.
 *
 * @module
 */
import type { StoredExitCodes } from "../exit_codes.ts";
import type { FinishOutcome } from "../finish_hooks.ts";
import type { Job, JobRun, JobState } from "../job.ts";
import type { UniquePolicy } from "../unique_policy.ts";

export type { StoredExitCodes };

/** A new job, with every default already resolved by the caller. */
export interface NewJob {
  id: string;
  command: string;
  maxRetries: number;
  timeoutSeconds: number | null;
  runAt: number;
  priority: number;
  queue: string;
  backoffBase: number | null;
  cwd: string | null;
  env: Record<string, string> | null;
  /** Ids of jobs (stored, or earlier or later in the same batch) that must complete first. */
  after: string[];
  uniqueKey: string | null;
  /** What to do when an unfinished job holds `uniqueKey` (`decideUniqueConflict`); absent: keep. */
  uniquePolicy?: UniquePolicy;
  /** With `debounce`: how far past the holder's creation its `run_at` may be pushed, in ms. */
  debounceMaxMs?: number | null;
  /** The job's own shell; null: the `shell` config when it runs. */
  shell: string | null;
  /** Only these exit codes are retried; null (or absent): the queue's policy. */
  retryOn?: readonly number[] | null;
  /** These exit codes are never retried; null (or absent): the queue's policy. */
  noRetryOn?: readonly number[] | null;
  /** Run as a job of its own when this job ends (see `Job.onFinish`); null (or absent): none. */
  onFinish?: string | null;
  /** The outcomes `onFinish` fires on; null (or absent): every one. */
  onFinishWhen?: readonly FinishOutcome[] | null;
  /** The batch the job belongs to (created with its first jobs); null (or absent): none. */
  batch?: string | null;
  /** Its group (a tenant, a host): at most the queue's group limit of one group run at once. */
  groupKey?: string | null;
}

/**
 * The callbacks of a batch, for the `jobInsert` that creates it: each is added `blocked` with the
 * batch, and when the batch settles the one that applies becomes `pending` (the other canceled).
 */
export interface NewBatch {
  name: string;
  /** Runs when every job of the batch completed. */
  onComplete: NewJob | null;
  /** Runs when the batch settled with a job dead or canceled. */
  onFailure: NewJob | null;
}

/** How a settled batch ended: `completed` (every job completed) or `failed`. */
export type BatchOutcome = "completed" | "failed";

/** A batch: its callbacks, whether it settled, and how many of its jobs are in each state. */
export interface BatchInfo {
  name: string;
  createdAt: number;
  /** When its last unfinished job reached a final state; null while it is open. */
  settledAt: number | null;
  /** Null while open; as stored (readers show a value out of range as invalid). */
  outcome: BatchOutcome | null;
  /** The on-complete callback: its command and its job's id and state (null: none). */
  onComplete: BatchCallback | null;
  onFailure: BatchCallback | null;
  counts: Record<JobState, number>;
  /** When its first job started (the earliest start of its jobs' runs); null before one did. */
  firstStartedAt: number | null;
  /** The latest finish of its jobs; null before one finished. */
  lastFinishedAt: number | null;
}

/** A batch's callback job. */
export interface BatchCallback {
  command: string;
  jobId: string;
  /** Null when the job is gone (purged). */
  state: JobState | null;
}

/** What `jobInsert` did with one new job. */
export interface JobInsertResult {
  /** `job.id`, readable without building the whole row. */
  id: string;
  /** The new job, or the unfinished job that holds its unique key already. */
  readonly job: Job;
  /** True when nothing was added because `job` held the unique key already. */
  existing: boolean;
  /**
   * What a `replace` or `debounce` policy did: `replaced` (the waiting holder `replacedId` was
   * canceled and this job added) or `debounced` (`job` is the holder, pushed; `existing` is
   * true). Absent when the job was simply added or the holder kept (a running holder is never
   * replaced or pushed).
   */
  uniqueOutcome?: "replaced" | "debounced";
  /** With `uniqueOutcome: "replaced"`: the job canceled to make way. */
  replacedId?: string;
}

/** A job's place in the dependency graph. */
export interface JobDependencies {
  parents: { id: string; state: JobState }[];
  children: { id: string; state: JobState }[];
}

/** When a schedule that could not run on time (no worker was up) runs. */
export type MissedPolicy = "run-once" | "skip";

/** What each run of a schedule enqueues. */
export interface ScheduledJob {
  command: string;
  queue?: string;
  priority?: number;
  timeoutSeconds?: number;
  maxRetries?: number;
  cwd?: string;
  env?: Record<string, string>;
  shell?: string;
}

/** A cron schedule. */
export interface Schedule {
  name: string;
  cron: string;
  /** IANA time zone the cron expression is read in. */
  timezone: string;
  job: ScheduledJob;
  missed: MissedPolicy;
  paused: boolean;
  /** The next time it fires; null when paused or when the expression has no future time. */
  nextRunAt: number | null;
  lastRunAt: number | null;
  createdAt: number;
  /** Set when the stored job template cannot be read: the schedule never fires. */
  unreadable?: readonly "job"[];
}

/** A queue's settings: its limit, its pause and its retry policy. */
export interface QueueSettings {
  name: string;
  /** Most jobs of this queue running at once, across all workers; null = no limit. */
  concurrency: number | null;
  /** When it was paused; null when not paused. */
  pausedAt: number | null;
  /**
   * When a timed pause ends; null (with `pausedAt` set) = until resumed. A pause whose end has
   * passed is over: `isQueuePaused()` and the claim read it so, nothing clears it.
   */
  pausedUntil: number | null;
  /** Only these exit codes are retried (jobs of the queue without a list of their own). */
  retryOn: StoredExitCodes;
  /** These exit codes are never retried (jobs of the queue without a list of their own). */
  noRetryOn: StoredExitCodes;
  /** At most this many starts per `ratePeriodMs`, across all workers; null = no rate limit. */
  rateLimit: number | null;
  /** The rate limit's sliding window; null = no rate limit. */
  ratePeriodMs: number | null;
  /** Most running jobs of one `groupKey` at once, across all workers; null = no limit. */
  groupConcurrency: number | null;
  /**
   * The start times of its recent claims, oldest first, while it has a rate limit (empty
   * otherwise); may hold some already out of the window (see `rateLimitedUntil()`).
   */
  recentStarts: number[];
}

/** A queue with its settings and how many of its jobs are in each state. */
export interface QueueInfo extends QueueSettings {
  counts: Record<JobState, number>;
}

/** A piece of a running job's output. */
export interface OutputChunk {
  stream: OutputStream;
  /** Byte offset of `data` within its stream. */
  offset: number;
  data: Uint8Array;
}

/** Which of a command's output streams. */
export type OutputStream = "stdout" | "stderr";

/** A worker process as registered in the store. */
export interface WorkerProcess {
  id: string;
  host: string;
  pid: number;
  /** The start time of `pid` as the OS reports it, so a reused pid is not mistaken for this one. */
  pidStartTime: string | null;
  /** How many jobs it runs at once. */
  concurrency: number;
  startedAt: number;
  heartbeatAt: number;
  /** `drain` or `now` once a stop was requested. */
  stopRequested: StopMode | null;
}

/** How a worker process is asked to stop: finish running jobs first, or at once. */
export type StopMode = "drain" | "now";

/** A registered worker process with the jobs it holds leases on. */
export interface WorkerProcessWithJobs extends WorkerProcess {
  jobIds: string[];
}

/** How a run ended, as the worker reports it to `jobFinish`. */
export interface JobFinish {
  id: string;
  leaseToken: number;
  now: number;
  /** The state the job moves to; `processing` is not allowed. */
  state: Exclude<JobState, "processing">;
  /** When it may run next (for `failed` and `pending`). */
  runAt?: number;
  exitCode: number | null;
  error: string | null;
  /**
   * Recorded in the run history: `completed`, `failed`, `timeout`, `rescued`, `released`,
   * `interrupted`, `canceled`.
   */
  outcome: string;
  /** The kept tail of each stream, and the stream's whole length in bytes. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  stdoutBytes: number;
  stderrBytes: number;
  /** True when the run must not count as an attempt (released by a stop `--now`). */
  refundAttempt?: boolean;
  /**
   * For a rescue by lease expiry: applies only if the lease expired before this time, so a job
   * whose owner renewed its lease after the rescuer looked is left alone.
   */
  leaseExpiredBefore?: number;
}

/** Which jobs `jobList` and `jobCount` look at. */
export interface JobFilter {
  /** Only jobs in these states; all states when not given or empty. */
  states?: JobState[];
  /** Only jobs of these queues; all queues when not given (an empty list matches none). */
  queues?: string[];
  /** Only jobs created at or after this time. */
  createdSince?: number;
  /** Only the jobs of this batch. */
  batch?: string;
  /**
   * Only jobs whose id or command contains this text (trimmed), ignoring the case of ASCII
   * letters (PostgreSQL folds other letters too; SQLite does not).
   */
  search?: string;
}

/** Filters, order and page for `jobList`. */
export interface JobListParams extends JobFilter {
  /**
   * `enqueue` (default): enqueue order; `run_at`: by next run time, then enqueue order;
   * `newest`: the latest enqueued first.
   */
  order?: "enqueue" | "run_at" | "newest";
  limit?: number;
  /** How many of the matching jobs to skip first (paging). */
  offset?: number;
}

/** How many runs ended in one time bucket with one outcome. */
export interface RunBucket {
  /** The bucket's start (epoch ms). */
  start: number;
  outcome: string;
  count: number;
}

/** A cumulative histogram: `buckets[i]` runs took at most the i-th bound asked for. */
export interface Histogram {
  buckets: number[];
  count: number;
  /** Sum of every value, in milliseconds. */
  sumMs: number;
}

/** Every recorded run, by outcome, with how long runs took and how long jobs waited to start. */
export interface RunTotals {
  byOutcome: Record<string, number>;
  /** From a run's start to its end. */
  duration: Histogram;
  /** From when a job was due (enqueued, delayed, or retried) to its run's start. */
  wait: Histogram;
}

/**
 * The queue's storage. Every state change is one short transaction.
 *
 * Finish hooks, whichever method ends a job: in the transaction that moves a job that is not
 * itself a hook job (`hookFor` null) into `completed`, `dead` or `canceled`, the store adds
 * one `pending` hook job per hook that fires: the job's own `onFinish` when `onFinishWhen` is
 * null or names the state, then the `on_<state>` config value when set. A hook job runs the
 * hook as its command, with `hookFor` = the job's id, its queue and priority, max_retries from
 * the `max_retries` config (its default when unset or unreadable), due at the finish's time,
 * and the `HOOK_VARIABLES` of `finish_hooks.ts` in its env; a job's own hook also runs in its
 * directory and shell. A hook job's own end adds no hook job.
 */
export interface Store {
  /** Where the store lives, safe to print (passwords masked). */
  readonly location: string;

  /** Releases the connection. */
  close(): Promise<void>;

  /** How many schema migrations the store has applied (opening a store applies them all). */
  schemaVersion(): Promise<number>;

  /**
   * Adds jobs, all or none, in one transaction; the write is durable (fsync'd) before this
   * resolves. A job with `after` is `blocked` until every parent completed (`pending` at once if
   * they all have). A job whose `uniqueKey` is held by an unfinished job (blocked, pending,
   * processing, failed; or an earlier job of the batch) is not added: that job is returned in
   * its place with `existing: true`, unless the new job's `uniquePolicy` says otherwise: with
   * `replace`, a waiting holder (blocked, pending, failed) is canceled ("Replaced by job ID";
   * its children wait on the new job instead) and the new job added; with `debounce`, a waiting
   * holder keeps its id, takes the new job's command, env, cwd and shell, and its `run_at` moves
   * as `decideUniqueConflict` says. A running holder is never touched. Throws, adding nothing: `ConflictError` when an id exists
   * already or a parent is dead or canceled; `NotFoundError` when a parent does not exist. The
   * caller has checked the batch for cycles.
   *
   * Jobs with a `batch` join it, in the same transaction: the batch is created with them (and the
   * callbacks of `params.batch`, added `blocked`); a job answered with a holder of its unique key
   * is not added and does not join. Throws, adding nothing: `ConflictError` when the batch has
   * settled already, or when `params.batch` names callbacks other than the stored batch's.
   */
  jobInsert(params: JobInsertParams): Promise<JobInsertResult[]>;

  /**
   * Every batch, newest first. A batch settles in the transaction that moves its last unfinished
   * job to a final state (any path: finish, rescue, cancel, a parent's cascade), exactly once
   * even when jobs finish at once on several hosts: `settledAt` and `outcome` are set, the
   * callback of the outcome becomes `pending` (with `QUEUECTL_BATCH`, `QUEUECTL_BATCH_OUTCOME`,
   * `QUEUECTL_BATCH_COMPLETED`, `_DEAD`, `_CANCELED` added to its env) and the other one
   * `canceled`. A job of a settled batch run again (retry) leaves it settled: no callback again.
   */
  batchList(): Promise<BatchInfo[]>;

  /** One batch, or undefined. */
  batchGet(params: BatchGetParams): Promise<BatchInfo | undefined>;

  /** The parents and children of a job (empty lists for an unknown id). */
  jobDependencies(params: JobDependenciesParams): Promise<JobDependencies>;

  /** The job with that id, or undefined. */
  jobGet(params: JobGetParams): Promise<Job | undefined>;

  /** Jobs matching every filter given, in the order asked for, at most `limit` (0 = all). */
  jobList(params: JobListParams): Promise<Job[]>;

  /** How many jobs are in each state (every state present, zero when none). */
  jobCountByState(): Promise<Record<JobState, number>>;

  /** How many jobs match every filter given. */
  jobCount(params: JobFilter): Promise<number>;

  /**
   * Runs that ended at or after `since`, counted per outcome in buckets of `bucketMs` starting
   * at `since` (buckets with no run are left out), oldest first.
   */
  runStats(params: RunStatsParams): Promise<RunBucket[]>;

  /** Totals over every recorded run; bounds are in milliseconds, ascending. */
  runTotals(params: RunTotalsParams): Promise<RunTotals>;

  /**
   * Takes the next due job (`pending` or `failed` with `runAt <= now`; highest priority, then
   * earliest `runAt`, then enqueue order) of `queues` (all when not given; none when empty)
   * whose queue is not paused (no `pausedAt`, or a `pausedUntil <= now`), is below
   * its concurrency limit and (with a rate limit) has had fewer than `rateLimit` claims in the
   * `ratePeriodMs` before `now` (a claim at `t` counts while `t > now - ratePeriodMs`), and
   * whose group (with a group limit, and a `groupKey`) has fewer than `groupConcurrency` jobs
   * running; a job of a full group is passed over, not waited behind. Moves it to `processing` under a lease owned by `workerId` until
   * `now + leaseMs`: `attempts` and `leaseToken` grow by one. Atomic: no two callers ever get
   * the same job, and no limit is ever exceeded. Undefined when nothing can be taken.
   */
  jobClaim(params: JobClaimParams): Promise<Job | undefined>;

  /**
   * The earliest `runAt` of a job waiting in `queues` (all when not given), or undefined; for a
   * rate-limited queue, no earlier than when its window frees as of `now` (`rateLimitedUntil`).
   */
  jobNextRunAt(params: JobNextRunAtParams): Promise<number | undefined>;

  /**
   * Cancels jobs: `blocked`, `pending` and `failed` ones become `canceled` at once; `processing`
   * ones get a cancel request (their worker stops them, and their finish then ends `canceled`);
   * jobs in a final state are left alone. Returns which ids went which way. Jobs waiting on a
   * canceled job are canceled with it (see `jobFinish`).
   */
  jobCancel(params: JobCancelParams): Promise<JobCancelResult>;

  /** The jobs `workerId` runs that a user asked to cancel, with their lease tokens. */
  jobListCancelRequested(params: JobListCancelRequestedParams): Promise<JobLease[]>;

  /**
   * Appends output of a running job's current run, keeping only the last `keepBytes` of each
   * stream. Fenced like `jobFinish`: false and no change unless the lease is held.
   */
  jobOutputAppend(params: JobOutputAppendParams): Promise<boolean>;

  /** Output of run `run` (its lease token) of a running job from `fromOffset` on, per stream. */
  jobOutputRead(params: JobOutputReadParams): Promise<OutputChunk[]>;

  /** Deletes jobs in `states` (final states only) that finished before `finishedBefore`. */
  jobPurge(params: JobPurgeParams): Promise<number>;

  /** Sets (or with null, removes) a queue's concurrency limit. */
  queueSetConcurrency(params: QueueSetConcurrencyParams): Promise<void>;

  /** Every queue that has had a job or a setting, by name. */
  queueList(): Promise<QueueInfo[]>;

  /**
   * Every queue's settings, by name, without job counts: one read of the (small) queues table,
   * for `status` and for a worker that needs a queue's retry policy.
   */
  queueSettings(): Promise<QueueSettings[]>;

  /**
   * Pauses a queue (`pausedAt` set; until `pausedUntil`, or until resumed when null) or resumes
   * it (`pausedAt` null). While paused, `jobClaim` takes none of its jobs; running ones go on. A
   * pause creates the queue's row when it has none (as a limit does); a resume of a queue with
   * no row changes nothing. A resume wakes the workers.
   */
  queueSetPaused(params: QueueSetPausedParams): Promise<void>;

  /**
   * Sets the retry policy of a queue's jobs that have none of their own: at most one list is
   * non-null; both null clears it. Creates the queue's row when it has none. The stores only keep
   * the lists: the policy is `afterFailure()`'s (`src/worker/backoff.ts`).
   */
  queueSetRetry(params: QueueSetRetryParams): Promise<void>;

  /**
   * Sets (or with null, removes) a queue's rate limit; creates the queue's row when it has none.
   * A removed or changed rate forgets the recorded starts of the old one.
   */
  queueSetRate(params: QueueSetRateParams): Promise<void>;

  /** Sets (or with null, removes) a queue's per-group limit; creates its row when it has none. */
  queueSetGroupConcurrency(params: QueueSetGroupConcurrencyParams): Promise<void>;

  /** How many jobs of `queue` with `groupKey` are running. */
  jobGroupRunning(params: JobGroupRunningParams): Promise<number>;

  /**
   * Adds a schedule and wakes the workers (`workSubscribe`), which look at the schedules only
   * when one comes due; `ConflictError` when the name is taken.
   */
  scheduleAdd(params: ScheduleAddParams): Promise<void>;

  /** Every schedule, by name. */
  scheduleList(): Promise<Schedule[]>;

  /** Removes a schedule (its jobs stay); false when there was none. */
  scheduleRemove(params: ScheduleRemoveParams): Promise<boolean>;

  /**
   * Pauses or resumes a schedule, setting its next run time (a resume wakes the workers); false
   * when there is none.
   */
  scheduleSetPaused(params: ScheduleSetPausedParams): Promise<boolean>;

  /** The schedules not paused whose `nextRunAt <= now`. */
  scheduleListDue(params: ScheduleListDueParams): Promise<Schedule[]>;

  /**
   * Fires a due schedule, once: only if its `nextRunAt` is still `expectedNextRunAt` (else
   * another process fired it: undefined), moves it to `nextRunAt` and inserts `job` (if any) in
   * the same transaction. Returns the id of the job added (null when `job` is null).
   */
  scheduleFire(params: ScheduleFireParams): Promise<ScheduleFireResult | undefined>;

  /**
   * Records the process group of a claimed job's command. Fenced: false (and no change) unless
   * the job is still `processing` under `leaseToken`.
   */
  jobSetProcess(params: JobSetProcessParams): Promise<boolean>;

  /**
   * Ends a run: moves the job out of `processing` to `state`, clears the lease, drops the run's
   * live output and appends the run to its history. What it writes is `decideFinish()`'s
   * (`src/finish_rules.ts`) for the job as it is in that transaction: a job with a cancel request
   * ends `canceled` instead, unless the run completed, and the run's history keeps the run's own
   * error. In the same transaction, its children follow: when it completed, each child whose
   * parents have all completed becomes `pending`; when it ended dead or canceled, every job
   * waiting on it (transitively) becomes `canceled` with a reason naming it. Fenced: false (and
   * no change at all) unless the job is still `processing` under `leaseToken`, i.e. the caller
   * still holds the lease it claimed.
   */
  jobFinish(params: JobFinish): Promise<boolean>;

  /**
   * `jobFinish(finish)`, then, only if it was recorded, `jobClaim(claim)`, in one transaction:
   * a worker slot's finish that also takes its next job (one round trip and one commit per job
   * instead of two). The claim sees the finish's writes (a place it freed in a limited queue,
   * children it released, hook jobs it added). A finish the fence rejects claims nothing:
   * `{ recorded: false }`. So a call sent again after its answer was lost never claims twice:
   * if the first one committed, the second is fenced off; the job the first one claimed is held
   * under `claim.workerId`'s lease, where a worker gives back a lease none of its slots runs.
   * A claim that has to look again (PostgreSQL: a limited queue another claim held) does so in
   * transactions of its own once the finish has committed; the finish is reported recorded
   * whatever they do.
   */
  jobFinishAndClaim(params: JobFinishAndClaimParams): Promise<JobFinishAndClaimResult>;

  /**
   * Extends to `now + leaseMs` the leases `workerId` holds, and returns the ids and tokens it
   * still holds; a job missing from the answer was lost (rescued) and must not be finished.
   */
  leaseExtend(params: LeaseExtendParams): Promise<JobLease[]>;

  /** Jobs in `processing` whose lease expired before `now`, or whose owner is in `owners`. */
  jobListRescuable(params: JobListRescuableParams): Promise<Job[]>;

  /** Moves dead jobs back to `pending` with `attempts = 0` and returns their ids. */
  jobRetryDead(params: JobRetryDeadParams): Promise<string[]>;

  /**
   * Runs finished jobs (completed, dead or canceled) again, in one transaction: each goes back to
   * `pending` with `attempts = 0`, `runAt = now`, no finish time and no cancel request; its run
   * history stays. One that waits on a parent not completed (a parent retried in the same call,
   * say) becomes `blocked` instead, and is released when that parent completes. Jobs waiting on
   * a retried job are left as they are (retry them in the same call to run them again too). As
   * `jobRetryDead`, a job whose unique key an unfinished job holds stays as it is (of several
   * sharing a key, the newest comes back). Returns the ids retried, in enqueue order. Throws,
   * changing nothing: `NotFoundError` for an unknown id; `ConflictError` for a job not finished,
   * or for one whose parent is dead or canceled and not retried with it (it could never run).
   */
  jobRetryFinished(params: JobRetryFinishedParams): Promise<string[]>;

  /**
   * Changes a waiting job (`pending`, `failed` waiting for its retry, or `blocked`) in one
   * transaction: each field given replaces the stored one, except `env`, whose variables are
   * added to the stored ones (replacing those of the same name). The caller has validated the
   * values. Returns the job as changed, and wakes the workers (a `runAt` moved earlier is due at
   * once). Throws, changing nothing: `NotFoundError` for an unknown id; `ConflictError` for a job
   * running or finished.
   */
  jobEdit(params: JobEditParams): Promise<Job>;

  /** The run history of a job, oldest first. */
  jobRuns(params: JobRunsParams): Promise<JobRun[]>;

  /** Registers (or re-registers) a worker process. */
  workerRegister(params: WorkerProcess): Promise<void>;

  /**
   * Records that the worker process is alive at `now`. Returns its stop request, or undefined
   * when its row is gone (it was deregistered or cleaned up as dead).
   */
  workerHeartbeat(params: WorkerHeartbeatParams): Promise<WorkerHeartbeatResult | undefined>;

  /** Every registered worker process with the ids of the jobs it holds. */
  workerList(): Promise<WorkerProcessWithJobs[]>;

  /** Asks worker processes to stop; returns the ids that were asked. */
  workerRequestStop(params: WorkerRequestStopParams): Promise<string[]>;

  /** Removes a worker process's row (its jobs must have been finished or rescued first). */
  workerDeregister(params: WorkerDeregisterParams): Promise<void>;

  /**
   * Calls `onWork` soon after any process adds work (enqueue, retry, edit), frees a place in a
   * limited queue, or asks to cancel a running job; returns a function that stops watching.
   * Best effort, for fast reactions: callers still poll now and then.
   */
  workSubscribe(params: WorkSubscribeParams): () => void;

  /** The stored config overrides, canonical key → text. */
  configOverrides(): Promise<Record<string, string>>;

  /** Stores one override (the caller has validated it). */
  configSet(params: ConfigSetParams): Promise<void>;

  /** Removes an override so the default applies again; false if there was none. */
  configUnset(params: ConfigUnsetParams): Promise<boolean>;
}

// Each method's parameters (and the results not named above), in the order of the interface.
// A method takes one object named after it; JobListParams, JobFilter (jobCount), JobFinish and
// WorkerProcess (workerRegister) are defined above.

/** `jobInsert`'s parameters. */
export type JobInsertParams = { jobs: NewJob[]; now: number; batch?: NewBatch };

/** `batchGet`'s parameters. */
export type BatchGetParams = { name: string };

/** `jobDependencies`'s parameters. */
export type JobDependenciesParams = { id: string };

/** `jobGet`'s parameters. */
export type JobGetParams = { id: string };

/** `runStats`'s parameters. */
export type RunStatsParams = { since: number; bucketMs: number };

/** `runTotals`'s parameters. */
export type RunTotalsParams = { durationBoundsMs: number[]; waitBoundsMs: number[] };

/** `jobClaim`'s parameters. */
export type JobClaimParams = { workerId: string; leaseMs: number; now: number; queues?: string[] };

/** `jobFinishAndClaim`'s parameters: the finish, and the claim made if it is recorded. */
export type JobFinishAndClaimParams = { finish: JobFinish; claim: JobClaimParams };

/** `jobFinishAndClaim`'s result: whether the finish was recorded, and the job then claimed. */
export type JobFinishAndClaimResult = { recorded: boolean; next?: Job };

/** `jobNextRunAt`'s parameters; without `now`, rate windows are not looked at. */
export type JobNextRunAtParams = { queues?: string[]; now?: number };

/** `jobCancel`'s parameters. */
export type JobCancelParams = { ids: string[]; now: number };

/** What `jobCancel` did: which ids were canceled at once, and which are being stopped. */
export type JobCancelResult = { canceled: string[]; stopping: string[] };

/** `jobListCancelRequested`'s parameters. */
export type JobListCancelRequestedParams = { workerId: string };

/** A job and the lease token its current run holds (`jobListCancelRequested`, `leaseExtend`). */
export type JobLease = { id: string; leaseToken: number };

/** `jobOutputAppend`'s parameters. */
export type JobOutputAppendParams = {
  id: string;
  leaseToken: number;
  chunks: OutputChunk[];
  keepBytes: number;
};

/** `jobOutputRead`'s parameters. */
export type JobOutputReadParams = { id: string; run: number; from: Record<OutputStream, number> };

/** `jobPurge`'s parameters. */
export type JobPurgeParams = { states: JobState[]; finishedBefore: number };

/** `queueSetConcurrency`'s parameters. */
export type QueueSetConcurrencyParams = { name: string; concurrency: number | null };

/** `queueSetPaused`'s parameters. */
export type QueueSetPausedParams = {
  name: string;
  pausedAt: number | null;
  pausedUntil: number | null;
};

/** `queueSetRetry`'s parameters. */
export type QueueSetRetryParams = {
  name: string;
  retryOn: readonly number[] | null;
  noRetryOn: readonly number[] | null;
};

/** `queueSetRate`'s parameters: null removes the limit. */
export type QueueSetRateParams = {
  name: string;
  rate: { limit: number; periodMs: number } | null;
};

/** `queueSetGroupConcurrency`'s parameters: null removes the limit. */
export type QueueSetGroupConcurrencyParams = { name: string; groupConcurrency: number | null };

/** `jobGroupRunning`'s parameters. */
export type JobGroupRunningParams = { queue: string; groupKey: string };

/** `scheduleAdd`'s parameters. */
export type ScheduleAddParams = { schedule: Schedule };

/** `scheduleRemove`'s parameters. */
export type ScheduleRemoveParams = { name: string };

/** `scheduleSetPaused`'s parameters. */
export type ScheduleSetPausedParams = { name: string; paused: boolean; nextRunAt: number | null };

/** `scheduleListDue`'s parameters. */
export type ScheduleListDueParams = { now: number };

/** `scheduleFire`'s parameters. */
export type ScheduleFireParams = {
  name: string;
  expectedNextRunAt: number;
  nextRunAt: number | null;
  job: NewJob | null;
  now: number;
};

/** What `scheduleFire` added. */
export type ScheduleFireResult = { jobId: string | null };

/** `jobSetProcess`'s parameters. */
export type JobSetProcessParams = {
  id: string;
  leaseToken: number;
  pgid: number;
  pgidStartTime: string | null;
};

/** `leaseExtend`'s parameters. */
export type LeaseExtendParams = { workerId: string; leaseMs: number; now: number };

/** `jobListRescuable`'s parameters. */
export type JobListRescuableParams = { now: number; owners: string[] };

/** `jobRetryDead`'s parameters. */
export type JobRetryDeadParams = { ids: string[] | "all"; now: number };

/** `jobRetryFinished`'s parameters. */
export type JobRetryFinishedParams = { ids: string[]; now: number };

/** `jobEdit`'s parameters: the fields to change (at least one). */
export type JobEditParams = {
  id: string;
  now: number;
  command?: string;
  /** Variables added to the job's environment (replacing those of the same name). */
  env?: Record<string, string>;
  priority?: number;
  runAt?: number;
};

/** `jobRuns`'s parameters. */
export type JobRunsParams = { id: string };

/** `workerHeartbeat`'s parameters. */
export type WorkerHeartbeatParams = { id: string; now: number };

/** What `workerHeartbeat` tells a live worker process. */
export type WorkerHeartbeatResult = { stopRequested: StopMode | null };

/** `workerRequestStop`'s parameters. */
export type WorkerRequestStopParams = { ids: string[]; mode: StopMode };

/** `workerDeregister`'s parameters. */
export type WorkerDeregisterParams = { id: string };

/** `workSubscribe`'s parameters. */
export type WorkSubscribeParams = { onWork: () => void };

/** `configSet`'s parameters. */
export type ConfigSetParams = { key: string; value: string };

/** `configUnset`'s parameters. */
export type ConfigUnsetParams = { key: string };
