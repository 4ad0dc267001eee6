/**
 * Upgrades: a database made by the previous schema (migration 1 only, as queuectl before the
 * `shell` column wrote it) opens with this version, migrates once, keeps its jobs (with no shell
 * of their own) and stores new jobs' shells. On SQLite and, when a server answers, PostgreSQL.
 * And on PostgreSQL, a schema from before the finish rules moved to TypeScript (migration 3
 * replaced `finish_job()`) keeps jobs of every state as they were, and its running jobs finish
 * under the new function, with and without a cancel request.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/mod.ts";
import { MIGRATIONS as PG_MIGRATIONS } from "../../src/store/postgres/migrations.ts";
import {
  APPLICATION_ID,
  MIGRATIONS as SQLITE_MIGRATIONS,
} from "../../src/store/sqlite/migrations.ts";
import { postgresForTests, type TestPostgres } from "../helpers/postgres.ts";
import { finishOf, newJob, T0 } from "./contract/harness.ts";

/** The schema version before the `shell` column. */
const PREVIOUS_VERSION = 1;

/** A job row as the previous schema stored it: every column it has that a new job sets. */
const OLD_JOB_INSERT =
  `INSERT INTO jobs (id, command, state, max_retries, run_at, priority, queue, created_at, updated_at)
   VALUES ('old-job', 'echo old', 'pending', 3, ${T0}, 0, 'default', ${T0}, ${T0})`;

/** What every store must show after the upgrade: the old job intact, new shells stored. */
async function checkUpgraded(store: Store, migrations: readonly string[]): Promise<void> {
  assert.equal(await store.schemaVersion(), migrations.length);
  const old = await store.jobGet({ id: "old-job" });
  assert.equal(old?.command, "echo old");
  assert.equal(old?.shell, null, "a job from before the column has no shell of its own");
  const [added] = await store.jobInsert({ jobs: [newJob("new-job", { shell: "bash" })], now: T0 });
  assert.equal(added.job.shell, "bash");
  assert.equal((await store.jobGet({ id: "new-job" }))?.shell, "bash");
  // Migration 4: old jobs and queues have no exit-code lists and no pause.
  assert.deepEqual([old?.retryOn, old?.noRetryOn], [null, null]);
  const [listed] = await store.jobInsert({ jobs: [newJob("listed", { noRetryOn: [2] })], now: T0 });
  assert.deepEqual((await store.jobGet({ id: listed.id }))?.noRetryOn, [2]);
  for (const queue of await store.queueSettings()) {
    assert.deepEqual([queue.pausedAt, queue.retryOn, queue.noRetryOn], [null, null, null]);
  }
}

