/**
 * `peekStore` for SQLite: looks at the file read-only, creating nothing (`openSqliteStore` would
 * create and migrate it).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";
import type { StorePeek, StoreReader } from "../peek_types.ts";
import { readerFromQueries } from "../store_from_queries.ts";
import { SqliteConnection } from "./connection.ts";
import { APPLICATION_ID, MIGRATIONS } from "./migrations.ts";
import { sqliteQueries } from "./queries.ts";

/** Looks at the file at `path`; never writes to it (not even its journal mode). */
export async function peekSqlite(path: string): Promise<StorePeek> {
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
  return readerFromQueries(connection, sqliteQueries, {
    location: connection.path,
    close() {
      if (connection.db.isOpen) connection.db.close();
      return Promise.resolve();
    },
  });
}
