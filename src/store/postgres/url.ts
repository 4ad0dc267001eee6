/**
 * Reading a `postgres://` location: the schema queuectl keeps its tables in (the `schema` query
 * parameter, which is ours and is not sent to the server) and a form safe to print.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";

/** The schema used when the URL names none. */
export const DEFAULT_SCHEMA = "queuectl";

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** What a `postgres://` location holds. */
export interface PostgresTarget {
  /** The URL to connect with: the given one without queuectl's own parameters. */
  connectionUrl: string;
  /** The schema holding queuectl's tables. */
  schema: string;
  /** The URL with its password masked, for messages. */
  display: string;
}

/**
 * Splits a location such as `postgres://user:pw@db:5432/jobs?schema=ci` into what to connect
 * with and the schema.
 *
 * @example
 * ```ts
 * import { parsePostgresUrl } from "./url.ts";
 * const target = parsePostgresUrl("postgres://app:secret@db/jobs?schema=ci");
 * console.assert(target.schema === "ci");
 * console.assert(target.display === "postgres://app:***@db/jobs?schema=ci");
 * ```
 */
export function parsePostgresUrl(location: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new UsageError(`Invalid PostgreSQL URL "${maskPassword(location)}"`);
  }
  const schema = url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new UsageError(
      `Invalid schema "${schema}" in the PostgreSQL URL: use 1 to 63 lowercase letters, digits and "_", not starting with a digit`,
    );
  }
  url.searchParams.delete("schema");
  return { connectionUrl: url.href, schema, display: maskPassword(location) };
}

/** The URL with the password (if any) replaced by `***`; also works on URLs that do not parse. */
export function maskPassword(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#]*@/i, "$1:***@");
}
