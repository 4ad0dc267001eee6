/**
 * The store: the interface, and `openStore` and `peekStore`, the only places a backend is chosen.
 *
 * @module
 */
import {
  displayLocation,
  resolveStoreLocation,
  stateDirectory,
  type StoreLocation,
} from "./location.ts";
import type { PeekOptions, StorePeek, StoreReader } from "./peek_types.ts";
import { peekSqlite } from "./sqlite/peek.ts";
import { type Durability, openSqliteStore } from "./sqlite/sqlite_store.ts";
import type { Store } from "./store.ts";

export type {
  BatchCallback,
  BatchInfo,
  BatchOutcome,
  Histogram,
  JobClaimParams,
  JobDependencies,
  JobEditParams,
  JobFilter,
  JobFinish,
  JobFinishAndClaimParams,
  JobFinishAndClaimResult,
  JobInsertResult,
  JobListParams,
  MissedPolicy,
  NewBatch,
  NewJob,
  OutputChunk,
  OutputStream,
  QueueInfo,
  QueueSettings,
  RunBucket,
  RunTotals,
  Schedule,
  ScheduledJob,
  StopMode,
  Store,
  StoredExitCodes,
  WorkerProcess,
  WorkerProcessWithJobs,
} from "./store.ts";
export { displayLocation, resolveStoreLocation, stateDirectory, type StoreLocation };
export type { PeekOptions, StorePeek, StoreReader };
export { locationHasSecret, maskLocation, maskSecrets } from "./secrets.ts";
export type { Durability };

/** How a process uses the store it opens. */
export interface StoreOptions {
  /**
   * SQLite: `full` (default), every commit on disk; `normal`, the workers' lighter commits (a
   * power loss stops the workers too). PostgreSQL ignores it: every commit waits for its WAL
   * flush, since a claim a crashed server forgot would hand a job that still runs on one host,
   * under the same lease token, to a worker on another.
   */
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
    const { openPostgresStore } = await import("./postgres/postgres_store.ts");
    return await openPostgresStore(location.url);
  }
  return await openSqliteStore(location.path, options);
}

/**
 * Looks at the store at `location` without creating, migrating or writing to it, for
 * `queuectl doctor` and `queuectl --version` (which `openStore` cannot serve: it creates a
 * missing database and migrates an old one). Throws `StoreUnavailableError` when it cannot be
 * read or reached.
 *
 * @example
 * ```ts
 * import { peekStore } from "./mod.ts";
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
    // Loaded on demand, as in openStore.
    const { peekPostgres } = await import("./postgres/peek.ts");
    return await peekPostgres(location.url, options.timeoutMs ?? 10_000);
  }
  return await peekSqlite(location.path);
}
