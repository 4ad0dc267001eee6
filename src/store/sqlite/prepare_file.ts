import { dirname } from "node:path";
import { errorMessage, StoreUnavailableError } from "../../errors.ts";
import { isNoSpaceLeft } from "./sqlite_errors.ts";

/**
 * Makes sure the database file can be opened: its directory exists (created 0700) and the file
 * exists (created 0600, so jobs' commands and output are not readable by other users). SQLite
 * creates the -wal and -shm files with the main file's mode.
 */
export async function prepareFile(path: string): Promise<void> {
  const directory = dirname(path);
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
    const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
    file.close();
  } catch (error) {
    throw new StoreUnavailableError(
      `Cannot open the database "${path}": ${
        isNoSpaceLeft(error) ? "the disk is full" : errorMessage(error)
      }`,
    );
  }
}
