/**
 * The embedded store: one SQLite file in WAL mode, through Deno's built-in `node:sqlite` (no
 * native library is downloaded at run time, so the compiled binary stays standalone).
 *
 * Every write is one short `BEGIN IMMEDIATE` transaction (see `SqliteConnection.write`). The SQL
 * lives in one module per area (job_insert, jobs, claims, output, workers, settings), named in
 * `sqliteQueries`; this module opens and migrates the file and builds the `Store` from them.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";
import type { Store } from "../store.ts";
import { storeFromQueries } from "../store_from_queries.ts";
import { SqliteConnection } from "./connection.ts";
import { APPLICATION_ID, MIGRATIONS } from "./migrations.ts";
import { prepareFile } from "./prepare_file.ts";
import { isNotADatabase, storeErrorOf } from "./sqlite_errors.ts";
import { sqliteQueries } from "./queries.ts";
import { ThreadLock } from "./thread_lock.ts";

/** How hard a commit is pushed to disk. */
export type Durability = "full" | "normal";

/** Options of `openSqliteStore`. */
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

/** Opens (creating and migrating when needed) the SQLite file at `path` as a `Store`. */
export async function openSqliteStore(
  path: string,
  options: SqliteOpenOptions = {},
): Promise<Store> {
  await prepareFile(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw openError(error, path);
  }
  const threadLock = options.threadLock ? new ThreadLock(options.threadLock) : undefined;
  const conn = new SqliteConnection(path, db, threadLock);
  try {
    await migrate(conn);
    db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    // 64 MiB of page cache (the default is 2 MiB): a large batch no longer spills pages to the
    // WAL in the middle of its transaction. Only pages touched are allocated.
    db.exec("PRAGMA cache_size = -65536");
  } catch (error) {
    try {
      db.close();
    } catch {
      // The error that got us here is the one to report.
    }
    throw storeErrorOf(error, path, "open");
  }
  return storeFromQueries(conn, sqliteQueries, {
    location: conn.path,
    close() {
      if (conn.db.isOpen) conn.db.close();
      return Promise.resolve();
    },
    schemaVersion: () => Promise.resolve(userVersion(conn)),
    workSubscribe: (params) => conn.watchWork(params.onWork),
  });
}

function journalMode(conn: SqliteConnection): string {
  return String(conn.get("PRAGMA journal_mode")?.journal_mode);
}

/** The schema version (number of migrations applied). */
function userVersion(conn: SqliteConnection): number {
  return Number(conn.get("PRAGMA user_version")?.user_version ?? 0);
}

async function migrate(conn: SqliteConnection): Promise<void> {
  const foreign = (reason: string) =>
    new StoreUnavailableError(
      `"${conn.path}" is not a queuectl database (${reason}); refusing to change it`,
    );
  const checkOwnership = (locked: boolean) => {
    const applicationId = Number(conn.get("PRAGMA application_id")?.application_id);
    if (applicationId === APPLICATION_ID) return;
    if (applicationId !== 0) throw foreign(`its application id is ${applicationId}`);
    // Unlocked, the two reads may straddle another process's migration: judge tables only
    // under the lock.
    if (!locked) return;
    const objects = Number(conn.get("SELECT count(*) AS n FROM sqlite_schema")?.n);
    if (objects > 0) throw foreign("it holds tables of another program");
  };
  try {
    checkOwnership(false);
  } catch (error) {
    // Only "file is not a database" says whose file it is; a full disk or an I/O error on this
    // first read (every connection to a WAL file needs room for its -shm) says nothing of it.
    throw isNotADatabase(error) ? foreign(errorMessage(error)) : error;
  }
  // The usual open: the file is ours and up to date (a schema version only ever grows, and a
  // file is in WAL mode from its first migration on), so no write lock is taken.
  if (
    Number(conn.get("PRAGMA application_id")?.application_id) === APPLICATION_ID &&
    userVersion(conn) === MIGRATIONS.length && journalMode(conn) === "wal"
  ) return;
  await conn.write(() => {
    // Check again under the write lock: another process may have created the schema between
    // our first look and now, and its tables must not be taken for another program's.
    checkOwnership(true);
    const version = userVersion(conn);
    if (version > MIGRATIONS.length) {
      throw new StoreUnavailableError(
        `"${conn.path}" has schema version ${version}, newer than this queuectl knows (${MIGRATIONS.length}); upgrade queuectl`,
      );
    }
    for (let next = version; next < MIGRATIONS.length; next++) {
      conn.db.exec(MIGRATIONS[next]);
    }
    if (version < MIGRATIONS.length) {
      conn.db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      conn.db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    }
  });
  // Only now that the file is known to be ours (the mode cannot change inside a transaction).
  conn.db.exec("PRAGMA journal_mode = WAL");
}

/** A failure of `new DatabaseSync`: always the store's to report, its cause named when known. */
function openError(error: unknown, path: string): StoreUnavailableError {
  const mapped = storeErrorOf(error, path, "open");
  return mapped instanceof StoreUnavailableError
    ? mapped
    : new StoreUnavailableError(`Cannot open the database "${path}": ${errorMessage(error)}`);
}