Deno.test("sqlite: a database of the previous schema migrates, keeping its jobs with no shell", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-migrate-" });
  const path = join(dir, "queue.db");
  try {
    const db = new DatabaseSync(path);
    for (const migration of SQLITE_MIGRATIONS.slice(0, PREVIOUS_VERSION)) db.exec(migration);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${PREVIOUS_VERSION}`);
    db.exec(OLD_JOB_INSERT);
    db.close();
    const store = await openStore({ kind: "sqlite", path });
    try {
      await checkUpgraded(store, SQLITE_MIGRATIONS);
    } finally {
      await store.close();
    }
    // Opening again finds nothing to do.
    const again = await openStore({ kind: "sqlite", path });
    assert.equal(await again.schemaVersion(), SQLITE_MIGRATIONS.length);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const postgres = await postgresForTests();

Deno.test({
  name: "postgres: a schema of the previous version migrates, keeping its jobs with no shell",
  ignore: postgres === undefined,
  async fn() {
    const server = postgres!;
    const schema = await server.createSchemaName();
    try {
      // As the previous version's migrate() left it: its tables, and its version recorded.
      const previous = PG_MIGRATIONS.slice(0, PREVIOUS_VERSION).join(";\n");
      await server.query(`CREATE SCHEMA "${schema}"`);
      await server.query(
        `SET search_path TO "${schema}";
         CREATE TABLE schema_migrations (
           version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         ${previous};
         INSERT INTO schema_migrations (version) VALUES (${PREVIOUS_VERSION});
         ${OLD_JOB_INSERT};
         RESET search_path`,
      );
      const store = await openStore({ kind: "postgres", url: server.urlFor(schema) });
      try {
        await checkUpgraded(store, PG_MIGRATIONS);
      } finally {
        await store.close();
      }
      const versions = await server.query(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      assert.deepEqual(
        versions.map((row) => Number(row.version)),
        PG_MIGRATIONS.map((_, index) => index + 1),
      );
    } finally {
      await server.dropSchema(schema);
    }
  },
});

/** The schema version before the finish rules moved to TypeScript (finish_job() decided them). */
const BEFORE_FINISH_RULES = 2;

/**
 * One job of every state as that schema stored it (three running: without a cancel request, with
 * one, and with one that its completed run will beat), a child blocked on a running job, and a
 * run in the history.
 */
const JOBS_OF_EVERY_STATE = `
  INSERT INTO jobs (id, command, state, attempts, max_retries, run_at, created_at, updated_at,
    started_at, finished_at, exit_code, last_error, lease_owner, lease_token, lease_expires_at,
    cancel_requested_at, queue)
  VALUES
    ('pending', 'echo p', 'pending', 0, 3, ${T0}, ${T0}, ${T0}, NULL, NULL, NULL, NULL, NULL, 0,
      NULL, NULL, 'default'),
    ('blocked', 'echo b', 'blocked', 0, 3, ${T0}, ${T0}, ${T0}, NULL, NULL, NULL, NULL, NULL, 0,
      NULL, NULL, 'default'),
    ('running', 'sleep 1', 'processing', 1, 3, ${T0}, ${T0}, ${T0}, ${T0}, NULL, NULL, NULL,
      'w-old', 1, ${T0 + 30_000}, NULL, 'default'),
    ('running-canceled', 'sleep 1', 'processing', 2, 3, ${T0}, ${T0}, ${T0}, ${T0}, NULL, NULL,
      'Exited with code 1', 'w-old', 2, ${T0 + 30_000}, ${T0 + 5}, 'default'),
    ('running-cancel-too-late', 'sleep 1', 'processing', 1, 3, ${T0}, ${T0}, ${T0}, ${T0}, NULL,
      NULL, NULL, 'w-old', 1, ${T0 + 30_000}, ${T0 + 5}, 'limited'),
    ('failed', 'false', 'failed', 1, 3, ${T0 + 2_000}, ${T0}, ${T0}, ${T0}, ${T0 + 1}, 1,
      'Exited with code 1', NULL, 1, NULL, NULL, 'default'),
    ('completed', 'true', 'completed', 1, 3, ${T0}, ${T0}, ${T0}, ${T0}, ${T0 + 1}, 0, NULL,
      NULL, 1, NULL, NULL, 'default'),
    ('dead', 'false', 'dead', 4, 3, ${T0}, ${T0}, ${T0}, ${T0}, ${T0 + 1}, 1,
      'Exited with code 1', NULL, 4, NULL, NULL, 'default'),
    ('canceled', 'sleep 9', 'canceled', 1, 3, ${T0}, ${T0}, ${T0}, ${T0}, ${T0 + 1}, NULL,
      'Canceled by a user while running', NULL, 1, NULL, ${T0}, 'default');
  INSERT INTO job_dependencies (child_seq, parent_seq)
    SELECT c.seq, p.seq FROM jobs c, jobs p WHERE c.id = 'blocked' AND p.id = 'running';
  INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
    exit_code, error, stdout, stdout_bytes, due_at)
    SELECT seq, 1, 1, 'w-old', ${T0}, ${T0 + 1}, 'completed', 0, NULL, 'done', 4, ${T0}
    FROM jobs WHERE id = 'completed';
  INSERT INTO queues (name, concurrency) VALUES ('default', NULL), ('limited', 1);
`;

/**
 * Every row of the tables that hold jobs, as stored (the upgrade must change none), without the
 * columns later migrations add (each checked to be NULL in every row: not set).
 */
async function storedJobs(server: TestPostgres, schema: string): Promise<unknown[]> {
  const tables = await Promise.all([
    server.query(`SELECT * FROM "${schema}".jobs ORDER BY seq`),
    server.query(`SELECT * FROM "${schema}".job_runs ORDER BY job_seq, run`),
    server.query(`SELECT * FROM "${schema}".job_dependencies ORDER BY child_seq, parent_seq`),
    server.query(`SELECT * FROM "${schema}".queues ORDER BY name`),
  ]);
  return (tables as Record<string, unknown>[][]).map((rows) =>
    rows.map((row) => {
      const kept = { ...row };
      for (const column of LATER_COLUMNS) {
        if (!(column in kept)) continue;
        assert.equal(kept[column], null, `${column} of a row from before its migration`);
        delete kept[column];
      }
      return kept;
    })
  );
}

/**
 * Columns of migration 4 (queue pauses, exit-code lists) and of the later migrations (finish
 * hooks, batches, rate and group limits, unique policies): NULL in every older row.
 */
const LATER_COLUMNS = [
  "retry_on",
  "no_retry_on",
  "paused_at",
  "paused_until",
  "on_finish",
  "on_finish_when",
  "hook_for",
  "batch",
  // Migration 7: rates and group limits.
  "group_key",
  "rate_limit",
  "rate_period_ms",
  "group_concurrency",
  "unique_policy",
  "debounce_max_ms",
];

Deno.test({
  name:
    "postgres: a schema from before the finish rules moved to TypeScript migrates with jobs of every state intact, and running jobs still finish",
  ignore: postgres === undefined,
  async fn() {
    const server = postgres!;
    const schema = await server.createSchemaName();
    try {
      await server.query(`CREATE SCHEMA "${schema}"`);
      await server.query(
        `SET search_path TO "${schema}";
         CREATE TABLE schema_migrations (
           version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         ${PG_MIGRATIONS.slice(0, BEFORE_FINISH_RULES).join(";\n")};
         INSERT INTO schema_migrations (version)
           SELECT generate_series(1, ${BEFORE_FINISH_RULES});
         ${JOBS_OF_EVERY_STATE};
         RESET search_path`,
      );
      const before = await storedJobs(server, schema);
      const store = await openStore({ kind: "postgres", url: server.urlFor(schema) });
      try {
        assert.equal(await store.schemaVersion(), PG_MIGRATIONS.length);
        assert.deepEqual(await storedJobs(server, schema), before, "every row is as it was");
        assert.deepEqual(
          Object.fromEntries((await store.jobList({})).map((job) => [job.id, job.state])),
          {
            pending: "pending",
            blocked: "blocked",
            running: "processing",
            "running-canceled": "processing",
            "running-cancel-too-late": "processing",
            failed: "failed",
            completed: "completed",
            dead: "dead",
            canceled: "canceled",
          },
        );

        // A run of the old schema finishes under the new function: without a cancel request
        // as proposed (and its blocked child is released), ...
        const running = (await store.jobGet({ id: "running" }))!;
        assert.equal(await store.jobFinish(finishOf(running, T0 + 10, "completed")), true);
        assert.equal((await store.jobGet({ id: "running" }))?.state, "completed");
        assert.equal((await store.jobGet({ id: "blocked" }))?.state, "pending");

        // ... with one as canceled (no refund), ...
        const canceled = (await store.jobGet({ id: "running-canceled" }))!;
        assert.equal(
          await store.jobFinish(
            finishOf(canceled, T0 + 11, "pending", { outcome: "released", refundAttempt: true }),
          ),
          true,
        );
        const canceledAfter = await store.jobGet({ id: "running-canceled" });
        assert.equal(canceledAfter?.state, "canceled");
        assert.equal(canceledAfter?.attempts, 2);
        assert.equal(canceledAfter?.lastError, "Canceled by a user while running");
        assert.equal(canceledAfter?.cancelRequestedAt, T0 + 5);
        assert.deepEqual(
          (await store.jobRuns({ id: "running-canceled" })).map((run) => run.outcome),
          ["canceled"],
        );

        // ... and completed when its run completed before the request was seen.
        const late = (await store.jobGet({ id: "running-cancel-too-late" }))!;
        assert.equal(await store.jobFinish(finishOf(late, T0 + 12, "completed")), true);
        const lateAfter = await store.jobGet({ id: "running-cancel-too-late" });
        assert.equal(lateAfter?.state, "completed");
        assert.equal(lateAfter?.cancelRequestedAt, null);

        // The stale lease of the old run is fenced off as before.
        assert.equal(await store.jobFinish(finishOf(running, T0 + 13, "failed")), false);
      } finally {
        await store.close();
      }
    } finally {
      await server.dropSchema(schema);
    }
  },
});
