/**
 * The store: the interface, and `openStore`, the only place a backend is chosen.
 *
 * @module
 */
import { resolveStoreLocation, stateDirectory, type StoreLocation } from "./location.ts";
import { type Durability, SqliteStore } from "./sqlite/sqlite_store.ts";
import type { Store } from "./store.ts";

export type {
  Histogram,
  JobDependencies,
  JobFilter,
  JobFinish,
  JobInsertResult,
  JobListParams,
  MissedPolicy,
  NewJob,
  OutputChunk,
  OutputStream,
  QueueInfo,
  RunBucket,
  RunTotals,
  Schedule,
  ScheduledJob,
  StopMode,
  Store,
  WorkerProcess,
  WorkerProcessWithJobs,
} from "./store.ts";
export { resolveStoreLocation, stateDirectory, type StoreLocation };
export {
  displayLocation,
  type PeekOptions,
  peekStore,
  type StorePeek,
  type StoreReader,
} from "./peek.ts";
export { locationHasSecret, maskLocation, maskSecrets } from "./secrets.ts";
export type { Durability };

/** How a process uses the store it opens. */
export interface StoreOptions {
  /** `full` (default): every commit on disk; `normal`: the workers' lighter commits. */
  durability?: Durability;
  /**
   * Shared by the threads of one process that write to one SQLite file (worker slots), so they
   * take turns without SQLite's sleeping busy handler; PostgreSQL ignores it.
   */
  threadLock?: SharedArrayBuffer;
}

/**
 * Opens the store at a resolved location, creating and migrating it when needed.
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await openStore({ kind: "sqlite", path: `${dir}/queue.db` });
 * console.assert((await store.jobCountByState()).pending === 0);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openStore(
  location: StoreLocation,
  options: StoreOptions = {},
): Promise<Store> {
  if (location.kind === "postgres") {
    // Loaded on demand: the driver adds ~30 ms to every start of a SQLite user's CLI call.
    const { PostgresStore } = await import("./postgres/postgres_store.ts");
    return await PostgresStore.open(location.url, { durability: options.durability });
  }
  return await SqliteStore.open(location.path, options);
}
