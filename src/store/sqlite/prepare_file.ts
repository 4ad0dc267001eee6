import { hostPath } from "../../paths.ts";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";
import { isNoSpaceLeft } from "./sqlite_errors.ts";

/**
 * Makes sure the database file can be opened: its directory exists (created 0700) and the file
 * exists (created 0600, so jobs' commands and output are not readable by other users). SQLite
 * creates the -wal and -shm files with the main file's mode.
 *
 * An existing database file is never opened here: on POSIX, closing any descriptor of a file
 * drops every lock the process holds on it, so an open and close beside a live connection (a
 * worker thread opening its store while the supervisor's is open) silently released the
 * process's shared lock on the database. An older sqlite3 (3.40) then believed itself the last
 * user, checkpointed and deleted the -wal and -shm under the workers: lost rows and a corrupt
 * database. SQLite's own open reports a file it cannot use.
 *
 * A file that exists already (every call but the first) costs one `stat`: its directory exists.
 */
export async function prepareFile(path: string): Promise<void> {
  const existing = await Deno.stat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory) return;
  const directory = hostPath.dirname(path);
  try {
    await Deno.mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StoreUnavailableError(
      `Cannot create the database directory "${directory}": ${
        isNoSpaceLeft(error) ? "the disk is full" : errorMessage(error)
      }`,
    );
  }
  try {
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isDirectory) throw new Error("it is a directory");
    if (info === undefined) {
      // Only a file made here is opened (and closed): no connection can hold a lock on it yet.
      const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 }).catch(
        (error) => {
          if (error instanceof Deno.errors.AlreadyExists) return undefined; // Another process won.
          throw error;
        },
      );
      file?.close();
    }
  } catch (error) {
    throw new StoreUnavailableError(
      `Cannot open the database "${path}": ${
        isNoSpaceLeft(error) ? "the disk is full" : errorMessage(error)
      }`,
    );
  }
}
