/**
 * Test helpers that drive the real CLI (`deno run -A main.ts …`) as a user would, each test on
 * its own temporary database. Synchronise with `waitFor` (polling with a deadline), never sleep.
 *
 * The store under test is SQLite (a `queue.db` in the sandbox's directory) unless the test
 * process runs with `QUEUECTL_TEST_STORE=postgres`: then each sandbox is a fresh schema on the
 * test server of `postgres.ts`. With no server answering, the tests registered with
 * `onEveryStore.test` are ignored (unless `QUEUECTL_REQUIRE_POSTGRES=1`: then loading this module fails).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import { postgresForTests, type TestPostgres } from "./postgres.ts";

/** The entry point under test. */
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** The stores the end-to-end tests run against. */
export type StoreKind = "sqlite" | "postgres";

/** The store this test process runs the end-to-end tests against (`QUEUECTL_TEST_STORE`). */
export const TEST_STORE: StoreKind = testStore(Deno.env.get("QUEUECTL_TEST_STORE"));

function testStore(value: string | undefined): StoreKind {
  if (value === undefined || value === "" || value === "sqlite") return "sqlite";
  if (value === "postgres") return "postgres";
  throw new Error(`QUEUECTL_TEST_STORE=${value}: expected "sqlite" or "postgres"`);
}

/** The test server when the tests run on PostgreSQL and it answers. */
const testPostgres: TestPostgres | undefined = TEST_STORE === "postgres"
  ? await postgresForTests()
  : undefined;

/** Whether the store under test can be used (false: PostgreSQL was asked for and is missing). */
export const STORE_AVAILABLE = TEST_STORE === "sqlite" || testPostgres !== undefined;

/**
 * Registers an end-to-end test that runs on every store, as `Deno.test` does; with
 * `Deno.test.ignore` when the store under test is missing, so that it shows as ignored, not passed.
 */
export const onEveryStore: { test: typeof Deno.test.ignore } = {
  test: STORE_AVAILABLE ? Deno.test : Deno.test.ignore,
};

/** Registers a test about the SQLite file itself: ignored on the other stores. */
export const sqliteOnly: { test: typeof Deno.test.ignore } = {
  test: TEST_STORE === "sqlite" ? Deno.test : Deno.test.ignore,
};

/** What a finished CLI call printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A temporary directory and a database of its own: `queue.db` in the directory (SQLite), or a
 * fresh schema on the test server (PostgreSQL). `cleanup()` removes both.
 */
