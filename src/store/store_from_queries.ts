/**
 * The one `Store` implementation: a backend hands over its connection, its queries (one object,
 * one function per `Store` method) and the few lifecycle pieces, and gets a `Store` back. So a
 * new `Store` method is written in three places only: its contract in `store.ts`, a query in
 * each backend, and its contract tests (the compiler names a backend that lacks the query).
 *
 * @module
 */
import type { Store } from "./store.ts";
import type { StoreReader } from "./peek_types.ts";

/** What a backend provides beside its queries: where it is, how it closes, how it wakes. */
export type StoreLifecycle = Pick<Store, "location" | "close" | "schemaVersion" | "workSubscribe">;

/** The `Store` methods a backend answers with a query on its connection. */
export type StoreQueryName = Exclude<keyof Store, keyof StoreLifecycle>;

/**
 * A backend's queries: for each `Store` method, a function of the connection and the method's
 * parameters (none for the methods that take none) with the method's result.
 */
export type StoreQueries<Conn> = {
  readonly [Name in StoreQueryName]: Store[Name] extends (...params: infer Params) => infer Result
    ? (conn: Conn, ...params: Params) => Result
    : never;
};

/**
 * The `Store` over `conn`: each method calls its query with the connection, nothing more (no
 * allocation, no await of its own: claims and finishes are the hot path).
 */
export function storeFromQueries<Conn>(
  conn: Conn,
  queries: StoreQueries<Conn>,
  lifecycle: StoreLifecycle,
): Store {
  // Built in one go (not property by property), so the object keeps V8's fast property layout.
  const methods = Object.fromEntries(
    Object.entries(queries).map(([name, query]) => {
      const call = query as (conn: Conn, params: unknown) => unknown;
      return [name, (params: unknown) => call(conn, params)];
    }),
  );
  return { ...methods, ...lifecycle } as Store;
}

/** The read-only `StoreReader` over `conn` (for a peek): the reading queries, and `close`. */
export function readerFromQueries<Conn>(
  conn: Conn,
  queries: StoreQueries<Conn>,
  lifecycle: Pick<StoreLifecycle, "location" | "close">,
): StoreReader {
  return {
    location: lifecycle.location,
    close: lifecycle.close,
    workerList: () => queries.workerList(conn),
    jobListRescuable: (params) => queries.jobListRescuable(conn, params),
    jobCountByState: () => queries.jobCountByState(conn),
    configOverrides: () => queries.configOverrides(conn),
  };
}
