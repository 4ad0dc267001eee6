/**
 * Upgrades: a database made by the previous schema (migration 1 only, as queuectl before the
 * `shell` column wrote it) opens with this version, migrates once, keeps its jobs (with no shell
 * of their own) and stores new jobs' shells. On SQLite and, when a server answers, PostgreSQL.
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
import { postgresForTests } from "../helpers/postgres.ts";
import { newJob, T0 } from "./contract/harness.ts";

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
