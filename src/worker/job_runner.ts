/**
 * One worker slot's work: claim a due job, run its command, record how it ended. `runOnce` does
 * one job (or nothing); the loop around it lives in the Web Worker. While the slot goes on
 * (`claimNext`), the finish also claims its next job, in one transaction
 * (`Store.jobFinishAndClaim`): one round trip and one commit per job, not two.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { type Config, leaseDurationMs } from "../config.ts";
import { errorMessage, StoreUnavailableError } from "../errors.ts";
import { canceledRun, interruptedRun, releasedRun } from "../finish_rules.ts";
import type { Job } from "../job.ts";
import type { JobClaimParams, JobFinish, Store } from "../store/mod.ts";
import { afterFailure, exitCodePolicy } from "./backoff.ts";
import type { ExitCodeLists } from "../exit_codes.ts";
import { jobEnvironment } from "./job_env.ts";
import { RUN_TAG_VARIABLE, runTag } from "./run_tag.ts";
import { runCommand, type RunResult } from "./run_command.ts";
import { isWebhook } from "../finish_hooks.ts";

/** The logging calls the runner makes (a logtape `Logger` fits). */
export interface RunnerLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Told when a store call the runner retries fails, and when the store answers again: the slot
 * says an outage once, not at every retry (see `StoreOutage`).
 */
export interface StoreHealth {
  failed(error: StoreUnavailableError): void;
  answered(): void;
}

/** Why a running job is stopped from outside. */
export type StopReason = "shutdown" | "lease-lost" | "canceled";

/** What a `JobRunner` needs. */
export interface JobRunnerOptions {
  store: Store;
  clock: Clock;
  /** The worker process that owns the leases. */
  workerId: string;
  /** The config in force now (it may change while the worker runs). */
  config: () => Config;
  log: RunnerLog;
  env: Record<string, string>;
  /** The queues this worker serves (all when not given). */
  queues?: string[];
  /** Told of the store's failures that the runner waits out (else they are logged as warnings). */
  storeHealth?: StoreHealth;
  /** Told when a run starts and ends, so the supervisor can track what runs where. */
  onRunStart?: (job: Job) => void;
  onRunEnd?: (job: Job) => void;
  /**
   * Told just before a claim is sent, alone or with a finish: from then until the job's run
   * starts (or no job came) the lease may be held with no run to show for it, which the
   * heartbeat must not take for a lost claim's (see `web_worker.ts`).
   */
  onClaim?: () => void;
  /**
   * Whether the slot goes on taking jobs (false once it drains or stops): then a finish also
   * claims the slot's next job; asked at each try of the finish, and again before a job so
   * claimed starts. Not given: a finish never claims (a claim is always its own call).
   */
  claimNext?: () => boolean;
}

/** How long a job runs before its process group is recorded in the store. */
const PROCESS_RECORD_DELAY_MS = 50;

