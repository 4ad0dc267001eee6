/**
 * The embedded store: one SQLite file in WAL mode, through Deno's built-in `node:sqlite` (no
 * native library is downloaded at run time, so the compiled binary stays standalone).
 *
 * Every write is one short `BEGIN IMMEDIATE` transaction (see `SqliteConnection.write`). The SQL
 * lives in one module per area (job_insert, jobs, claims, output, workers, settings); this class
 * opens and migrates the file and routes each `Store` method to its query.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";
import type { Job, JobRun, JobState } from "../../job.ts";
import type {
  JobDependencies,
  JobFilter,
  JobFinish,
  JobInsertResult,
  JobListParams,
  NewJob,
  OutputChunk,
  OutputStream,
  QueueInfo,
  RunBucket,
  RunTotals,
  Schedule,
  StopMode,
  Store,
  WorkerProcess,
  WorkerProcessWithJobs,
} from "../store.ts";
import * as claims from "./claims.ts";
import { SqliteConnection } from "./connection.ts";
import { jobInsert } from "./job_insert.ts";
import * as dependencies from "./dependencies.ts";
import * as jobs from "./jobs.ts";
import { APPLICATION_ID, MIGRATIONS } from "./migrations.ts";
import * as output from "./output.ts";
import * as schedules from "./schedules.ts";
import * as settings from "./settings.ts";
import * as stats from "./stats.ts";
import * as workers from "./workers.ts";
import { prepareFile } from "./prepare_file.ts";
import { ThreadLock } from "./thread_lock.ts";

/** How hard a commit is pushed to disk. */
export type Durability = "full" | "normal";

/** Options of `SqliteStore.open`. */
export interface SqliteOpenOptions {
  /**
   * `full` fsyncs every commit (an acknowledged enqueue survives power loss); `normal` fsyncs at
   * checkpoints only, which survives a crashed process but may lose the last commits on power
   * loss. Workers use `normal`: a lost state change there only means one extra run.
   */
  durability?: Durability;
  /** Milliseconds a statement waits for the write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * A lock shared with the other threads of this process that write to the same file (worker
   * slots): see `ThreadLock`.
   */
  threadLock?: SharedArrayBuffer;
}

/** A `Store` on one SQLite file. */
export class SqliteStore implements Store {
  readonly location: string;
  readonly #connection: SqliteConnection;

  private constructor(connection: SqliteConnection) {
    this.location = connection.path;
    this.#connection = connection;
  }

