/**
 * The PostgreSQL server the tests use: `QUEUECTL_TEST_POSTGRES_URL`, by default the machine's
 * `postgres://root@127.0.0.1:5432/test`. Each test works in a schema of its own, made up here
 * and dropped by `dropSchema`.
 *
 * With no server answering, the PostgreSQL suites are skipped, unless
 * `QUEUECTL_REQUIRE_POSTGRES=1` (set by `.ci/run`): then they fail.
 *
 * @module
 */
import postgres from "postgres";

/** The test server, and schema names on it. */
export interface TestPostgres {
  /** The server's URL without a schema. */
  url: string;
  /** The queuectl location of `schema` on the test server. */
  urlFor(schema: string): string;
  /** A schema name no other test uses (nothing is created yet). */
  createSchemaName(): Promise<string>;
  /** Drops the schema and everything in it (no error when it does not exist). */
  dropSchema(schema: string): Promise<void>;
  /** Runs one query on the test server (outside any queuectl schema). */
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export const TEST_POSTGRES_URL = Deno.env.get("QUEUECTL_TEST_POSTGRES_URL") ??
  "postgres://root@127.0.0.1:5432/test";

let cached: Promise<TestPostgres | undefined> | undefined;

/** The test server, or undefined (tests skip) when none answers and none is required. */
export function postgresForTests(): Promise<TestPostgres | undefined> {
  return cached ??= connect();
}

async function connect(): Promise<TestPostgres | undefined> {
  const sql = postgres(TEST_POSTGRES_URL, { max: 2, onnotice: () => {}, idle_timeout: 1 });
  try {
    await sql`SELECT 1`;
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    if (Deno.env.get("QUEUECTL_REQUIRE_POSTGRES") === "1") {
      throw new Error(
        `QUEUECTL_REQUIRE_POSTGRES=1 but PostgreSQL at ${TEST_POSTGRES_URL} does not answer: ${error}`,
      );
    }
    console.warn(`PostgreSQL at ${TEST_POSTGRES_URL} does not answer: its tests are skipped`);
    return undefined;
  }
  return {
    url: TEST_POSTGRES_URL,
    urlFor(schema) {
      const url = new URL(TEST_POSTGRES_URL);
      url.searchParams.set("schema", schema);
      return url.href;
    },
    createSchemaName() {
      const random = crypto.getRandomValues(new Uint8Array(6));
      return Promise.resolve(
        `t_${Array.from(random, (byte) => byte.toString(16).padStart(2, "0")).join("")}`,
      );
    },
    async dropSchema(schema) {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    async query(text, params = []) {
      return [...await sql.unsafe(text, params as never[])];
    },
  };
}

/** A table lock held by a test until it lets go. */
export interface HeldLock {
  /** Ends the transaction that holds the lock, and waits for it. */
  release(): Promise<void>;
}

/**
 * Takes `LOCK TABLE "schema".table IN ACCESS EXCLUSIVE MODE` in a transaction on one of `sql`'s
 * connections and holds it until `release()`: every queuectl statement on that table waits
 * meanwhile (a worker's registration, its heartbeat), for as long as the test likes.
 */
export async function holdTableLock(
  sql: postgres.Sql,
  schema: string,
  table: string,
): Promise<HeldLock> {
  let letGo = () => {};
  const released = new Promise<void>((resolve) => letGo = resolve);
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => locked = resolve);
  const holder = sql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE "${schema}".${table} IN ACCESS EXCLUSIVE MODE`);
    locked();
    await released;
  });
  await Promise.race([isLocked, holder]);
  return {
    release: async () => {
      letGo();
      await holder;
    },
  };
}

/** How many of the sessions queuectl opened on `schema` wait for a lock now. */
export async function lockWaits(sql: postgres.Sql, schema: string): Promise<number> {
  const [row] = await sql`SELECT count(*)::int AS waits FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND application_name = ${`queuectl:${schema}`}`;
  return row.waits as number;
}
