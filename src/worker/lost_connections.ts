/** Keeping a worker alive through errors of a dropped database connection. */
import { errorMessage } from "../errors.ts";
import { isConnectionError } from "../store/connection_errors.ts";

/**
 * The PostgreSQL driver lets a few errors of a dropped connection escape as unhandled promise
 * rejections (from work it starts on its own when it reconnects). Those are logged, not fatal:
 * the query that needed the connection fails on its own and is retried by its caller.
 */
export function survivingLostConnections(log: { warn(message: string): void }): () => void {
  const onUnhandled = (event: PromiseRejectionEvent) => {
    if (!isConnectionError(event.reason)) return;
    event.preventDefault();
    log.warn(`A database connection was lost: ${errorMessage(event.reason)}`);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  return () => globalThis.removeEventListener("unhandledrejection", onUnhandled);
}
