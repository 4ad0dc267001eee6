/**
 * One SQLite connection with what every query needs: a prepared-statement cache, short
 * `BEGIN IMMEDIATE` write transactions retried when the database is busy, and the wake-up file.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Row } from "./rows.ts";
import { isBusy, storeErrorOf } from "./sqlite_errors.ts";
import type { ThreadLock } from "./thread_lock.ts";

const BUSY_RETRIES = 20;

/** A connection to one database file. */
export class SqliteConnection {
  readonly path: string;
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #threadLock: ThreadLock | undefined;

  constructor(path: string, db: DatabaseSync, threadLock?: ThreadLock) {
    this.path = path;
    this.db = db;
    this.#threadLock = threadLock;
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The first row of a one-off query (pragmas), not cached. */
  get(sql: string): Row | undefined {
    return this.db.prepare(sql).get() as Row | undefined;
  }

  /**
   * Runs `body` in one `BEGIN IMMEDIATE` transaction: it takes the write lock up front, so it
   * never has to upgrade a read snapshot (which fails with SQLITE_BUSY_SNAPSHOT, untouched by
   * the busy timeout). SQLITE_BUSY past the busy timeout is retried with jitter. A failure of
   * the disk (full, I/O error) rolls the whole transaction back and becomes a
   * `StoreUnavailableError` naming the cause (see `storeErrorOf`).
   */
  async write<T>(body: () => T): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return this.#threadLock
          ? this.#threadLock.hold(() => this.#transaction(body))
          : this.#transaction(body);
      } catch (error) {
        if (!isBusy(error) || attempt >= BUSY_RETRIES) {
          throw storeErrorOf(error, this.path, "write");
        }
        // Jittered, growing pause so racing writers do not retry in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  #transaction<T>(body: () => T): T {
    // A ROLLBACK that failed below left the last transaction open: end it, or no write would
    // ever begin again on this connection.
    if (this.db.isTransaction) this.db.exec("ROLLBACK");
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite may have rolled back already (a full disk at COMMIT can); the error that got us
      // here is the one to report, not a failed ROLLBACK's.
      try {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
      } catch {
        // Nothing was committed either way.
      }
      throw error;
    }
  }

  /**
   * Tells watching workers that there is something to look at. Called after the commit, so a
   * woken worker always sees the change. Best effort: workers poll as well.
   */
  announceWork(): void {
    try {
      touchWakeFile(this.#wakePath);
    } catch {
      // Workers poll as well.
    }
  }

  /** Calls `onWork` after every `announceWork` by any process; returns a function to stop. */
  watchWork(onWork: () => void): () => void {
    let watcher: Deno.FsWatcher;
    try {
      touchWakeFile(this.#wakePath);
      watcher = Deno.watchFs(this.#wakePath, { recursive: false });
    } catch {
      return () => {}; // No file watching here: the caller's polling still finds the work.
    }
    (async () => {
      try {
        for await (const event of watcher) if (announcesWork(event)) onWork();
      } catch {
        // Closed.
      }
    })();
    return () => watcher.close();
  }

  /**
   * A file beside the database that `announceWork` writes a byte to. A separate file, not the
   * -wal, so workers are not woken by each other's ordinary writes.
   */
  get #wakePath(): string {
    return `${this.path}-wake`;
  }
}

/**
 * Whether a change of the wake-up file is an announcement. One write is two events on Linux
 * (modify, then access as the writer closes it): counting the second would cost every worker
 * process an empty claim per announcement.
 */
export function announcesWork(event: Deno.FsEvent): boolean {
  return event.kind !== "access";
}

function touchWakeFile(path: string): void {
  const file = Deno.openSync(path, { write: true, create: true, mode: 0o600 });
  try {
    file.writeSync(new Uint8Array([1]));
  } finally {
    file.close();
  }
}