  static async open(path: string, options: SqliteOpenOptions = {}): Promise<SqliteStore> {
    await prepareFile(path);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open database "${path}": ${errorMessage(error)}`);
    }
    const threadLock = options.threadLock ? new ThreadLock(options.threadLock) : undefined;
    const store = new SqliteStore(new SqliteConnection(path, db, threadLock));
    try {
      await store.#migrate();
      db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
      db.exec("PRAGMA foreign_keys = ON");
      // 64 MiB of page cache (the default is 2 MiB): a large batch no longer spills pages to the
      // WAL in the middle of its transaction. Only pages touched are allocated.
      db.exec("PRAGMA cache_size = -65536");
    } catch (error) {
      db.close();
      throw error;
    }
    return store;
  }

  close(): Promise<void> {
    if (this.#connection.db.isOpen) this.#connection.db.close();
    return Promise.resolve();
  }

  /** The schema version (number of migrations applied). */
  schemaVersion(): Promise<number> {
    return Promise.resolve(this.#userVersion());
  }

  #userVersion(): number {
    return Number(this.#connection.get("PRAGMA user_version")?.user_version ?? 0);
  }

  async #migrate(): Promise<void> {
    const foreign = (reason: string) =>
      new StoreUnavailableError(
        `"${this.location}" is not a queuectl database (${reason}); refusing to change it`,
      );
    const checkOwnership = (locked: boolean) => {
      const applicationId = Number(this.#connection.get("PRAGMA application_id")?.application_id);
      if (applicationId === APPLICATION_ID) return;
      if (applicationId !== 0) throw foreign(`its application id is ${applicationId}`);
      // Unlocked, the two reads may straddle another process's migration: judge tables only
      // under the lock.
      if (!locked) return;
      const objects = Number(this.#connection.get("SELECT count(*) AS n FROM sqlite_schema")?.n);
      if (objects > 0) throw foreign("it holds tables of another program");
    };
    try {
      checkOwnership(false);
    } catch (error) {
      throw error instanceof StoreUnavailableError ? error : foreign(errorMessage(error));
    }
    await this.#connection.write(() => {
      // Check again under the write lock: another process may have created the schema between
      // our first look and now, and its tables must not be taken for another program's.
      checkOwnership(true);
      const version = this.#userVersion();
      if (version > MIGRATIONS.length) {
        throw new StoreUnavailableError(
          `"${this.location}" has schema version ${version}, newer than this queuectl knows (${MIGRATIONS.length}); upgrade queuectl`,
        );
      }
      for (let next = version; next < MIGRATIONS.length; next++) {
        this.#connection.db.exec(MIGRATIONS[next]);
      }
      if (version < MIGRATIONS.length) {
        this.#connection.db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
        this.#connection.db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
      }
    });
    // Only now that the file is known to be ours (the mode cannot change inside a transaction).
    this.#connection.db.exec("PRAGMA journal_mode = WAL");
  }

  jobInsert(params: { jobs: NewJob[]; now: number }): Promise<JobInsertResult[]> {
    return jobInsert(this.#connection, params);
  }
  jobDependencies(params: { id: string }): Promise<JobDependencies> {
    return dependencies.jobDependencies(this.#connection, params);
  }
  jobGet(params: { id: string }): Promise<Job | undefined> {
    return jobs.jobGet(this.#connection, params);
  }
  jobList(params: JobListParams): Promise<Job[]> {
    return jobs.jobList(this.#connection, params);
  }
  jobCountByState(): Promise<Record<JobState, number>> {
    return jobs.jobCountByState(this.#connection);
  }
  jobCount(params: JobFilter): Promise<number> {
    return jobs.jobCount(this.#connection, params);
  }
  runStats(params: { since: number; bucketMs: number }): Promise<RunBucket[]> {
    return stats.runStats(this.#connection, params);
  }
  runTotals(params: { durationBoundsMs: number[]; waitBoundsMs: number[] }): Promise<RunTotals> {
    return stats.runTotals(this.#connection, params);
  }
  jobRetryDead(params: { ids: string[] | "all"; now: number }): Promise<string[]> {
    return jobs.jobRetryDead(this.#connection, params);
  }
  jobRuns(params: { id: string }): Promise<JobRun[]> {
    return jobs.jobRuns(this.#connection, params);
  }
  jobPurge(params: { states: JobState[]; finishedBefore: number }): Promise<number> {
    return jobs.jobPurge(this.#connection, params);
  }
  jobCancel(
    params: { ids: string[]; now: number },
  ): Promise<{ canceled: string[]; stopping: string[] }> {
    return jobs.jobCancel(this.#connection, params);
  }
  jobListCancelRequested(
    params: { workerId: string },
  ): Promise<{ id: string; leaseToken: number }[]> {
    return jobs.jobListCancelRequested(this.#connection, params);
  }
  jobClaim(
    params: { workerId: string; leaseMs: number; now: number; queues?: string[] },
  ): Promise<Job | undefined> {
    return claims.jobClaim(this.#connection, params);
  }
  jobNextRunAt(params: { queues?: string[] }): Promise<number | undefined> {
    return claims.jobNextRunAt(this.#connection, params);
  }
  jobSetProcess(
    params: { id: string; leaseToken: number; pgid: number; pgidStartTime: string | null },
  ): Promise<boolean> {
    return claims.jobSetProcess(this.#connection, params);
  }
  jobFinish(params: JobFinish): Promise<boolean> {
    return claims.jobFinish(this.#connection, params);
  }
  leaseExtend(
    params: { workerId: string; leaseMs: number; now: number },
  ): Promise<{ id: string; leaseToken: number }[]> {
    return claims.leaseExtend(this.#connection, params);
  }
  jobListRescuable(params: { now: number; owners: string[] }): Promise<Job[]> {
    return claims.jobListRescuable(this.#connection, params);
  }
  jobOutputAppend(
    params: { id: string; leaseToken: number; chunks: OutputChunk[]; keepBytes: number },
  ): Promise<boolean> {
    return output.jobOutputAppend(this.#connection, params);
  }
  jobOutputRead(
    params: { id: string; run: number; from: Record<OutputStream, number> },
  ): Promise<OutputChunk[]> {
    return output.jobOutputRead(this.#connection, params);
  }
  workerRegister(params: WorkerProcess): Promise<void> {
    return workers.workerRegister(this.#connection, params);
  }
  workerHeartbeat(
    params: { id: string; now: number },
  ): Promise<{ stopRequested: StopMode | null } | undefined> {
    return workers.workerHeartbeat(this.#connection, params);
  }
  workerList(): Promise<WorkerProcessWithJobs[]> {
    return workers.workerList(this.#connection);
  }
  workerRequestStop(params: { ids: string[]; mode: StopMode }): Promise<string[]> {
    return workers.workerRequestStop(this.#connection, params);
  }
  workerDeregister(params: { id: string }): Promise<void> {
    return workers.workerDeregister(this.#connection, params);
  }
  workSubscribe(params: { onWork: () => void }): () => void {
    return this.#connection.watchWork(params.onWork);
  }
  configOverrides(): Promise<Record<string, string>> {
    return settings.configOverrides(this.#connection);
  }
  configSet(params: { key: string; value: string }): Promise<void> {
    return settings.configSet(this.#connection, params);
  }
  configUnset(params: { key: string }): Promise<boolean> {
    return settings.configUnset(this.#connection, params);
  }
  queueSetConcurrency(params: { name: string; concurrency: number | null }): Promise<void> {
    return settings.queueSetConcurrency(this.#connection, params);
  }
  queueList(): Promise<QueueInfo[]> {
    return settings.queueList(this.#connection);
  }
  scheduleAdd(params: { schedule: Schedule }): Promise<void> {
    return schedules.scheduleAdd(this.#connection, params);
  }
  scheduleList(): Promise<Schedule[]> {
    return schedules.scheduleList(this.#connection);
  }
  scheduleRemove(params: { name: string }): Promise<boolean> {
    return schedules.scheduleRemove(this.#connection, params);
  }
  scheduleSetPaused(
    params: { name: string; paused: boolean; nextRunAt: number | null },
  ): Promise<boolean> {
    return schedules.scheduleSetPaused(this.#connection, params);
  }
  scheduleListDue(params: { now: number }): Promise<Schedule[]> {
    return schedules.scheduleListDue(this.#connection, params);
  }
  scheduleFire(
    params: {
      name: string;
      expectedNextRunAt: number;
      nextRunAt: number | null;
      job: NewJob | null;
      now: number;
    },
  ): Promise<{ jobId: string | null } | undefined> {
    return schedules.scheduleFire(this.#connection, params);
  }
}
