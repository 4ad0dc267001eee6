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
import { FINAL_STATES, type Job, JOB_STATES, type JobRun, type JobState } from "../../job.ts";
import type {
  JobFinish,
  JobListParams,
  NewJob,
  OutputChunk,
  OutputStream,
  QueueInfo,
  StopMode,
  Store,
  WorkerProcess,
  WorkerProcessWithJobs,
} from "../store.ts";
import { newJobRow } from "../store.ts";
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

/** Rows per INSERT statement in a batch (12 values each, far below SQLite's variable limit). */
const INSERT_ROWS = 100;

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
    await this.#write(() => {
      for (let start = 0; start < params.jobs.length; start += INSERT_ROWS) {
        this.#insertRows(params.jobs.slice(start, start + INSERT_ROWS), params.now);
      }
      const addQueue = this.#statement("INSERT OR IGNORE INTO queues (name) VALUES (?)");
      for (const queue of new Set(params.jobs.map((job) => job.queue))) addQueue.run(queue);
    });
    this.#announceWork();
    return params.jobs.map((job) => newJobRow(job, params.now));
  }

  /**
   * One multi-row INSERT (a batch runs ~2× faster than row by row) without RETURNING (which
   * makes it ~6× slower; the new rows are known: `newJobRow`).
   */
  #insertRows(jobs: NewJob[], now: number): void {
    const row = "(?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    const insert = this.#statement(
      `INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, priority,
         queue, backoff_base, cwd, env, created_at, updated_at)
       VALUES ${Array(jobs.length).fill(row).join(", ")}`,
    );
    const values: SQLInputValue[] = [];
    for (const job of jobs) {
      values.push(
        job.id,
        job.command,
        job.maxRetries,
        job.timeoutSeconds,
        job.runAt,
        job.priority,
        job.queue,
        job.backoffBase,
        job.cwd,
        job.env ? JSON.stringify(job.env) : null,
        now,
        now,
      );
    }
    try {
      insert.run(...values);
    } catch (error) {
      if (!/UNIQUE constraint failed: jobs\.id/.test(errorMessage(error))) throw error;
      throw new ConflictError(
        `Cannot enqueue job "${this.#duplicateId(jobs)}": a job with that id exists`,
      );
    }
  }

  /** The first id of `jobs` that is stored already or repeats an earlier one of `jobs`. */
  #duplicateId(jobs: NewJob[]): string {
    const stored = this.#statement("SELECT 1 FROM jobs WHERE id = ?");
    const seen = new Set<string>();
    for (const job of jobs) {
      if (seen.has(job.id) || stored.get(job.id)) return job.id;
      seen.add(job.id);
    }
    return jobs[0].id;
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
    const order = params.order === "run_at" ? "run_at, seq" : "seq";
    const rows = this.#statement(
      `SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?))
         AND (? IS NULL OR queue IN (SELECT value FROM json_each(?)))
         AND created_at >= ?
       ORDER BY ${order} LIMIT ?`,
    ).all(
      JSON.stringify(states),
      params.queues ? 1 : null,
      JSON.stringify(params.queues ?? []),
      params.createdSince ?? 0,
      params.limit ? params.limit : -1,
    );
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
    params: { workerId: string; leaseMs: number; now: number; queues?: string[] },
  ): Promise<Job | undefined> {
    return this.#write(() => {
      // Per open queue (served, and below its limit), its best due job by the index; then the
      // best of those. O(queues × log jobs), however many jobs wait in full queues.
      const row = this.#statement(
        `WITH open_queues AS (
           SELECT name FROM queues q
           WHERE (? IS NULL OR name IN (SELECT value FROM json_each(?)))
             AND (concurrency IS NULL OR concurrency >
                  (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing'))
         ), heads AS (
           SELECT (SELECT seq FROM jobs j
                   WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= ?
                   ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1) AS seq
           FROM open_queues o
         )
         UPDATE jobs SET state = 'processing', attempts = attempts + 1,
           lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?,
           started_at = ?, finished_at = NULL, updated_at = ?, pgid = NULL, pgid_start_time = NULL
         WHERE seq = (SELECT j.seq FROM heads h JOIN jobs j ON j.seq = h.seq
                      ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1)
         RETURNING *`,
      ).get(
        params.queues ? 1 : null,
        JSON.stringify(params.queues ?? []),
        params.now,
        params.workerId,
        params.now + params.leaseMs,
        params.now,
        params.now,
      );
      return row ? jobFromRow(row as Row) : undefined;
    });
  }

  jobNextRunAt(params: { queues?: string[] }): Promise<number | undefined> {
    const row = this.#statement(
      `SELECT min(run_at) AS next FROM jobs WHERE state IN ('pending','failed')
         AND (? IS NULL OR queue IN (SELECT value FROM json_each(?)))`,
    ).get(params.queues ? 1 : null, JSON.stringify(params.queues ?? []));
    return Promise.resolve(numberOrNull(row?.next) ?? undefined);
  }

  async jobCancel(
    params: { ids: string[]; now: number },
  ): Promise<{ canceled: string[]; stopping: string[] }> {
    const result = await this.#write(() => {
      const ids = JSON.stringify(params.ids);
      const canceled = this.#statement(
        `UPDATE jobs SET state = 'canceled', finished_at = ?, updated_at = ?,
           last_error = 'Canceled by a user'
         WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('pending','failed')
         RETURNING id`,
      ).all(params.now, params.now, ids).map((row) => String(row.id));
      const stopping = this.#statement(
        `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, ?), updated_at = ?
         WHERE id IN (SELECT value FROM json_each(?)) AND state = 'processing'
         RETURNING id`,
      ).all(params.now, params.now, ids).map((row) => String(row.id));
      return { canceled, stopping };
    });
    // Wakes the workers, which look for cancel requests on every wake-up.
    if (result.stopping.length > 0) this.#announceWork();
    return result;
  }

  jobListCancelRequested(
    params: { workerId: string },
  ): Promise<{ id: string; leaseToken: number }[]> {
    const rows = this.#statement(
      `SELECT id, lease_token FROM jobs
       WHERE lease_owner = ? AND state = 'processing' AND cancel_requested_at IS NOT NULL`,
    ).all(params.workerId);
    return Promise.resolve(
      rows.map((row) => ({ id: String(row.id), leaseToken: Number(row.lease_token) })),
    );
  }

  jobOutputAppend(
    params: { id: string; leaseToken: number; chunks: OutputChunk[]; keepBytes: number },
  ): Promise<boolean> {
    return this.#write(() => {
      const held = this.#statement(
        "SELECT seq FROM jobs WHERE id = ? AND state = 'processing' AND lease_token = ?",
      ).get(params.id, params.leaseToken);
      if (!held) return false;
      const insert = this.#statement(
        `INSERT OR REPLACE INTO job_output (job_seq, run, stream, offset, data)
         VALUES (?, ?, ?, ?, ?)`,
      );
      // Drop chunks that lie wholly before the last keepBytes of their stream.
      const trim = this.#statement(
        `DELETE FROM job_output WHERE job_seq = ? AND run = ? AND stream = ?
           AND offset + length(data) <= ?`,
      );
      const ends: Partial<Record<OutputStream, number>> = {};
      for (const chunk of params.chunks) {
        insert.run(held.seq, params.leaseToken, chunk.stream, chunk.offset, chunk.data);
        ends[chunk.stream] = Math.max(ends[chunk.stream] ?? 0, chunk.offset + chunk.data.length);
      }
      for (const [stream, end] of Object.entries(ends)) {
        trim.run(held.seq, params.leaseToken, stream, end - params.keepBytes);
      }
      return true;
    });
  }

  jobOutputRead(
    params: { id: string; run: number; from: Record<OutputStream, number> },
  ): Promise<OutputChunk[]> {
    const rows = this.#statement(
      `SELECT stream, offset, data FROM job_output
       WHERE job_seq = (SELECT seq FROM jobs WHERE id = ?) AND run = ?
         AND ((stream = 'stdout' AND offset + length(data) > ?)
           OR (stream = 'stderr' AND offset + length(data) > ?))
       ORDER BY stream, offset`,
    ).all(params.id, params.run, params.from.stdout, params.from.stderr);
    return Promise.resolve(rows.map((row) => ({
      stream: row.stream as OutputStream,
      offset: Number(row.offset),
      data: row.data as Uint8Array,
    })));
  }

  jobPurge(params: { states: JobState[]; finishedBefore: number }): Promise<number> {
    const finals = params.states.filter((state) => FINAL_STATES.includes(state));
    return this.#write(() =>
      Number(
        this.#statement(
          `DELETE FROM jobs WHERE state IN (SELECT value FROM json_each(?)) AND finished_at < ?`,
        ).run(JSON.stringify(finals), params.finishedBefore).changes,
      )
    );
  }

  async queueSetConcurrency(params: { name: string; concurrency: number | null }): Promise<void> {
    await this.#write(() => {
      this.#statement(
        `INSERT INTO queues (name, concurrency) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency`,
      ).run(params.name, params.concurrency);
    });
    // A raised limit may let waiting jobs run now.
    this.#announceWork();
  }

  queueList(): Promise<QueueInfo[]> {
    const queues = this.#statement("SELECT name, concurrency FROM queues ORDER BY name").all();
    const counts = this.#statement(
      "SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state",
    ).all();
    return Promise.resolve(queues.map((queue) => {
      const byState = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
        JobState,
        number
      >;
      for (const row of counts) {
        if (row.queue === queue.name) byState[row.state as JobState] = Number(row.n);
      }
      return {
        name: String(queue.name),
        concurrency: numberOrNull(queue.concurrency),
        counts: byState,
      };
    }));
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

  async jobFinish(params: JobFinish): Promise<boolean> {
    if ((params.state as string) === "processing") {
      throw new Error("jobFinish() cannot move a job to processing");
    }
    const finished = await this.#write(() => {
      const held = this.#statement(
        `SELECT seq, attempts, lease_owner, started_at, cancel_requested_at,
           (SELECT concurrency FROM queues WHERE name = jobs.queue) AS queue_limit
         FROM jobs
         WHERE id = ? AND state = 'processing' AND lease_token = ?
           AND (? IS NULL OR lease_expires_at < ?)`,
      ).get(
        params.id,
        params.leaseToken,
        params.leaseExpiredBefore ?? null,
        params.leaseExpiredBefore ?? null,
      );
      if (!held) return undefined;
      const canceled = held.cancel_requested_at !== null && params.state !== "completed";
      const state = canceled ? "canceled" : params.state;
      this.#statement(
        `UPDATE jobs SET state = ?, run_at = coalesce(?, run_at), exit_code = ?,
           last_error = ?, attempts = ?, finished_at = ?, updated_at = ?,
           cancel_requested_at = CASE WHEN ? THEN cancel_requested_at END,
           lease_owner = NULL, lease_expires_at = NULL, pgid = NULL, pgid_start_time = NULL
         WHERE seq = ?`,
      ).run(
        state,
        params.runAt ?? null,
        params.exitCode,
        canceled ? "Canceled by a user while running" : params.error,
        Number(held.attempts) - (params.refundAttempt && !canceled ? 1 : 0),
        state === "pending" ? null : params.now,
        params.now,
        canceled ? 1 : 0,
        held.seq,
      );
      this.#statement("DELETE FROM job_output WHERE job_seq = ? AND run = ?")
        .run(held.seq, params.leaseToken);
      this.#statement(
        `INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
           exit_code, error, stdout, stderr, stdout_bytes, stderr_bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        held.seq,
        params.leaseToken,
        Number(held.attempts),
        held.lease_owner,
        held.started_at ?? params.now,
        params.now,
        canceled ? "canceled" : params.outcome,
        params.exitCode,
        params.error,
        params.stdout,
        params.stderr,
        params.stdoutBytes,
        params.stderrBytes,
      );
      return { limitedQueue: held.queue_limit !== null };
    });
    // A place in a limited queue came free: waiting workers of every process may take it.
    if (finished?.limitedQueue) this.#announceWork();
    return finished !== undefined;
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
    backoffBase: numberOrNull(row.backoff_base),
    cwd: stringOrNull(row.cwd),
    env: row.env === null || row.env === undefined ? null : JSON.parse(String(row.env)),
    cancelRequestedAt: numberOrNull(row.cancel_requested_at),
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

function blob(value: SQLInputValue | undefined): Uint8Array {
  return value instanceof Uint8Array ? value : new TextEncoder().encode(String(value ?? ""));
}

function runFromRow(row: Row): JobRun {
  return {
    jobId: String(row.job_id),
    run: Number(row.run),
    attempt: Number(row.attempt),
    workerId: stringOrNull(row.worker_id),
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    outcome: String(row.outcome),
    exitCode: numberOrNull(row.exit_code),
    error: stringOrNull(row.error),
    stdout: blob(row.stdout),
    stderr: blob(row.stderr),
    stdoutBytes: Number(row.stdout_bytes),
    stderrBytes: Number(row.stderr_bytes),
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
