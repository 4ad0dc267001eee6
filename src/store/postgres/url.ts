/**
 * Reading a `postgres://` location: the schema queuectl keeps its tables in (the `schema` query
 * parameter, which is ours and is not sent to the server) and a form safe to print.
 *
 * @module
 */
import { UsageError } from "../../errors.ts";
import { maskLocation } from "../secrets.ts";

/** The schema used when the URL names none. */
export const DEFAULT_SCHEMA = "queuectl";

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** What a `postgres://` location holds. */
export interface PostgresTarget {
  /** The URL to connect with: the given one without queuectl's own parameters. */
  connectionUrl: string;
  /** The schema holding queuectl's tables. */
  schema: string;
  /** The URL with its secrets masked (`maskLocation`), for messages. */
  display: string;
  /** The location as given, secrets and all: for `maskSecrets`, never to print. */
  location: string;
}

/**
 * Splits a location such as `postgres://user:pw@db:5432/jobs?schema=ci` into what to connect
 * with and the schema. A `password` parameter (libpq's) becomes the URL's password, which is how
 * the driver takes it (it would send the parameter to the server as a setting).
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
    throw new UsageError(
      `Invalid PostgreSQL URL "${
        maskLocation(location)
      }": check it, and percent-encode any "/", "?", "#" or "@" in the user name or password (%2F %3F %23 %40)`,
    );
  }
  const schema = url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new UsageError(
      `Invalid schema "${schema}" in the PostgreSQL URL: use 1 to 63 lowercase letters, digits and "_", not starting with a digit`,
    );
  }
  url.searchParams.delete("schema");
  const password = url.searchParams.get("password");
  if (password !== null) {
    url.searchParams.delete("password");
    // As in libpq, the parameter wins over a password in the URL. The driver decodes it.
    url.password = encodeURIComponent(password);
  }
  return { connectionUrl: url.href, schema, display: maskLocation(location), location };
}
