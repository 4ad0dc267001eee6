/**
 * Telling a lost or refused database connection from other errors, by the error's code alone
 * (no driver import): PostgreSQL's classes 08 (connection exception) and 57P (operator
 * intervention), the driver's `CONNECT…` codes, and the socket errors beneath them.
 *
 * @module
 */

const SOCKET_CODES = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
];

/** True for an error that says the database could not be reached or the connection was lost. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (
      code.startsWith("08") || code.startsWith("57P") || code.startsWith("CONNECT") ||
      SOCKET_CODES.includes(code)
    ) {
      return true;
    }
  }
  // Socket errors the driver passes on without a code.
  const message = error instanceof Error ? error.message : "";
  return /socket has been ended by the other party|ECONNRESET|EPIPE/.test(message);
}
