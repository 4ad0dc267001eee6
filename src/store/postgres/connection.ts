/**
 * The connection pool of a PostgreSQL store (`npm:postgres`), with what every query needs:
 * numbers for `bigint` columns, the store's schema on the `search_path`, errors a user can act
 * on (never a password), and the LISTEN connection that wakes idle workers.
 *
 * @module
 */
import postgres from "postgres";
import { errorMessage, QueuectlError, StoreUnavailableError } from "../../errors.ts";
import { isConnectionError } from "../connection_errors.ts";
import { maskSecrets } from "../secrets.ts";
import type { PostgresTarget } from "./url.ts";

/** A `postgres` query function bound to the pool, or to one transaction. */
export type Sql = postgres.Sql<Record<string, never>>;
/** A transaction's query function (`sql.begin`). */
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;
/** A row as the driver returns it. */
export type PgRow = Record<string, unknown>;

/** Connections per store: a CLI call needs one, a worker slot one or two. */
const POOL_SIZE = 3;

/**
 * The driver's options for `target`: its schema first on the search path, int8 as numbers.
 * Every commit waits for its WAL flush (`synchronous_commit = on`, whatever the server's
 * default), workers' included: a claim that a crashed server forgot puts the job back to
 * `pending` with its old lease token while its worker (on another host, alive) still runs it;
 * another worker then claims it under the very token the first one holds, so two runs overlap
 * and the first one's finish passes the fence. Several connections' commits share one flush.
 */
function driverOptions(target: PostgresTarget, extra: Record<string, unknown> = {}) {
  return {
    max: POOL_SIZE,
    // An idle CLI process or worker gives its connections back; they reopen on demand.
    idle_timeout: 60,
    connect_timeout: 10,
    // How long a connection that failed waits before it connects again. The driver's default
    // grows with every failure of the pool to 10–20 s, so after an outage of half a minute the
    // workers sat idle that long after the server was back; failed connects cost nothing, so try
    // again within a second.
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    // The driver's type fetch on every new connection has a failure path nothing can catch (a
    // connection dropped during it crashes the process with an unhandled rejection), and
    // queuectl needs none of it: arrays go as text literals (`textArray`).
    fetch_types: false,
    connection: {
      application_name: `queuectl:${target.schema}`,
      search_path: target.schema,
      synchronous_commit: "on",
    },
    types: {
      // Every bigint column holds epoch milliseconds, a sequence or a byte count: all well below
      // 2^53, so a Number is exact (the driver's default is a string).
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    ...extra,
  };
}

/**
 * Seconds before a pool connection connects again after its `retries`-th failure in a row:
 * 0.1 s doubling up to 1 s, with jitter so that the connections of many workers spread out.
 *
 * @example
 * ```ts
 * import { reconnectDelaySeconds } from "./connection.ts";
 * console.assert(reconnectDelaySeconds(1) <= 0.2);
 * console.assert(reconnectDelaySeconds(50) <= 1);
 * ```
 */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** Math.max(0, retries - 1), 1);
}

/** One store's pool. */
export class PgConnection {
  readonly sql: Sql;
  readonly target: PostgresTarget;
  /** The LISTEN/NOTIFY channel of this schema's wake-ups. */
  readonly channel: string;
  #closed = false;

  constructor(target: PostgresTarget) {
    this.target = target;
    this.channel = `${target.schema}.work`;
    this.sql = postgres(target.connectionUrl, driverOptions(target)) as unknown as Sql;
  }

  /**
   * Runs `body`, turning the driver's connection failures into `StoreUnavailableError` with the
   * password masked. Anything else is passed on as it is.
   */
  async run<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await body(this.sql);
    } catch (error) {
      throw this.explain(error);
    }
  }

  /** Runs `body` in one transaction (retried on a serialization failure or deadlock). */
  async transaction<T>(body: (sql: TransactionSql) => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.sql.begin(body) as T;
      } catch (error) {
        if (isRetryable(error) && attempt < 5) continue;
        throw this.explain(error);
      }
    }
  }

  /** A driver error as a user-facing one, when it is about reaching the database. */
  explain(error: unknown): unknown {
    if (error instanceof QueuectlError) return error;
    if (isUnreachable(error)) {
      return new StoreUnavailableError(
        `Cannot reach PostgreSQL at ${this.target.display}: ${
          maskSecrets(errorMessage(error), this.target.location)
        }`,
      );
    }
    return error;
  }

  /**
   * Calls `onWork` on every notification of the channel, and once after each (re)connection of
   * its LISTEN, since work may have arrived while it was down. Reconnects with backoff for as
   * long as it is not stopped. Returns a function that stops it.
   */
  watchWork(onWork: () => void): () => void {
    let stopped = false;
    let delayMs = 100;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const listenSoon = () => {
      if (stopped || retry !== undefined) return;
      retry = setTimeout(() => {
        retry = undefined;
        listen();
      }, delayMs);
      // Down: each try comes a little later, up to 5 s apart.
      delayMs = Math.min(delayMs * 2, 5_000);
    };
    const listener = postgres(
      this.target.connectionUrl,
      driverOptions(this.target, {
        max: 1,
        idle_timeout: null,
        max_lifetime: null,
        onnotify: () => onWork(),
        onclose: listenSoon,
      }),
    );
    const listen = async () => {
      if (stopped) return;
      try {
        await listener.unsafe(`LISTEN "${this.channel}"`);
        delayMs = 100;
        onWork();
      } catch {
        listenSoon();
      }
    };
    listen();
    return () => {
      stopped = true;
      clearTimeout(retry);
      listener.end({ timeout: 0 }).catch(() => {});
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.sql.end({ timeout: 5 });
  }
}

/** A lost or refused connection, or a server that refuses the database or the role. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return isConnectionError(error) || code === "3D000" || code === "28000" || code === "28P01";
}

/** Serialization failures and deadlocks: the transaction can simply run again. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "40001" || code === "40P01";
}

/**
 * A list of strings as a PostgreSQL array literal, to send as text and cast with `::text[]`
 * (null stays null).
 *
 * @example
 * ```ts
 * import { textArray } from "./connection.ts";
 * console.assert(textArray(["a", 'b"c']) === '{"a","b\\"c"}');
 * ```
 */
export function textArray(values: readonly string[] | null | undefined): string | null {
  if (values === null || values === undefined) return null;
  return `{${values.map((value) => `"${value.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}

/** The unique constraint a failed INSERT or UPDATE broke, if that is what happened. */
export function uniqueViolation(error: unknown): string | undefined {
  const failure = error as { code?: unknown; constraint_name?: unknown };
  return failure?.code === "23505" ? String(failure.constraint_name ?? "") : undefined;
}
