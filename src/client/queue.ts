/**
 * `Queue`: the library's client. A program enqueues jobs, reads the queue's status and a job's
 * details, and waits for jobs, on the same store and through the same code as the CLI, without
 * spawning it. Every object it returns has the shape of the CLI's `--json` output.
 *
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { enqueueJobs } from "../enqueue.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { readJobDetail } from "../job_detail.ts";
import {
  parseRunAt,
  validateCommand,
  validateEnv,
  validateJobId,
  validatePriority,
  validateQueueName,
} from "../job_spec.ts";
import { parseGroupLimit, parseRate } from "../queue_limits.ts";
import { pauseEnd } from "../queue_pause.ts";
import { readQueueStatus } from "../queue_status.ts";
import { retryFilter, type RetryFilterInput, retryFinished } from "../retry_finished.ts";
import {
  type JobEditParams,
  type JobInsertResult,
  openStore,
  resolveStoreLocation,
  type Store,
} from "../store/mod.ts";
import { waitForJobs } from "../wait_for_jobs.ts";
import { hostId } from "../worker/liveness.ts";
import {
  type BatchJson,
  batchToJson,
  type EnqueuedJobJson,
  enqueuedJobToJson,
  jobDetailToJson,
  type JobInfoJson,
  type JobJson,
  jobToJson,
  type QueueJson,
  queueToJson,
  type RetryJson,
  type StatusJson,
  statusToJson,
} from "../json_contract.ts";
import { type JobInput, jobSpecFromInput, jobSpecsFromInputs } from "./job_input.ts";

/** What `Queue.retry` retries when not given ids: the finished jobs a filter matches. */
export interface RetryRequest {
  /** Which finished jobs: `state`, `queue` (names or lists), `since` (`"1h"` or an ISO time). */
  filter: RetryFilterInput;
  /**
   * `true`: only list the matching jobs; `false`: retry them all. Not given: retry when exactly
   * one matches, else only list them (as `queuectl retry --filter` without `--yes`).
   */
  dry_run?: boolean;
}

/** Whether `Queue.retry` was given job ids (a list) rather than a `RetryRequest`. */
function isIdList(target: readonly string[] | RetryRequest): target is readonly string[] {
  return Array.isArray(target);
}

/**
 * A batch for `Queue.enqueueMany`: every job joins it (unless it names another `batch`), and the
 * commands run once when it settles, as `queuectl enqueue --batch NAME --on-complete CMD
 * --on-failure CMD`. The callbacks are set when the batch is created: a later call must leave
 * them out or give the same ones.
 */
export interface BatchOptions {
  /** The batch's name (1 to 64 letters, digits, `.` `_` `:` `-`). */
  batch: string;
  /** Enqueued once when every job of the batch completed. */
  onComplete?: string;
  /** Enqueued once when the batch settled with a job dead or canceled. */
  onFailure?: string;
}

/** Where `Queue.open` finds the queue. */
export interface QueueOptions {
  /**
   * A SQLite file path (created, with its directory, when missing) or a `postgres://` URL.
   * Default: `$QUEUECTL_DB`, else `${XDG_DATA_HOME:-~/.local/share}/queuectl/queue.db`: the
   * same database the CLI uses without `--db`.
   */
  db?: string;
}

/**
 * A job as `Queue.enqueue` returns it: its JSON object (as `queuectl enqueue --json` prints
 * it), and whether it was there already.
 */
export interface EnqueuedJob extends EnqueuedJobJson {
  /**
   * True when nothing was added because an unfinished job held the `unique_key`: this is that
   * job.
   */
  existing: boolean;
}

/** How `Queue.wait` waits. */
export interface WaitOptions {
  /** Gives up after this many milliseconds, rejecting with `WaitTimeoutError`. Default: never. */
  timeoutMs?: number;
  /** Stops waiting: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** How often to look at the jobs, in milliseconds (default 200). */
  pollIntervalMs?: number;
}

/** The jobs `Queue.wait` waited for, every one finished. */
export interface WaitResult {
  /** True when every job completed (`queuectl wait` exits 0); false if any is dead or canceled. */
  ok: boolean;
  /** The jobs in their final states, in the order of the ids given (duplicates once). */
  jobs: JobJson[];
}