export interface Sandbox {
  /** Which store the database is in. */
  store: StoreKind;
  /** A temporary directory for the test's files (and the SQLite database). */
  dir: string;
  /** The database location given as QUEUECTL_DB: a file path, or a `postgres://` URL. */
  db: string;
  /** The schema on the test server (PostgreSQL only). */
  schema?: string;
  /** Environment for CLI calls: QUEUECTL_DB and XDG_STATE_HOME (the directory) set. */
  env: Record<string, string>;
  /** Runs `queuectl ARGS…` to its end. */
  run(
    args: string[],
    options?: { stdin?: string | Uint8Array; env?: Record<string, string> },
  ): Promise<CliResult>;
  /** Runs `queuectl ARGS…` and fails the test unless it exits 0; returns stdout. */
  ok(args: string[], options?: { env?: Record<string, string> }): Promise<string>;
  /** Starts `queuectl worker start …` in the background (stdout/stderr piped). */
  spawnWorker(args?: string[], options?: { env?: Record<string, string> }): WorkerHandle;
  /** `status --json`, parsed. */
  status(): Promise<{ jobs: Record<string, number>; workers: Record<string, unknown>[] }>;
  /** `info ID --json`, parsed. */
  info(id: string): Promise<Record<string, unknown>>;
  cleanup(): Promise<void>;
  /** `await using sandbox = await makeSandbox()`: cleans up when the test's scope ends. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A worker process started by `spawnWorker`. */
export interface WorkerHandle {
  process: Deno.ChildProcess;
  pid: number;
  /** Sends a signal to the worker process (not its jobs). */
  kill(signal?: Deno.Signal): void;
  /** Waits for exit; returns the code and everything it logged. */
  finished(): Promise<CliResult>;
}

/**
 * Makes a sandbox on the store under test, or on `store` (tests that cover every store in one
 * run); use as `await using sandbox = await makeSandbox();`, which removes it at the scope's end.
 * With `onSchemaOf`, a PostgreSQL sandbox gets a directory of its own but works in that
 * sandbox's schema, which its cleanup leaves in place (for many checks that each change nothing,
 * where copying a schema per check would cost most of their time).
 */
export async function makeSandbox(
  store: StoreKind = TEST_STORE,
  options: { onSchemaOf?: Sandbox } = {},
): Promise<Sandbox> {
  const server = store === "postgres" ? await postgresForTests() : undefined;
  if (store === "postgres" && server === undefined) {
    throw new Error("A PostgreSQL sandbox was asked for, but no PostgreSQL server answers");
  }
  const host = options.onSchemaOf;
  if (host !== undefined && (store !== "postgres" || host.store !== "postgres")) {
    throw new Error("Only a PostgreSQL sandbox can work in another's schema");
  }
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  const schema = host?.schema ?? await server?.createSchemaName();
  const db = schema === undefined ? join(dir, "queue.db") : server!.urlFor(schema);
  // State files queuectl puts in a default place (a detached worker's log when the database is
  // not a file) go to the sandbox too, not to the user's home.
  const env: Record<string, string> = { QUEUECTL_DB: db, NO_COLOR: "1", XDG_STATE_HOME: dir };
  const workers: WorkerHandle[] = [];
  const sandbox: Sandbox = {
    store,
    dir,
    db,
    schema,
    env,
    run: (args, options = {}) => runCli(args, { ...env, ...options.env }, options.stdin),
    async ok(args, options = {}) {
      const result = await runCli(args, { ...env, ...options.env });
      if (result.code !== 0) {
        throw new Error(
          `queuectl ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`,
        );
      }
      return result.stdout;
    },
    spawnWorker(args = [], options = {}) {
      const handle = spawnCli(["worker", "start", ...args], { ...env, ...options.env });
      workers.push(handle);
      return handle;
    },
    async status() {
      return JSON.parse(await sandbox.ok(["status", "--json"]));
    },
    async info(id) {
      return JSON.parse(await sandbox.ok(["info", id, "--json"]));
    },
    [Symbol.asyncDispose]: () => sandbox.cleanup(),
    async cleanup() {
      for (const worker of workers) {
        try {
          worker.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await worker.process.status;
        await worker.process.stdout.cancel().catch(() => {});
        await worker.process.stderr.cancel().catch(() => {});
      }
      if (schema !== undefined && host === undefined) await server!.dropSchema(schema);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return sandbox;
}

/** Runs the CLI with exactly this environment (plus PATH and HOME). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string | Uint8Array,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(env),
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function spawnCli(args: string[], env: Record<string, string>): WorkerHandle {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let finished: Promise<CliResult> | undefined;
  return {
    process,
    pid: process.pid,
    kill: (signal = "SIGTERM") => process.kill(signal),
    finished: () =>
      finished ??= process.output().then((output) => ({
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
      })),
  };
}

/** The environment a CLI call of the tests gets: PATH, HOME and Deno's own, then `env`. */
export function cliEnvironment(env: Record<string, string>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  return { ...inherited, ...env };
}

/**
 * Polls `check` until it returns a truthy value, and returns that value; fails with `what` when
 * `timeoutMs` passes first.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads a text file, or "" when it does not exist yet. */
export async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/**
 * Every row of every table of the sandbox's database (read directly, read-only), or null when
 * there is no database yet (no file; no schema): compare before and after to prove a failed
 * command changed nothing.
 */
export async function snapshotDatabase(sandbox: Sandbox): Promise<string | null> {
  return sandbox.store === "postgres"
    ? await snapshotPostgres(schemaOf(sandbox))
    : snapshotSqlite(sandbox.db);
}

/** A running worker's heartbeat moves on its own: it is liveness, not data a command changed. */
function withoutHeartbeats(table: string, rows: Record<string, unknown>[]) {
  return table === "workers" ? rows.map(({ heartbeat_at: _heartbeat, ...row }) => row) : rows;
}

function snapshotSqlite(path: string): string | null {
  try {
    Deno.statSync(path);
  } catch {
    return null;
  }
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all().map((row) => String(row.name));
    const dump: Record<string, unknown> = {
      schema: db.prepare("PRAGMA user_version").get(),
    };
    for (const table of tables) {
      dump[table] = withoutHeartbeats(
        table,
        db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all(),
      );
    }
    return JSON.stringify(dump);
  } finally {
    db.close();
  }
}

/** Every table of the schema, in name order, each ordered by all its columns. */
async function snapshotPostgres(schema: string): Promise<string | null> {
  const pg = await postgresServer();
  const columns = await pg.query(
    `SELECT c.table_name, count(*)::int AS columns
     FROM information_schema.columns c
     JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
     GROUP BY c.table_name ORDER BY c.table_name COLLATE "C"`,
    [schema],
  );
  if (columns.length === 0) return null;
  const dump: Record<string, unknown> = {};
  for (const { table_name: table, columns: count } of columns) {
    const order = Array.from({ length: Number(count) }, (_, index) => index + 1).join(", ");
    const rows = await pg.query(`SELECT * FROM "${schema}"."${table}" ORDER BY ${order}`);
    dump[String(table)] = withoutHeartbeats(String(table), rows);
  }
  return JSON.stringify(dump);
}

/** The test server, for a PostgreSQL sandbox (which exists only when it answered). */
async function postgresServer(): Promise<TestPostgres> {
  const server = await postgresForTests();
  if (server === undefined) throw new Error("No PostgreSQL server answers");
  return server;
}

function schemaOf(sandbox: Sandbox): string {
  if (sandbox.schema === undefined) throw new Error(`the sandbox at ${sandbox.db} has no schema`);
  return sandbox.schema;
}

/**
 * Makes `target`'s database a copy of `source`'s (which no process may be using): the SQLite
 * file byte for byte, or every row (and identity counter) of the PostgreSQL schema, into a
 * schema made by the store's own migrations.
 */
export async function copyDatabase(source: Sandbox, target: Sandbox): Promise<void> {
  if (source.store !== target.store) throw new Error("copyDatabase across stores");
  if (source.store === "sqlite") {
    for (const suffix of ["", "-wal"]) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(source.db + suffix);
      } catch {
        continue; // No WAL left: it was checkpointed when the last connection closed.
      }
      await Deno.writeFile(target.db + suffix, bytes);
    }
    return;
  }
  const [from, to] = [schemaOf(source), schemaOf(target)];
  const { openStore } = await import("../../src/store/mod.ts");
  await (await openStore({ kind: "postgres", url: target.db })).close();
  const pg = await postgresServer();
  const tables = (await pg.query(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE "C"`,
    [from],
  )).map((row) => String(row.table_name));
  const references = await pg.query(
    `SELECT DISTINCT child.relname AS child, parent.relname AS parent
     FROM pg_constraint c
     JOIN pg_class child ON child.oid = c.conrelid
     JOIN pg_class parent ON parent.oid = c.confrelid
     WHERE c.contype = 'f' AND c.connamespace = $1::regnamespace AND child.oid <> parent.oid`,
    [from],
  );
  // Parents before children: rows are inserted in this order, and deleted in the reverse one.
  const ordered: string[] = [];
  while (ordered.length < tables.length) {
    const ready = tables.filter((table) =>
      !ordered.includes(table) &&
      references.every((ref) => ref.child !== table || ordered.includes(String(ref.parent)))
    );
    if (ready.length === 0) throw new Error(`a cycle of foreign keys in schema ${from}`);
    ordered.push(...ready);
  }
  const statements = [
    ...[...ordered].reverse().map((table) => `DELETE FROM "${to}"."${table}";`),
    ...ordered.map((table) =>
      `INSERT INTO "${to}"."${table}" OVERRIDING SYSTEM VALUE SELECT * FROM "${from}"."${table}";`
    ),
  ];
  // One statement, so one transaction: the rows, then each identity counter where it was.
  await pg.query(`DO $copy$
    DECLARE counter record;
    BEGIN
      ${statements.join("\n      ")}
      FOR counter IN
        SELECT sequencename, last_value FROM pg_sequences
        WHERE schemaname = '${from}' AND last_value IS NOT NULL
      LOOP
        PERFORM setval(format('%I.%I', '${to}', counter.sequencename), counter.last_value);
      END LOOP;
    END
  $copy$`);
}

/**
 * Sets columns of every row of a table of the sandbox's database directly: how a test fakes the
 * past. Returns the number of rows changed.
 */
export async function updateEveryRow(
  sandbox: Sandbox,
  table: string,
  values: Record<string, string | number | null>,
): Promise<number> {
  const names = Object.keys(values);
  if (sandbox.store === "postgres") {
    const set = names.map((name, index) => `"${name}" = $${index + 1}`).join(", ");
    const rows = await (await postgresServer()).query(
      `WITH changed AS (UPDATE "${schemaOf(sandbox)}"."${table}" SET ${set} RETURNING 1)
       SELECT count(*)::int AS count FROM changed`,
      Object.values(values),
    );
    return Number(rows[0].count);
  }
  const db = new DatabaseSync(sandbox.db);
  try {
    const set = names.map((name) => `"${name}" = ?`).join(", ");
    return Number(db.prepare(`UPDATE "${table}" SET ${set}`).run(...Object.values(values)).changes);
  } finally {
    db.close();
  }
}

/** Whether a process with this pid exists and is not a zombie (any Unix). */
export async function processExists(pid: number): Promise<boolean> {
  // POSIX ps, not /proc: the same on macOS. A zombie is gone (it only waits to be reaped).
  const output = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const state = new TextDecoder().decode(output.stdout).trim();
  return output.success && state !== "" && !/^[ZX]/.test(state);
}
