/**
 * What `peekStore` finds at a store location, and the read-only `StoreReader` it may hand back:
 * the types both backends' peeks answer with (beside `Store`, which `StoreReader` is a part of).
 *
 * @module
 */
import type { Store } from "./store.ts";

/** Read-only access to a store: the reading `Store` methods a health check needs. */
export type StoreReader = Pick<
  Store,
  "location" | "workerList" | "jobListRescuable" | "jobCountByState" | "configOverrides" | "close"
>;

/** What is at a store location, as far as can be told without changing anything. */
export type StorePeek =
  & {
    /** Where, safe to print (passwords masked). */
    location: string;
    /** The schema version this queuectl creates and expects there. */
    expectedVersion: number;
    /** The server's name and version (PostgreSQL only). */
    server?: string;
  }
  & (
    /** Nothing there yet: no file, or no schema. */
    | { state: "missing"; detail: string }
    /** An empty database (or schema): queuectl would create its tables on first use. */
    | { state: "empty" }
    /** Something that is not queuectl's, which queuectl refuses to touch. */
    | { state: "foreign"; reason: string }
    /**
     * A queuectl database. `reader` is there only when `schemaVersion` is the expected one (the
     * queries assume that schema); close it when done.
     */
    | { state: "queuectl"; schemaVersion: number; reader?: StoreReader }
  );

/** Options of `peekStore`. */
export interface PeekOptions {
  /** Give up on a PostgreSQL server that does not answer within this time (default 10 s). */
  timeoutMs?: number;
}
