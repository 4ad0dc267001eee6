/**
 * The doctor's checks of the store, from what `peekStore` found: whether PostgreSQL answers,
 * whether the database is queuectl's, and whether its schema version is the one this queuectl
 * works with.
 *
 * @module
 */
import { errorMessage, UsageError } from "../errors.ts";
import type { StoreLocation, StorePeek } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import { type Check, fail, ok, warn } from "./check.ts";

/** What looking at the store gave: what is there, or why it could not be looked at. */
export type PeekOutcome = { peek: StorePeek } | { error: unknown };

/** PostgreSQL only: the server answered (and which it is), or why not. */
export function connectionCheck(outcome: PeekOutcome): Check {
  if ("peek" in outcome) {
    return ok(
      "connection",
      `${outcome.peek.server ?? "PostgreSQL"} answers at ${outcome.peek.location}`,
    );
  }
  if (outcome.error instanceof UsageError) {
    return fail("connection", errorMessage(outcome.error), "fix the URL in --db or $QUEUECTL_DB");
  }
  return fail(
    "connection",
    errorMessage(outcome.error),
    "check that the server runs and accepts connections from this host, and the user, password and database in the URL",
  );
}

/** Whether the database exists and is queuectl's, then its schema version. */
export function databaseChecks(outcome: PeekOutcome, location: StoreLocation): Check[] {
  if (!("peek" in outcome)) {
    // PostgreSQL's failure is the connection check's; a SQLite file that cannot be read is ours.
    if (location.kind === "postgres") return [];
    return [
      fail(
        "database",
        errorMessage(outcome.error),
        "the file must be readable and writable by the user running queuectl",
      ),
    ];
  }
  const { peek } = outcome;
  switch (peek.state) {
    case "missing":
      return [
        warn(
          "database",
          `no database yet at ${peek.location}: ${peek.detail}`,
          `"queuectl migrate" creates it (any command does on first use)`,
        ),
      ];
    case "empty":
      return [
        warn(
          "database",
          `${peek.location} holds no queuectl tables yet`,
          `"queuectl migrate" creates them (any command does on first use)`,
        ),
      ];
    case "foreign":
      return [
        fail(
          "database",
          `${peek.location} is not a queuectl database: ${peek.reason}`,
          location.kind === "sqlite"
            ? "point --db or $QUEUECTL_DB at a queuectl database (queuectl never changes this file)"
            : "use a schema of its own: add ?schema=NAME to the URL",
        ),
      ];
    case "queuectl":
      return [
        ok("database", `${peek.location} is a queuectl database`),
        schemaCheck(peek.schemaVersion, peek.expectedVersion),
      ];
  }
}

function schemaCheck(version: number, expected: number): Check {
  if (version > expected) {
    return fail(
      "schema",
      `version ${version} is newer than this queuectl ${VERSION} knows (${expected}); it refuses to use it`,
      "upgrade queuectl to the version that migrated this database",
    );
  }
  if (version < expected) {
    return warn(
      "schema",
      `version ${version} is older than this queuectl's ${expected}`,
      `run "queuectl migrate" (the first command to open it does too) once every host using it runs this queuectl`,
    );
  }
  return ok("schema", `version ${version}, the one this queuectl expects`);
}
