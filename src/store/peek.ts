/**
 * Looking at a store without changing it, for `queuectl doctor` and `queuectl --version`: is
 * there a database at the location, is it queuectl's, which schema version it has, and
 * read-only access to its workers, leases, job counts and config. `openStore` cannot serve them:
 * it creates a missing database and migrates an old one.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { errorMessage, StoreUnavailableError } from "../errors.ts";
import type { StoreLocation } from "./location.ts";
import * as claims from "./sqlite/claims.ts";
import { SqliteConnection } from "./sqlite/connection.ts";
import { maskLocation } from "./secrets.ts";
import * as jobs from "./sqlite/jobs.ts";
import { APPLICATION_ID, MIGRATIONS } from "./sqlite/migrations.ts";
import * as settings from "./sqlite/settings.ts";
import * as workers from "./sqlite/workers.ts";
import type { Store } from "./store.ts";

/** Read-only access to a store: the reading `Store` methods a health check needs. */
export type StoreReader = Pick<
  Store,
  "location" | "workerList" | "jobListRescuable" | "jobCountByState" | "configOverrides" | "close"
>;

/** What is at a store location, as far as can be told without changing anything. */
export type StorePeek =
  & {
    /** Where, safe to print (passwords masked). */
    location: string;
    /** The schema version this queuectl creates and expects there. */
    expectedVersion: number;
    /** The server's name and version (PostgreSQL only). */
    server?: string;
  }
  & (
    /** Nothing there yet: no file, or no schema. */
    | { state: "missing"; detail: string }
    /** An empty database (or schema): queuectl would create its tables on first use. */
    | { state: "empty" }
    /** Something that is not queuectl's, which queuectl refuses to touch. */
    | { state: "foreign"; reason: string }
    /**
     * A queuectl database. `reader` is there only when `schemaVersion` is the expected one (the
     * queries assume that schema); close it when done.
     */
    | { state: "queuectl"; schemaVersion: number; reader?: StoreReader }
  );

/** Options of `peekStore`. */
export interface PeekOptions {
  /** Give up on a PostgreSQL server that does not answer within this time (default 10 s). */
  timeoutMs?: number;
}

/**
 * Looks at the store at `location` without creating, migrating or writing to it. Throws
 * `StoreUnavailableError` when it cannot be read or reached.
 *
 * @example
 * ```ts
 * import { peekStore } from "./peek.ts";
 * const dir = await Deno.makeTempDir();
 * const peek = await peekStore({ kind: "sqlite", path: `${dir}/queue.db` });
 * console.assert(peek.state === "missing");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function peekStore(
  location: StoreLocation,
  options: PeekOptions = {},
): Promise<StorePeek> {
  if (location.kind === "postgres") {
    // Loaded on demand, as in openStore: the driver costs start-up time a SQLite user should not pay.
    const { peekPostgres } = await import("./postgres/peek.ts");
    return await peekPostgres(location.url, options.timeoutMs ?? 10_000);
  }
  return await peekSqlite(location.path);
}

/** The location as it may be printed: a file path, or a URL with its secrets masked. */
export function displayLocation(location: StoreLocation): string {
  return location.kind === "sqlite" ? location.path : maskLocation(location.url);
}

async function peekSqlite(path: string): Promise<StorePeek> {
  const known = { location: path, expectedVersion: MIGRATIONS.length };
  const info = await Deno.stat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StoreUnavailableError(`Cannot look at "${path}": ${errorMessage(error)}`);
  });
  if (!info) return { ...known, state: "missing", detail: "the file does not exist" };
  if (!info.isFile) return { ...known, state: "foreign", reason: "it is not a file" };
  // Read-only: nothing here may change the file (not even its journal mode).
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: 2000 });
  } catch (error) {
    throw new StoreUnavailableError(`Cannot open database "${path}": ${errorMessage(error)}`);
  }
  const connection = new SqliteConnection(path, db);
  try {
    const peek = readSqliteHeader(connection, known);
    if (peek.state === "queuectl" && peek.schemaVersion === known.expectedVersion) {
      return { ...peek, reader: sqliteReader(connection) };
    }
    db.close();
    return peek;
  } catch (error) {
    db.close();
    throw error;
  }
}

function readSqliteHeader(
  connection: SqliteConnection,
  known: { location: string; expectedVersion: number },
): StorePeek {
  let header: { applicationId: number; version: number; objects: number };
  try {
    header = {
      applicationId: Number(connection.get("PRAGMA application_id")?.application_id),
      version: Number(connection.get("PRAGMA user_version")?.user_version),
      objects: Number(connection.get("SELECT count(*) AS n FROM sqlite_schema")?.n),
    };
  } catch (error) {
    if (/not a database|file is encrypted/i.test(errorMessage(error))) {
      return { ...known, state: "foreign", reason: "it is not a SQLite database" };
    }
    throw new StoreUnavailableError(
      `Cannot read database "${known.location}": ${errorMessage(error)}`,
    );
  }
  if (header.applicationId === APPLICATION_ID) {
    return { ...known, state: "queuectl", schemaVersion: header.version };
  }
  if (header.applicationId !== 0) {
    return { ...known, state: "foreign", reason: `its application id is ${header.applicationId}` };
  }
  if (header.objects > 0) {
    return { ...known, state: "foreign", reason: "it holds tables of another program" };
  }
  return { ...known, state: "empty" };
}

function sqliteReader(connection: SqliteConnection): StoreReader {
  return {
    location: connection.path,
    workerList: () => workers.workerList(connection),
    jobListRescuable: (params) => claims.jobListRescuable(connection, params),
    jobCountByState: () => jobs.jobCountByState(connection),
    configOverrides: () => settings.configOverrides(connection),
    close() {
      if (connection.db.isOpen) connection.db.close();
      return Promise.resolve();
    },
  };
}