/** Claims and runs jobs, one at a time. */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  #current: { job: Job; abort: AbortController } | null = null;
  #shuttingDown = false;
  /** The job the last finish claimed, not started yet. */
  #next: Job | undefined;
  /** The last finish claimed too and found nothing: the next `runOnce` need not look again. */
  #foundNothing = false;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  /** The job running now, if any. */
  get currentJob(): Job | undefined {
    return this.#current?.job;
  }

  /**
   * Whether the last finish claimed a job that is not started yet: the slot's loop calls
   * `runOnce` once more even when draining or stopping, which gives it back.
   */
  get holdsClaim(): boolean {
    return this.#next !== undefined;
  }

  /**
   * Stops the running job (if it is `jobId` under `leaseToken`, when given). A shutdown also
   * ends the retries of a finish the store did not take: the rescuer runs that job again.
   */
  stop(reason: StopReason, only?: { jobId: string; leaseToken: number }): void {
    if (reason === "shutdown") this.#shuttingDown = true;
    const current = this.#current;
    if (!current) return;
    if (only && (only.jobId !== current.job.id || only.leaseToken !== current.job.leaseToken)) {
      return;
    }
    current.abort.abort(reason);
  }

  /**
   * Claims one due job (or takes the one the last finish claimed) and runs it to its end. False
   * when nothing was due.
   */
  async runOnce(): Promise<boolean> {
    const { store, log } = this.#options;
    const config = this.#options.config();
    const held = this.#next;
    this.#next = undefined;
    if (!held && this.#foundNothing) {
      // The last finish looked in its own transaction and found nothing: no second look now. A
      // wake-up that came meanwhile is kept for the slot's wait (IdleSlots), so none is missed.
      this.#foundNothing = false;
      return false;
    }
    this.#foundNothing = false;
    if (!held) this.#options.onClaim?.();
    const goingOn = this.#options.claimNext?.() !== false;
    const job = held ?? await store.jobClaim(this.#claimParams());
    if (!job) return false;
    if ((held || goingOn) && (this.#shuttingDown || this.#options.claimNext?.() === false)) {
      // Claimed with the last finish, or by a claim in flight (which may wait for a busy limited
      // queue, see the PostgreSQL store), while a drain or stop arrived: a drain starts no new
      // job, so it goes back unstarted, its attempt refunded (a claim of its own would not have
      // been made once the drain was seen).
      await this.#release(job);
      return true;
    }
    if (job.unreadable) {
      // A row written by hand or by another program: running the command without what cannot be
      // read (its environment) could do harm, and leaving it claimable would block the queue.
      await this.#finishUnreadable(job);
      return true;
    }
    if (!(await this.#claimStillHeld(job, config))) {
      log.warn(
        `Job "${job.id}" lost its lease before its command started (this worker was frozen or starved since its claim, and another worker took it); not starting it`,
      );
      return true;
    }
    log.info(
      `Picked job "${job.id}" (attempt ${job.attempts} of ${job.maxRetries + 1}): ${job.command}`,
    );
    const abort = new AbortController();
    this.#current = { job, abort };
    this.#options.onRunStart?.(job);
    try {
      let result: RunResult;
      try {
        result = await this.#run(job, config, abort.signal);
      } finally {
        this.#current = null;
      }
      await this.#finish(job, result);
    } finally {
      // Only now: until its finish is recorded, the job's lease must go on being renewed.
      this.#options.onRunEnd?.(job);
    }
    return true;
  }

  #run(job: Job, config: Config, signal: AbortSignal): Promise<RunResult> {
    const { store, workerId, log } = this.#options;
    const timeoutSeconds = job.timeoutSeconds ?? config.jobTimeout;
    if (job.hookFor !== null && isWebhook(job.command)) {
      // Only a hook job's URL is POSTed to: a job a user enqueued always runs in its shell.
      // Loaded at the first webhook: every thread of every worker would otherwise hold the
      // module and the JSON contract it posts (~27 KB of source, ~0.1 MiB in each isolate).
      return import("./webhook.ts").then(({ postWebhook }) =>
        postWebhook({
          hook: job,
          store,
          timeoutMs: Math.round(timeoutSeconds * 1000),
          outputLimit: config.outputLimit,
          signal,
        })
      );
    }
    return runCommand({
      command: job.command,
      // Resolved now, not at enqueue: `config set shell` applies to jobs already queued.
      shell: job.shell ?? config.shell,
      env: {
        ...jobEnvironment(this.#options.env, { jobId: job.id, attempt: job.attempts, workerId }),
        ...job.env,
        // Last, so that no job's own env can hide its processes from the rescuer.
        [RUN_TAG_VARIABLE]: runTag(job),
      },
      cwd: job.cwd ?? undefined,
      outputLimit: config.outputLimit,
      onOutput: async (chunks) => {
        await store.jobOutputAppend({
          id: job.id,
          leaseToken: job.leaseToken,
          chunks,
          keepBytes: config.outputLimit,
        });
      },
      timeoutMs: Math.round(timeoutSeconds * 1000),
      killGraceMs: Math.round(config.killGrace * 1000),
      signal,
      // The group is recorded for a rescuer on this host to stop an orphan. A job that ends
      // within this time never needs it, and skipping the write saves the most common job
      // (short) a third of its store writes; a worker killed in this window leaves its job's
      // group running (the job runs again after its lease, as with any crash).
      onSpawnAfterMs: PROCESS_RECORD_DELAY_MS,
      onSpawn: async (pgid, startTime) => {
        let held: boolean;
        try {
          held = await store.jobSetProcess({
            id: job.id,
            leaseToken: job.leaseToken,
            pgid,
            pgidStartTime: startTime,
          });
        } catch (error) {
          // Only a rescuer on this host uses the record (to stop an orphan): the run goes on.
          this.#storeFailed(error, `Cannot record the process of job "${job.id}"`);
          return;
        }
        if (!held) {
          log.warn(`Job "${job.id}" lost its lease before its command started; stopping it`);
          this.stop("lease-lost", { jobId: job.id, leaseToken: job.leaseToken });
        }
      },
    });
  }

  /**
   * Whether the claim still holds, just before its command starts. A claim younger than half its
   * lease cannot have expired (the claim set its expiry, and only renewals move it), even as
   * another host's clock reads it, so the usual job costs nothing here. An older one (this worker
   * was frozen or starved between the claim and now) is renewed in the store first: if the lease
   * ran out and another worker rescued the job meanwhile, this run must not start beside its
   * rerun, which nothing would stop on another host before this worker's next heartbeat.
   */
  async #claimStillHeld(job: Job, config: Config): Promise<boolean> {
    const { store, clock, workerId } = this.#options;
    const leaseMs = leaseDurationMs(config);
    const now = clock.now();
    if (job.startedAt !== null && now - job.startedAt < leaseMs / 2) return true;
    const held = await store.leaseExtend({ workerId, leaseMs, now });
    return held.some((lease) => lease.id === job.id && lease.leaseToken === job.leaseToken);
  }

  #claimParams(): JobClaimParams {
    const { clock, workerId, queues } = this.#options;
    return { workerId, leaseMs: leaseDurationMs(this.#options.config()), now: clock.now(), queues };
  }

  /** Gives back a job claimed with a finish that no run started (the attempt refunded). */
  async #release(job: Job): Promise<void> {
    const now = this.#options.clock.now();
    await this.#record({
      id: job.id,
      leaseToken: job.leaseToken,
      now,
      ...releasedRun(job, now),
      exitCode: null,
      error: "Claimed as its worker began to stop, and not run; it will run again",
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      stdoutBytes: 0,
      stderrBytes: 0,
    });
  }

  async #finishUnreadable(job: Job): Promise<void> {
    const error = `Not run: its stored ${
      job.unreadable!.join(", ")
    } cannot be read (the row was not written by queuectl)`;
    const recorded = await this.#record({
      id: job.id,
      leaseToken: job.leaseToken,
      now: this.#options.clock.now(),
      state: "dead",
      exitCode: null,
      error,
      outcome: "failed",
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      stdoutBytes: 0,
      stderrBytes: 0,
    });
    if (recorded) this.#options.log.error(`Job "${job.id}" is dead: ${error}`);
  }

  async #finish(job: Job, result: RunResult): Promise<void> {
    const { clock, log } = this.#options;
    const queue = await this.#queueRetryLists(job, result);
    const finish = finishFromResult(job, result, clock.now(), this.#options.config(), queue);
    const recorded = await this.#record(finish, { claimNext: true });
    if (!recorded) {
      log.warn(
        `Job "${job.id}" was fenced off: its lease was lost (another worker rescued it), so this run's result is discarded`,
      );
      return;
    }
    logFinish(log, job, finish);
  }

  /**
   * The queue's exit-code lists, read only when they can matter: a run that failed with an exit
   * code, of a job without lists of its own (so a completed run costs no extra read). A store
   * that cannot answer means no lists: the failure is retried as without a policy.
   */
  async #queueRetryLists(job: Job, result: RunResult): Promise<ExitCodeLists | undefined> {
    if (result.exitCode === null || result.exitCode === 0 || result.stopReason !== null) return;
    const own = exitCodePolicy(job, undefined);
    if (own.retryOn !== null || own.noRetryOn !== null) return;
    try {
      const queues = await this.#options.store.queueSettings();
      return queues.find((queue) => queue.name === job.queue);
    } catch (error) {
      this.#storeFailed(error, `Cannot read the retry policy of queue "${job.queue}"`);
      return undefined;
    }
  }

  /**
   * Records a finish, trying again while the store cannot be reached: the outcome of a run that
   * happened must not be lost to a dropped connection. The lease keeps being renewed meanwhile;
   * if it expires first, another worker rescues the job and this finish is fenced off.
   *
   * With `claimNext` (and while the slot goes on), the finish also claims the slot's next job,
   * kept for the next `runOnce`. A try whose answer was lost after its commit is not repeated
   * twice over: the next try's finish is fenced off and claims nothing, and the job the lost
   * answer held stays leased to this process, where `UnclaimedLeases` gives it back.
   */
  async #record(finish: JobFinish, options: { claimNext?: boolean } = {}): Promise<boolean> {
    const { store, storeHealth } = this.#options;
    let failed = false;
    for (let delayMs = 100;; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        let recorded: boolean;
        if (options.claimNext && this.#options.claimNext?.() && !this.#shuttingDown) {
          this.#options.onClaim?.();
          const result = await store.jobFinishAndClaim({ finish, claim: this.#claimParams() });
          recorded = result.recorded;
          this.#next = result.next;
          this.#foundNothing = recorded && result.next === undefined;
        } else {
          recorded = await store.jobFinish(finish);
        }
        if (failed) storeHealth?.answered();
        return recorded;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || this.#shuttingDown) throw error;
        failed = true;
        this.#storeFailed(
          error,
          `Cannot record how job "${finish.id}" ended, trying again in ${delayMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /**
   * A store call failed: said at debug level (with `what` was attempted) when the slot reports
   * outages, which says it once for the whole process; as a warning otherwise.
   */
  #storeFailed(error: unknown, what: string): void {
    const { storeHealth, log } = this.#options;
    if (storeHealth && error instanceof StoreUnavailableError) {
      storeHealth.failed(error);
      log.debug(`${what}: ${errorMessage(error)}`);
      return;
    }
    log.warn(`${what}: ${errorMessage(error)}`);
  }
}

/**
 * Turns a run's result into the job's next state (the policy lives in `afterFailure`); `queue`
 * holds the exit-code lists of the job's queue, which apply when the job has none of its own.
 */
export function finishFromResult(
  job: Job,
  result: RunResult,
  now: number,
  config: Config,
  queue?: ExitCodeLists,
): JobFinish {
  const base = {
    id: job.id,
    leaseToken: job.leaseToken,
    now,
    exitCode: result.exitCode,
    stdout: result.stdout.tail,
    stderr: result.stderr.tail,
    stdoutBytes: result.stdout.total,
    stderrBytes: result.stderr.total,
  };
  if (result.stopReason === "shutdown") {
    // Stopped by `worker stop --now`: not the job's fault, so the attempt is given back, and
    // the run is recorded as interrupted (not failed).
    return { ...base, ...interruptedRun(job, now) };
  }
  if (result.exitCode === 0 && result.stopReason === null) {
    return { ...base, state: "completed", error: null, outcome: "completed" };
  }
  if (result.stopReason === "canceled") {
    return { ...base, ...canceledRun() };
  }
  const next = afterFailure(job, now, {
    ...config,
    backoffBase: job.backoffBase ?? config.backoffBase,
    // Only a command's own exit is judged: a timeout or a lost lease is retried as before.
    exit: result.stopReason === null
      ? { exitCode: result.exitCode, policy: exitCodePolicy(job, queue) }
      : undefined,
  });
  const error = failureMessage(result, job.timeoutSeconds ?? config.jobTimeout);
  return {
    ...base,
    state: next.state,
    runAt: next.runAt,
    // "Exit code 2 is not retried (no_retry_on): Exited with code 2: <its last stderr line>"
    error: next.notRetried ? `${next.notRetried}: ${error}` : error,
    outcome: result.stopReason === "timeout" ? "timeout" : "failed",
  };
}

function failureMessage(result: RunResult, timeoutSeconds: number): string {
  if (result.spawnError !== null) return `Cannot start the command: ${result.spawnError}`;
  if (result.failure !== undefined) return result.failure;
  if (result.stopReason === "timeout") {
    return `Timed out after ${timeoutSeconds} s; its process group was killed`;
  }
  if (result.stopReason === "lease-lost") return "Stopped: the worker lost the job's lease";
  const stderr = new TextDecoder().decode(result.stderr.tail);
  const lastLine = stderr.trimEnd().split("\n").at(-1)?.slice(0, 300);
  return `Exited with code ${result.exitCode}${lastLine ? `: ${lastLine}` : ""}`;
}

function logFinish(log: RunnerLog, job: Job, finish: JobFinish): void {
  switch (finish.state) {
    case "completed":
      log.info(`Completed job "${job.id}"`);
      return;
    case "canceled":
      log.info(`Canceled job "${job.id}" while it ran; its process group was stopped`);
      return;
    case "dead":
      log.error(
        `Job "${job.id}" is dead after ${job.attempts} attempt(s): ${finish.error} (moved to the DLQ)`,
      );
      return;
    case "failed":
    case "pending":
      if (finish.refundAttempt) {
        log.info(`Released job "${job.id}": the worker is stopping; it will run again`);
        return;
      }
      log.warn(
        `Job "${job.id}" failed (attempt ${job.attempts} of ${
          job.maxRetries + 1
        }): ${finish.error}; retry at ${new Date(finish.runAt ?? finish.now).toISOString()}`,
      );
  }
}
