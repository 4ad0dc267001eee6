/**
 * The store for many hosts: one PostgreSQL database, every table in one schema (`queuectl`
 * unless the URL's `schema` parameter names another). Claims lock with `FOR UPDATE SKIP LOCKED`
 * in one round trip, and `LISTEN/NOTIFY` wakes idle workers on every host.
 *
 * The SQL lives in one module per area, as in the SQLite store; this class connects, migrates
 * and routes each `Store` method to its query.
 *
 * @module
 */
import { StoreUnavailableError } from "../../errors.ts";
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
import { type Durability, PgConnection } from "./connection.ts";
import { jobInsert } from "./job_insert.ts";
import * as jobs from "./jobs.ts";
import { MIGRATIONS } from "./migrations.ts";
import * as output from "./output.ts";
import * as schedules from "./schedules.ts";
import * as settings from "./settings.ts";
import * as stats from "./stats.ts";
import { parsePostgresUrl } from "./url.ts";
import * as workers from "./workers.ts";

/** A `Store` on a PostgreSQL schema. */
export class PostgresStore implements Store {
  readonly location: string;
  readonly #connection: PgConnection;

  private constructor(connection: PgConnection) {
    this.location = connection.target.display;
    this.#connection = connection;
  }

  /** Connects to `url` and creates or migrates its schema when needed. */
  static async open(
    url: string,
    options: { durability?: Durability } = {},
  ): Promise<PostgresStore> {
    const connection = new PgConnection(parsePostgresUrl(url), options.durability);
    const store = new PostgresStore(connection);
    try {
      await store.migrate();
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    return store;
  }

  /** The schema version (number of migrations applied); 0 when the schema does not exist. */
  async schemaVersion(): Promise<number> {
    try {
      const [row] = await this.#connection.run((sql) =>
        sql`SELECT coalesce(max(version), 0) AS version FROM schema_migrations`
      );
      return Number(row.version);
    } catch (error) {
      if ((error as { code?: string }).code === "42P01") return 0; // no such table (yet)
      throw error;
    }
  }

  /**
   * Brings the schema up to date. Hosts that start at once take turns on an advisory lock, and
   * each looks again under it, so every migration runs exactly once.
   */
  async migrate(): Promise<void> {
    const version = await this.schemaVersion();
    if (version === MIGRATIONS.length) return;
    this.#refuseNewer(version);
    const { schema } = this.#connection.target;
    await this.#connection.transaction(async (sql) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`queuectl.migrate.${schema}`}, 0))`;
      // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists:
      // a role given only its own schema (one per team, made by an administrator) has none.
      const [found] = await sql`SELECT count(*)::int AS n FROM pg_namespace
        WHERE nspname = ${schema}`;
      if (found.n === 0) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = ${schema}`;
      const names = tables.map((row) => String(row.tablename));
      if (names.length > 0 && !names.includes("schema_migrations")) {
        throw new StoreUnavailableError(
          `The schema "${schema}" of ${this.location} holds tables of another program; refusing to change it (pick another with ?schema=NAME)`,
        );
      }
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer     PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now())`;
      const [row] = await sql`SELECT coalesce(max(version), 0) AS version FROM schema_migrations`;
      const current = Number(row.version);
      this.#refuseNewer(current);
      for (let next = current; next < MIGRATIONS.length; next++) {
        await sql.unsafe(MIGRATIONS[next]);
        await sql`INSERT INTO schema_migrations (version) VALUES (${next + 1})`;
      }
    });
  }

  #refuseNewer(version: number): void {
    if (version > MIGRATIONS.length) {
      throw new StoreUnavailableError(
        `${this.location} has schema version ${version}, newer than this queuectl knows (${MIGRATIONS.length}); upgrade queuectl`,
      );
    }
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  jobInsert(params: { jobs: NewJob[]; now: number }): Promise<JobInsertResult[]> {
    return jobInsert(this.#connection, params);
  }
  jobDependencies(params: { id: string }): Promise<JobDependencies> {
    return jobs.jobDependencies(this.#connection, params);
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
