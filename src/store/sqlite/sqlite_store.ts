/**
 * The embedded store: one SQLite file in WAL mode, through Deno's built-in `node:sqlite` (no
 * native library is downloaded at run time, so the compiled binary stays standalone).
 *
 * Every write is one short `BEGIN IMMEDIATE` transaction: it takes the write lock up front, so a
 * transaction never has to upgrade a read snapshot (which fails with SQLITE_BUSY_SNAPSHOT and is
 * not covered by the busy timeout). `SQLITE_BUSY` past the busy timeout is retried with jitter.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ConflictError, errorMessage, StoreUnavailableError } from "../../errors.ts";
import { type Job, JOB_STATES, type JobRun, type JobState } from "../../job.ts";
import type {
  JobFinish,
  JobListParams,
  NewJob,
  StopMode,
  Store,
  WorkerProcess,
  WorkerProcessWithJobs,
} from "../store.ts";
import { APPLICATION_ID, MIGRATIONS } from "./migrations.ts";
import { prepareFile } from "./prepare_file.ts";

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
}

type Row = Record<string, SQLInputValue>;

const BUSY_RETRIES = 20;

/** A `Store` on one SQLite file. */
export class SqliteStore implements Store {
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync) {
    this.location = path;
    this.#db = db;
  }

  /** Opens (creating and migrating if needed) the database at `path`. */
  static async open(path: string, options: SqliteOpenOptions = {}): Promise<SqliteStore> {
    await prepareFile(path);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open database "${path}": ${errorMessage(error)}`);
    }
    const store = new SqliteStore(path, db);
    try {
      await store.#migrate();
      db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
      db.exec("PRAGMA foreign_keys = ON");
    } catch (error) {
      db.close();
      throw error;
    }
    return store;
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  /** The schema version (number of migrations applied). */
  schemaVersion(): number {
    return Number(this.#get("PRAGMA user_version")?.user_version ?? 0);
  }

  async #migrate(): Promise<void> {
    const foreign = (reason: string) =>
      new StoreUnavailableError(
        `"${this.location}" is not a queuectl database (${reason}); refusing to change it`,
      );
    const checkOwnership = (locked: boolean) => {
      const applicationId = Number(this.#get("PRAGMA application_id")?.application_id);
      if (applicationId === APPLICATION_ID) return;
      if (applicationId !== 0) throw foreign(`its application id is ${applicationId}`);
      // Unlocked, the two reads may straddle another process's migration: judge tables only
      // under the lock.
      if (!locked) return;
      const objects = Number(this.#get("SELECT count(*) AS n FROM sqlite_schema")?.n);
      if (objects > 0) throw foreign("it holds tables of another program");
    };
    try {
      checkOwnership(false);
    } catch (error) {
      throw error instanceof StoreUnavailableError ? error : foreign(errorMessage(error));
    }
    await this.#write(() => {
      // Check again under the write lock: another process may have created the schema between
      // our first look and now, and its tables must not be taken for another program's.
      checkOwnership(true);
      const version = this.schemaVersion();
      if (version > MIGRATIONS.length) {
        throw new StoreUnavailableError(
          `"${this.location}" has schema version ${version}, newer than this queuectl knows (${MIGRATIONS.length}); upgrade queuectl`,
        );
      }
      for (let next = version; next < MIGRATIONS.length; next++) {
        this.#db.exec(MIGRATIONS[next]);
      }
      if (version < MIGRATIONS.length) {
        this.#db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
        this.#db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
      }
    });
    // Only now that the file is known to be ours (the mode cannot change inside a transaction).
    this.#db.exec("PRAGMA journal_mode = WAL");
  }

  async jobInsert(params: { jobs: NewJob[]; now: number }): Promise<Job[]> {
    const jobs = await this.#write(() => {
      const exists = this.#statement("SELECT 1 FROM jobs WHERE id = ?");
      const insert = this.#statement(
        `INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, created_at, updated_at)
         VALUES (?, ?, 'pending', ?, ?, ?, ?, ?) RETURNING *`,
      );
      return params.jobs.map((job) => {
        if (exists.get(job.id)) {
          throw new ConflictError(`Cannot enqueue job "${job.id}": a job with that id exists`);
        }
        const row = insert.get(
          job.id,
          job.command,
          job.maxRetries,
          job.timeoutSeconds,
          job.runAt,
          params.now,
          params.now,
        );
        return jobFromRow(row as Row);
      });
    });
    this.#announceWork();
    return jobs;
  }

  workSubscribe(params: { onWork: () => void }): () => void {
    let watcher: Deno.FsWatcher;
    try {
      touchWakeFile(this.#wakePath);
      watcher = Deno.watchFs(this.#wakePath, { recursive: false });
    } catch {
      return () => {}; // No file watching here: the caller's polling still finds the work.
    }
    (async () => {
      try {
        for await (const _event of watcher) params.onWork();
      } catch {
        // Closed.
      }
    })();
    return () => watcher.close();
  }

  get #wakePath(): string {
    return `${this.location}-wake`;
  }

  /** Tells watching workers that work was added; called after the commit, so they can see it. */
  #announceWork(): void {
    try {
      touchWakeFile(this.#wakePath);
    } catch {
      // Best effort: workers poll as well.
    }
  }

  jobGet(params: { id: string }): Promise<Job | undefined> {
    const row = this.#statement("SELECT * FROM jobs WHERE id = ?").get(params.id);
    return Promise.resolve(row ? jobFromRow(row as Row) : undefined);
  }

  jobList(params: JobListParams): Promise<Job[]> {
    const states = params.states?.length ? params.states : JOB_STATES;
    const rows = this.#statement(
      `SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?))
       ORDER BY seq LIMIT ?`,
    ).all(JSON.stringify(states), params.limit ? params.limit : -1);
    return Promise.resolve(rows.map((row) => jobFromRow(row as Row)));
  }

  jobCountByState(): Promise<Record<JobState, number>> {
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
      JobState,
      number
    >;
    const rows = this.#statement("SELECT state, count(*) AS n FROM jobs GROUP BY state").all();
    for (const row of rows) counts[row.state as JobState] = Number(row.n);
    return Promise.resolve(counts);
  }

  jobClaim(
    params: { workerId: string; leaseMs: number; now: number },
  ): Promise<Job | undefined> {
    return this.#write(() => {
      const row = this.#statement(
        `UPDATE jobs SET state = 'processing', attempts = attempts + 1,
           lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?,
           started_at = ?, finished_at = NULL, updated_at = ?, pgid = NULL, pgid_start_time = NULL
         WHERE seq = (
           SELECT seq FROM jobs WHERE state IN ('pending','failed') AND run_at <= ?
           ORDER BY priority DESC, run_at, seq LIMIT 1)
         RETURNING *`,
      ).get(params.workerId, params.now + params.leaseMs, params.now, params.now, params.now);
      return row ? jobFromRow(row as Row) : undefined;
    });
  }

  jobSetProcess(
    params: { id: string; leaseToken: number; pgid: number; pgidStartTime: string | null },
  ): Promise<boolean> {
    return this.#write(() =>
      this.#statement(
        `UPDATE jobs SET pgid = ?, pgid_start_time = ?
         WHERE id = ? AND state = 'processing' AND lease_token = ?`,
      ).run(params.pgid, params.pgidStartTime, params.id, params.leaseToken).changes === 1
    );
  }

  jobFinish(params: JobFinish): Promise<boolean> {
    if ((params.state as string) === "processing") {
      throw new Error("jobFinish() cannot move a job to processing");
    }
    return this.#write(() => {
      const held = this.#statement(
        `SELECT seq, attempts, lease_owner, started_at FROM jobs
         WHERE id = ? AND state = 'processing' AND lease_token = ?
           AND (? IS NULL OR lease_expires_at < ?)`,
      ).get(
        params.id,
        params.leaseToken,
        params.leaseExpiredBefore ?? null,
        params.leaseExpiredBefore ?? null,
      );
      if (!held) return false;
      const attempts = Number(held.attempts) - (params.refundAttempt ? 1 : 0);
      const finished = params.state === "pending" ? null : params.now;
      this.#statement(
        `UPDATE jobs SET state = ?, run_at = coalesce(?, run_at), exit_code = ?,
           last_error = ?, attempts = ?, finished_at = ?, updated_at = ?,
           lease_owner = NULL, lease_expires_at = NULL, pgid = NULL, pgid_start_time = NULL
         WHERE seq = ?`,
      ).run(
        params.state,
        params.runAt ?? null,
        params.exitCode,
        params.error,
        attempts,
        finished,
        params.now,
        held.seq,
      );
      this.#statement(
        `INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
           exit_code, error, stdout, stderr)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        held.seq,
        params.leaseToken,
        Number(held.attempts),
        held.lease_owner,
        held.started_at ?? params.now,
        params.now,
        params.outcome,
        params.exitCode,
        params.error,
        params.stdout,
        params.stderr,
      );
      return true;
    });
  }

  leaseExtend(
    params: { workerId: string; leaseMs: number; now: number },
  ): Promise<{ id: string; leaseToken: number }[]> {
    return this.#write(() =>
      this.#statement(
        `UPDATE jobs SET lease_expires_at = ?
         WHERE lease_owner = ? AND state = 'processing' RETURNING id, lease_token`,
      ).all(params.now + params.leaseMs, params.workerId).map((row) => ({
        id: String(row.id),
        leaseToken: Number(row.lease_token),
      }))
    );
  }

  jobListRescuable(params: { now: number; owners: string[] }): Promise<Job[]> {
    const rows = this.#statement(
      `SELECT * FROM jobs WHERE state = 'processing'
         AND (lease_expires_at < ? OR lease_owner IN (SELECT value FROM json_each(?)))
       ORDER BY seq`,
    ).all(params.now, JSON.stringify(params.owners));
    return Promise.resolve(rows.map((row) => jobFromRow(row as Row)));
  }

  async jobRetryDead(params: { ids: string[] | "all"; now: number }): Promise<string[]> {
    const ids = await this.#write(() => {
      const all = params.ids === "all";
      return this.#statement(
        `UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ?,
           finished_at = NULL
         WHERE state = 'dead' AND (? OR id IN (SELECT value FROM json_each(?)))
         RETURNING id`,
      ).all(params.now, params.now, all ? 1 : 0, JSON.stringify(all ? [] : params.ids))
        .map((row) => String(row.id));
    });
    if (ids.length > 0) this.#announceWork();
    return ids;
  }

  jobRuns(params: { id: string }): Promise<JobRun[]> {
    const rows = this.#statement(
      `SELECT jobs.id AS job_id, job_runs.* FROM job_runs JOIN jobs ON jobs.seq = job_runs.job_seq
       WHERE jobs.id = ? ORDER BY run`,
    ).all(params.id);
    return Promise.resolve(rows.map((row) => runFromRow(row as Row)));
  }

  workerRegister(params: WorkerProcess): Promise<void> {
    return this.#write(() => {
      this.#statement(
        `INSERT OR REPLACE INTO workers
           (id, host, pid, pid_start_time, concurrency, started_at, heartbeat_at, stop_requested)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        params.id,
        params.host,
        params.pid,
        params.pidStartTime,
        params.concurrency,
        params.startedAt,
        params.heartbeatAt,
        params.stopRequested,
      );
    });
  }

  workerHeartbeat(
    params: { id: string; now: number },
  ): Promise<{ stopRequested: StopMode | null } | undefined> {
    return this.#write(() => {
      const row = this.#statement(
        "UPDATE workers SET heartbeat_at = ? WHERE id = ? RETURNING stop_requested",
      ).get(params.now, params.id);
      return row ? { stopRequested: (row.stop_requested ?? null) as StopMode | null } : undefined;
    });
  }

  workerList(): Promise<WorkerProcessWithJobs[]> {
    const jobs = this.#statement(
      "SELECT lease_owner, id FROM jobs WHERE state = 'processing' ORDER BY seq",
    ).all();
    const workers = this.#statement("SELECT * FROM workers ORDER BY started_at, id").all();
    return Promise.resolve(workers.map((row) => ({
      ...workerFromRow(row as Row),
      jobIds: jobs.filter((job) => job.lease_owner === row.id).map((job) => String(job.id)),
    })));
  }

  workerRequestStop(params: { ids: string[]; mode: StopMode }): Promise<string[]> {
    return this.#write(() =>
      this.#statement(
        `UPDATE workers SET stop_requested = CASE WHEN stop_requested = 'now' THEN 'now' ELSE ? END
         WHERE id IN (SELECT value FROM json_each(?)) RETURNING id`,
      ).all(params.mode, JSON.stringify(params.ids)).map((row) => String(row.id))
    );
  }

  workerDeregister(params: { id: string }): Promise<void> {
    return this.#write(() => {
      this.#statement("DELETE FROM workers WHERE id = ?").run(params.id);
    });
  }

  configOverrides(): Promise<Record<string, string>> {
    const rows = this.#statement("SELECT key, value FROM config ORDER BY key").all();
    return Promise.resolve(Object.fromEntries(rows.map((row) => [row.key, String(row.value)])));
  }

  configSet(params: { key: string; value: string }): Promise<void> {
    return this.#write(() => {
      this.#statement(
        "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(params.key, params.value);
    });
  }

  configUnset(params: { key: string }): Promise<boolean> {
    return this.#write(() =>
      this.#statement("DELETE FROM config WHERE key = ?").run(params.key).changes === 1
    );
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string): Row | undefined {
    return this.#db.prepare(sql).get() as Row | undefined;
  }

  /** Runs `body` in one `BEGIN IMMEDIATE` transaction, retrying when the database is busy. */
  async #write<T>(body: () => T): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return this.#transaction(body);
      } catch (error) {
        if (!isBusy(error) || attempt >= BUSY_RETRIES) throw this.#unavailable(error);
        // Jittered, growing pause so racing writers do not retry in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  #unavailable(error: unknown): unknown {
    if (isBusy(error)) {
      return new StoreUnavailableError(
        `The database "${this.location}" stayed locked by another process: ${errorMessage(error)}`,
      );
    }
    return error;
  }
}

/**
 * Writes one byte to the wake file: a file-change event that idle workers watch for. It is a
 * separate file, not the -wal, so workers are not woken by each other's writes, and it is written
 * after the commit, so a woken worker always sees the new job.
 */
function touchWakeFile(path: string): void {
  const file = Deno.openSync(path, { write: true, create: true, mode: 0o600 });
  try {
    file.writeSync(new Uint8Array([1]));
  } finally {
    file.close();
  }
}

function isBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /database is locked|database is busy|SQLITE_BUSY/i.test(message);
}

function numberOrNull(value: SQLInputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function stringOrNull(value: SQLInputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function jobFromRow(row: Row): Job {
  return {
    id: String(row.id),
    command: String(row.command),
    state: row.state as JobState,
    attempts: Number(row.attempts),
    maxRetries: Number(row.max_retries),
    priority: Number(row.priority),
    queue: String(row.queue),
    timeoutSeconds: numberOrNull(row.timeout_seconds),
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: numberOrNull(row.started_at),
    finishedAt: numberOrNull(row.finished_at),
    exitCode: numberOrNull(row.exit_code),
    lastError: stringOrNull(row.last_error),
    leaseOwner: stringOrNull(row.lease_owner),
    leaseToken: Number(row.lease_token),
    leaseExpiresAt: numberOrNull(row.lease_expires_at),
    pgid: numberOrNull(row.pgid),
    pgidStartTime: stringOrNull(row.pgid_start_time),
  };
}

function runFromRow(row: Row): JobRun {
  return {
    jobId: String(row.job_id),
    attempt: Number(row.attempt),
    workerId: stringOrNull(row.worker_id),
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    outcome: String(row.outcome),
    exitCode: numberOrNull(row.exit_code),
    error: stringOrNull(row.error),
    stdout: String(row.stdout ?? ""),
    stderr: String(row.stderr ?? ""),
  };
}

function workerFromRow(row: Row): WorkerProcess {
  return {
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    pidStartTime: stringOrNull(row.pid_start_time),
    concurrency: Number(row.concurrency),
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    stopRequested: (row.stop_requested ?? null) as StopMode | null,
  };
}
