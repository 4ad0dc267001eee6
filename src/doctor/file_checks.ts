/**
 * The doctor's checks of files on this machine: the SQLite database's directory and the modes of
 * its files, and the directory of the detached worker's log. Only `stat` and `access` are used:
 * nothing is created, not even a probe file.
 *
 * @module
 */
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { type Check, fail, ok, warn } from "./check.ts";

/** The suffixes of the files SQLite keeps beside the database (same mode as the database). */
const SQLITE_SIDE_FILES = ["-wal", "-shm"];

/** The directory of the database: it must exist (or be creatable) and be writable. */
export function databaseDirectoryCheck(databasePath: string): Check {
  const directory = dirname(databasePath);
  const info = statOrUndefined(directory);
  if (!info) {
    return warn(
      "directory",
      `${directory} does not exist yet`,
      `queuectl creates it (mode 0700) with the database on first use: "queuectl migrate"`,
    );
  }
  if (!info.isDirectory) {
    return fail(
      "directory",
      `${directory} is not a directory`,
      "point --db or $QUEUECTL_DB at a path in a directory",
    );
  }
  if (!canAccess(directory, constants.W_OK | constants.X_OK)) {
    return fail(
      "directory",
      `${directory} is not writable by this user (SQLite keeps its -wal and -shm files there)`,
      `let this user write there (chown or chmod u+w ${
        shellQuote(directory)
      }), or point --db elsewhere`,
    );
  }
  if (info.mode !== null && (info.mode & 0o002) !== 0 && (info.mode & 0o1000) === 0) {
    return warn(
      "directory",
      `${directory} is writable by every user (mode ${
        modeText(info.mode)
      }): anyone can replace the database`,
      `chmod 700 ${shellQuote(directory)}`,
    );
  }
  return ok("directory", `${directory} exists and is writable`);
}

/**
 * The modes of the database and its side files: readable by other users is a warning (jobs'
 * commands, environments and output are in there), not writable by this user a failure.
 */
export function databasePermissionsCheck(databasePath: string): Check | undefined {
  const files = [databasePath, ...SQLITE_SIDE_FILES.map((suffix) => databasePath + suffix)]
    .map((path) => ({ path, info: statOrUndefined(path) }))
    .filter((file) => file.info?.isFile);
  if (files.length === 0) return undefined; // No database yet: the database check says so.
  const unwritable = files.filter((file) => !canAccess(file.path, constants.R_OK | constants.W_OK));
  if (unwritable.length > 0) {
    return fail(
      "permissions",
      `${
        listPaths(unwritable)
      } not readable and writable by this user: commands and workers will fail`,
      `run queuectl as the file's owner, or chown it to this user`,
    );
  }
  const open = files.filter((file) => ((file.info!.mode ?? 0) & 0o007) !== 0);
  if (open.length > 0) {
    return warn(
      "permissions",
      `${listPaths(open)} readable by other users (mode ${
        modeText(open[0].info!.mode!)
      }); jobs' commands, environments and output are stored in it`,
      `chmod 600 ${files.map((file) => shellQuote(file.path)).join(" ")}`,
    );
  }
  return ok(
    "permissions",
    `${databasePath} is for its owner only (mode ${modeText(files[0].info!.mode ?? 0o600)})`,
  );
}

/** The directory and mode of the log a detached worker writes (`worker start --detach`). */
export function logFileCheck(logPath: string): Check {
  const directory = dirname(logPath);
  const info = statOrUndefined(directory);
  if (!info) {
    return ok("log", `${logPath} (its directory is created by "worker start --detach")`);
  }
  if (!info.isDirectory || !canAccess(directory, constants.W_OK | constants.X_OK)) {
    return warn(
      "log",
      `${directory} is not a writable directory: "worker start --detach" cannot write ${logPath}`,
      `make ${shellQuote(directory)} writable, or pass --log-file PATH to worker start`,
    );
  }
  const log = statOrUndefined(logPath);
  if (log?.mode != null && (log.mode & 0o007) !== 0) {
    return warn(
      "log",
      `${logPath} is readable by other users (mode ${
        modeText(log.mode)
      }); it names jobs and their commands`,
      `chmod 600 ${shellQuote(logPath)}`,
    );
  }
  return ok("log", `${logPath} (directory writable)`);
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** access(2): what this process may do, root and ACLs included, which mode bits alone miss. */
function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function listPaths(files: { path: string }[]): string {
  const paths = files.map((file) => file.path).join(", ");
  return files.length === 1 ? `${paths} is` : `${paths} are`;
}

function modeText(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}

/** A path as a POSIX shell reads it back, for fixes the user may paste. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