/**
 * A connection to a queuectl queue. Open one with `Queue.open`, and close it (or declare it
 * with `await using`) when done. Methods throw the CLI's errors: `UsageError` (bad input),
 * `NotFoundError`, `ConflictError`, `StoreUnavailableError`, `WaitTimeoutError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Queue } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using queue = await Queue.open({ db: `${dir}/queue.db` });
 *   const job = await queue.enqueue({ command: "make test", queue: "ci", priority: 5 });
 *   assert.equal(job.state, "pending");
 *   assert.equal((await queue.status()).jobs.pending, 1);
 * } // the queue is closed here
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Queue implements AsyncDisposable {
  readonly #store: Store;
  readonly #clock: Clock = systemClock;
  #closed = false;

  private constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Opens the queue: `options.db`, else `$QUEUECTL_DB`, else the default path, exactly as the
   * CLI resolves `--db`. Creates and migrates the database when needed. Throws `UsageError`
   * for a location that is neither a path nor a `postgres://` URL, `StoreUnavailableError`
   * when it cannot be opened or reached, or is not a queuectl database.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * assert.equal(queue.location, `${dir}/queue.db`);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(options: QueueOptions = {}): Promise<Queue> {
    return new Queue(await openStore(resolveStoreLocation(options.db)));
  }

  /** Where the queue lives: the SQLite path, or the URL with its password masked. */
  get location(): string {
    return this.#store.location;
  }

  /**
   * Adds one job and wakes idle workers, as `queuectl enqueue` does. `job` is a shell command
   * line, or the fields of the enqueue JSON form. The job is on disk when this resolves.
   * Throws `UsageError` for a bad field, `ConflictError` when the id is taken or a parent in
   * `after` is dead or canceled, `NotFoundError` when a parent does not exist; nothing is
   * added then. When an unfinished job holds its `unique_key`, that job is returned with
   * `existing: true` and nothing is added.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * const build = await queue.enqueue("make");
   * const test = await queue.enqueue({ command: "make test", after: [build.id], delay: "5m" });
   * assert.equal(test.state, "blocked");
   *
   * const first = await queue.enqueue({ command: "./reindex.sh", unique_key: "reindex" });
   * const second = await queue.enqueue({ command: "./reindex.sh", unique_key: "reindex" });
   * assert.ok(second.existing);
   * assert.equal(second.id, first.id);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async enqueue(job: string | JobInput): Promise<EnqueuedJob> {
    const spec = jobSpecFromInput(job);
    const [result] = await enqueueJobs(this.#open(), this.#clock, [spec], { cwd: Deno.cwd() });
    return enqueuedJob(result);
  }

  /**
   * Adds every job in one transaction, all or none, as `queuectl enqueue --file` does; the
   * results are in the order given. Jobs may wait on jobs of the same batch (`after`). Throws
   * as `enqueue` does (a `UsageError` names the index of the bad job) and then adds nothing.
   * An empty list adds nothing and resolves with an empty list.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue, UsageError } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * const jobs = await queue.enqueueMany([
   *   { id: "fetch", command: "./fetch.sh" },
   *   { id: "import", command: "./import.sh", after: ["fetch"] },
   * ]);
   * assert.deepEqual(jobs.map((job) => job.state), ["pending", "blocked"]);
   * await assert.rejects(
   *   queue.enqueueMany(["./a.sh", { command: "./b.sh", priority: 1.5 }]),
   *   UsageError, // "Job at index 1: Invalid priority: …", and "./a.sh" is not added either
   * );
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async enqueueMany(
    jobs: readonly (string | JobInput)[],
    options?: BatchOptions,
  ): Promise<EnqueuedJob[]> {
    const specs = jobSpecsFromInputs(jobs);
    const batch = options === undefined ? undefined : {
      name: validateQueueName(options.batch, "batch"),
      onComplete: options.onComplete === undefined
        ? undefined
        : validateCommand(options.onComplete, "onComplete"),
      onFailure: options.onFailure === undefined
        ? undefined
        : validateCommand(options.onFailure, "onFailure"),
    };
    if (specs.length === 0) return [];
    const results = await enqueueJobs(this.#open(), this.#clock, specs, { cwd: Deno.cwd(), batch });
    return results.map(enqueuedJob);
  }

  /**
   * The batches, newest first, as `queuectl batch list --json` prints them: status (`open`,
   * `completed`, `failed`), job counts per state, times and callback jobs.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.enqueueMany(["./thumb.sh 1", "./thumb.sh 2"], {
   *   batch: "thumbs",
   *   onComplete: "./publish.sh",
   *   onFailure: "./alert.sh",
   * });
   * const [thumbs] = await queue.batches();
   * assert.equal(thumbs.status, "open");
   * assert.equal(thumbs.jobs.pending, 2);
   * assert.equal(thumbs.on_complete?.state, "blocked");
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async batches(): Promise<BatchJson[]> {
    return (await this.#open().batchList()).map(batchToJson);
  }

  /** One batch as `queuectl batch info NAME --json` prints it, or undefined. */
  async batch(name: string): Promise<BatchJson | undefined> {
    const found = await this.#open().batchGet({ name: validateQueueName(name, "batch") });
    return found && batchToJson(found);
  }

  /**
   * Waits for every job of a batch (not its callbacks), as `queuectl wait --batch` does: `ok`
   * is true when all completed. Rejects with `NotFoundError` for an unknown batch, else as
   * `wait` does.
   */
  async waitForBatch(name: string, options: WaitOptions = {}): Promise<WaitResult> {
    const store = this.#open();
    const batch = validateQueueName(name, "batch");
    if (!await store.batchGet({ name: batch })) {
      throw new NotFoundError(`No batch "${batch}"`);
    }
    return await this.wait((await store.jobList({ batch })).map((job) => job.id), options);
  }

  /**
   * How many jobs are in each state, and the live worker processes: what
   * `queuectl status --json` prints.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.enqueue("true");
   * const status = await queue.status();
   * assert.equal(status.jobs.pending, 1);
   * assert.deepEqual(status.workers, []);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async status(): Promise<StatusJson> {
    const status = await readQueueStatus(this.#open(), { now: this.#clock.now(), host: hostId() });
    return statusToJson(status);
  }

  /**
   * The queues as `queuectl queue list --json` prints them: limits, pauses, retry lists and job
   * counts per state.
   */
  async queues(): Promise<QueueJson[]> {
    const now = this.#clock.now();
    return (await this.#open().queueList()).map((queue) => queueToJson(queue, now));
  }

  /**
   * Pauses a queue, as `queuectl queue pause` does: no worker starts its jobs until it is resumed
   * or, with `until` (a `Date` or ISO 8601 text) or `for` (`"2h"`), until then. Running jobs
   * finish. Creates a queue with no job yet. Throws `UsageError` for a bad name or time.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.pauseQueue("deploy", { for: "2h" });
   * assert.equal((await queue.queues())[0].paused, true);
   * await queue.resumeQueue("deploy");
   * assert.equal((await queue.queues())[0].paused, false);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async pauseQueue(name: string, options: { until?: Date | string; for?: string } = {}) {
    validateQueueName(name);
    const now = this.#clock.now();
    const until = options.until instanceof Date ? options.until.toISOString() : options.until;
    const end = pauseEnd({ until, duration: options.for }, now, ["until", "for"]);
    await this.#open().queueSetPaused({ name, pausedAt: now, pausedUntil: end });
  }

  /** Resumes a paused queue, as `queuectl queue resume` does (nothing if it was not paused). */
  async resumeQueue(name: string): Promise<void> {
    validateQueueName(name);
    await this.#open().queueSetPaused({ name, pausedAt: null, pausedUntil: null });
  }

  /**
   * Limits how many of a queue's jobs start per sliding period across all workers, as
   * `queuectl queue set-rate` does: `"10/1s"`, `"1000/1h"`; `null` (or `"off"`) removes it.
   * Creates a queue with no job yet. Throws `UsageError` for a bad name or rate.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.setQueueRate("api", "10/1s");
   * assert.equal((await queue.queues())[0].rate, "10/1s");
   * await queue.setQueueRate("api", null);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async setQueueRate(name: string, rate: string | null): Promise<void> {
    validateQueueName(name);
    await this.#open().queueSetRate({ name, rate: rate === null ? null : parseRate(rate) });
  }

  /**
   * Limits how many jobs with one `group_key` run at once in a queue across all workers, as
   * `queuectl queue set-group-concurrency` does; `null` removes it. Jobs of a full group wait
   * without holding up other groups'. Throws `UsageError` for a bad name or limit.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.setGroupConcurrency("deploy", 1);
   * await queue.enqueue({ command: "./deploy.sh web-1", queue: "deploy", group_key: "web-1" });
   * assert.equal((await queue.queues())[0].group_concurrency, 1);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async setGroupConcurrency(name: string, limit: number | null): Promise<void> {
    validateQueueName(name);
    if (limit !== null && typeof limit !== "number") {
      throw new UsageError(
        `Invalid group limit ${
          JSON.stringify(limit)
        }: expected an integer from 1 to 100000, or null`,
      );
    }
    await this.#open().queueSetGroupConcurrency({
      name,
      groupConcurrency: parseGroupLimit(limit),
    });
  }

  /**
   * Runs finished jobs (completed, dead or canceled) again, as `queuectl retry` does: back to
   * pending with attempts reset, their runs kept, and answers as `queuectl retry --json` does.
   *
   * By ids: all or none; throws `NotFoundError` for an unknown id and `ConflictError` for a job
   * not finished, changing nothing.
   *
   * By `{ filter }` (`state`, `queue`, `since`; at least one): when more than one job matches,
   * nothing changes unless `dry_run: false` is given (`dry_run: true` in the answer, `jobs` lists
   * what would be retried); `dry_run: true` only lists, however many match. A bad filter throws
   * `UsageError`.
   *
   * Either way `kept` lists the jobs left as they were because an unfinished job holds their
   * unique key.
   *
   * @example By ids
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConflictError, Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.enqueue({ id: "report", command: "./report.sh" });
   * // Not finished yet (no worker ran it): refused.
   * await assert.rejects(queue.retry(["report"]), ConflictError);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @example By filter: look first, then retry
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * const filter = { state: "dead", queue: "images", since: "1h" };
   * const look = await queue.retry({ filter, dry_run: true });
   * assert.equal(look.dry_run, true);
   * console.log(`${look.jobs.length} dead jobs would run again`);
   * const done = await queue.retry({ filter, dry_run: false });
   * assert.equal(done.retried.length, look.jobs.length);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async retry(target: readonly string[] | RetryRequest): Promise<RetryJson> {
    const now = this.#clock.now();
    if (isIdList(target)) {
      const ids = target.map((id) => validateJobId(id));
      if (ids.length === 0) throw new UsageError("Missing job id: give one or more ids");
      return await retryFinished(this.#open(), { ids }, now);
    }
    if (typeof target !== "object" || target === null || target.filter === undefined) {
      throw new UsageError("Give job ids or { filter }");
    }
    if (target.dry_run !== undefined && typeof target.dry_run !== "boolean") {
      throw new UsageError("dry_run must be true or false");
    }
    const filter = retryFilter(target.filter, now, "filter");
    return await retryFinished(this.#open(), { filter, dryRun: target.dry_run }, now);
  }

  /**
   * Changes a waiting job (pending, failed waiting for its retry, or blocked), as `queuectl edit`
   * does, and returns it as changed; `env` adds variables to the job's. Values are checked as
   * `enqueue` checks them (`UsageError`); `NotFoundError` for an unknown id, `ConflictError` for
   * a job running or finished. Workers see the change at once.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.enqueue({ id: "report", command: "./report.sh", delay: "1h" });
   * const job = await queue.edit("report", { priority: 5, run_at: new Date() });
   * assert.equal(job.priority, 5);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async edit(
    id: string,
    changes: {
      command?: string;
      env?: Record<string, string>;
      priority?: number;
      run_at?: Date | string;
    },
  ): Promise<JobJson> {
    const params: JobEditParams = { id: validateJobId(id), now: this.#clock.now() };
    if (changes.command !== undefined) params.command = validateCommand(changes.command);
    if (changes.env !== undefined) params.env = validateEnv(changes.env);
    if (changes.priority !== undefined) params.priority = validatePriority(changes.priority);
    if (changes.run_at !== undefined) {
      params.runAt = parseRunAt(
        changes.run_at instanceof Date ? changes.run_at.toISOString() : changes.run_at,
      );
    }
    if (Object.keys(params).length === 2) {
      throw new UsageError("Nothing to change: give command, env, priority or run_at");
    }
    return jobToJson(await this.#open().jobEdit(params));
  }

  /**
   * One job with its runs (their exit codes and output), parents and children: what
   * `queuectl info ID --json` prints; `undefined` when there is no job with that id (so a
   * lookup is not an error; `wait` throws `NotFoundError` instead). Throws `UsageError` for a
   * string that cannot be a job id.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * await queue.enqueue({ id: "report", command: "./report.sh" });
   * const job = await queue.job("report");
   * assert.equal(job?.state, "pending");
   * assert.deepEqual(job?.runs, []);
   * assert.equal(await queue.job("no-such-job"), undefined);
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async job(id: string): Promise<JobInfoJson | undefined> {
    const detail = await readJobDetail(this.#open(), validateJobId(id));
    return detail && jobDetailToJson(detail);
  }

  /**
   * Resolves once every job is finished (completed, dead or canceled), as `queuectl wait`
   * does; `ok` is true when all completed. Rejects with `NotFoundError` for an unknown id,
   * `WaitTimeoutError` when `timeoutMs` passes first, and `signal.reason` when `signal` aborts
   * (an `AbortSignal.timeout` rejects with its `TimeoutError` `DOMException`). An empty list
   * resolves at once, with `ok: true`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Queue, WaitTimeoutError } from "./mod.ts";
   *
   * const dir = await Deno.makeTempDir();
   * const queue = await Queue.open({ db: `${dir}/queue.db` });
   * const job = await queue.enqueue("make test");
   * try {
   *   const { ok, jobs } = await queue.wait(job.id, { timeoutMs: 100 });
   *   console.log(ok ? "passed" : `ended ${jobs[0].state}: ${jobs[0].last_error}`);
   * } catch (error) {
   *   // No worker serves this new database, so the job is still pending.
   *   if (!(error instanceof WaitTimeoutError)) throw error;
   *   assert.deepEqual(error.unfinished, [{ id: job.id, state: "pending" }]);
   * }
   * await queue.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async wait(ids: string | readonly string[], options: WaitOptions = {}): Promise<WaitResult> {
    const unique = [...new Set(typeof ids === "string" ? [ids] : ids)].map(validateJobId);
    const jobs = await waitForJobs(this.#open(), this.#clock, unique, {
      timeoutMs: checkMs(options.timeoutMs, "timeoutMs", 0, Infinity),
      pollMs: checkMs(options.pollIntervalMs, "pollIntervalMs", 1, MAX_TIMER_MS),
      signal: options.signal,
    });
    return { ok: jobs.every((job) => job.state === "completed"), jobs: jobs.map(jobToJson) };
  }

  /** Closes the connection; later calls of other methods throw. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store.close();
  }

  /** Closes the queue at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The store, unless the queue was closed (a bug in the caller, so a plain `Error`). */
  #open(): Store {
    if (this.#closed) throw new Error(`The queue at ${this.location} is closed`);
    return this.#store;
  }
}

/** The longest delay `setTimeout` takes as it is (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checks a number of milliseconds a caller gave. */
function checkMs(
  value: number | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || (typeof value === "number" && value >= min && value <= max)) {
    return value;
  }
  throw new UsageError(
    `Invalid ${name}: expected milliseconds from ${min} to ${max}, got ${String(value)}`,
  );
}

function enqueuedJob(result: JobInsertResult): EnqueuedJob {
  return enqueuedJobToJson(result);
}
