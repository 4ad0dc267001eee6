/**
 * The one place SQLite's failures become user-facing errors: a full disk, an I/O error, a file
 * that cannot be opened, is read-only or damaged, or a lock held too long all mean the store is
 * unavailable (exit code 4), said in one line that names the file and the cause. Anything else
 * is passed on as it is (a bug keeps its stack trace).
 *
 * @module
 */
import { hostPath } from "../../paths.ts";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";

/** What was being done with the database when it failed (the start of the message). */
export type DatabaseAttempt = "open" | "write";

// SQLite's primary result codes (https://sqlite.org/rescode.html).
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** SQLite's own text of each code above (`sqlite3_errstr`), which is all some errors carry. */
const CODE_OF_MESSAGE: [RegExp, number][] = [
  [/^attempt to write a readonly database/, SQLITE_READONLY],
  [/^disk I\/O error/, SQLITE_IOERR],
  [/^database disk image is malformed/, SQLITE_CORRUPT],
  [/^database or disk is full/, SQLITE_FULL],
  [/^unable to open database file/, SQLITE_CANTOPEN],
  [/^file is not a database/, SQLITE_NOTADB],
];

/**
 * The primary SQLite result code of a `node:sqlite` error, or undefined for any other error.
 * A statement's error carries its extended code as `errcode` (the low byte is the primary code);
 * an `exec` error (COMMIT, say) only its message.
 */
export function sqliteCode(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { errcode?: unknown }).errcode;
  if (typeof code === "number") return code & 0xff;
  if ((error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") return undefined;
  return CODE_OF_MESSAGE.find(([pattern]) => pattern.test(error.message))?.[1];
}

/** True for SQLite's "file is not a database" (a file of another format). */
export function isNotADatabase(error: unknown): boolean {
  return sqliteCode(error) === SQLITE_NOTADB;
}

/** True when SQLite gave up waiting for another connection's lock. */
export function isBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /database is locked|database is busy|SQLITE_BUSY/i.test(message);
}

/**
 * `error` as a `StoreUnavailableError` saying what `attempt` on the database at `path` failed
 * on, when it is one of the failures of the file or the disk beneath it; otherwise `error`
 * itself. An I/O error is looked into: SQLite reports a full disk as one when it cannot grow
 * its shared-memory file (`-shm`), which every connection to a WAL database needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeErrorOf } from "./sqlite_errors.ts";
 *
 * const full = Object.assign(new Error("database or disk is full"), { errcode: 13 });
 * assert.equal(
 *   (storeErrorOf(full, "/var/q.db", "write") as Error).message,
 *   'Cannot write to the database "/var/q.db": the disk is full',
 * );
 * ```
 */
export function storeErrorOf(error: unknown, path: string, attempt: DatabaseAttempt): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const cause = causeOf(error, path);
  if (cause === undefined) return error;
  return new StoreUnavailableError(`${ATTEMPTS[attempt]} "${path}": ${cause}`);
}

const ATTEMPTS: Record<DatabaseAttempt, string> = {
  open: "Cannot open the database",
  write: "Cannot write to the database",
};

function causeOf(error: unknown, path: string): string | undefined {
  if (isBusy(error)) {
    return `it stayed locked by another process (${errorMessage(error)})`;
  }
  switch (sqliteCode(error)) {
    case SQLITE_FULL:
      return "the disk is full";
    case SQLITE_IOERR:
      return diskIsFull(hostPath.dirname(path))
        ? "the disk is full"
        : `a disk I/O error (${detail(error)})`;
    case SQLITE_CANTOPEN:
      return `SQLite cannot open the file or create its -wal and -shm files beside it (${
        detail(error)
      })`;
    case SQLITE_READONLY:
      return `it is read-only (${detail(error)})`;
    case SQLITE_CORRUPT:
      return `the file is damaged (${detail(error)})`;
  }
  // The file system's own errors (creating the file or its directory).
  return isNoSpaceLeft(error) ? "the disk is full" : undefined;
}

/** SQLite's description, and its extended code when known, for whoever digs deeper. */
function detail(error: unknown): string {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === "number"
    ? `${errorMessage(error)}, SQLite code ${code}`
    : errorMessage(error);
}

/**
 * True for a file system's "no space left" as Deno reports it: ENOSPC or EDQUOT on Unix
 * ("No space left on device (os error 28)"), ERROR_DISK_FULL on Windows.
 */
export function isNoSpaceLeft(error: unknown): boolean {
  return /no space left on device|disk quota exceeded|not enough space on the disk/i.test(
    errorMessage(error),
  );
}

/**
 * Whether `directory` has no room for a page: a small file is written there and removed. Only
 * called after an I/O error, to name its cause.
 */
function diskIsFull(directory: string): boolean {
  let probe: string | undefined;
  try {
    probe = Deno.makeTempFileSync({ dir: directory, prefix: ".queuectl-space-" });
    const file = Deno.openSync(probe, { write: true });
    try {
      file.writeSync(new Uint8Array(4096));
    } finally {
      file.close();
    }
    return false;
  } catch (error) {
    return isNoSpaceLeft(error);
  } finally {
    if (probe !== undefined) {
      try {
        Deno.removeSync(probe);
      } catch {
        // A probe left behind is a few bytes; the error that led here matters more.
      }
    }
  }
}
