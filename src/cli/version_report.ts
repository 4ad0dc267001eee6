/**
 * `queuectl --version [--json]`: this program's version, the Deno runtime's, and the schema
 * version of the database that `--db` / `$QUEUECTL_DB` / the default location points at. The
 * database is only looked at (`peekStore`): a missing one is not created, an old one not
 * migrated, and an unreachable server is noted, never an error. Loaded only for `--version`.
 *
 * @module
 */
import { readArgs } from "./arg_tokens.ts";
import type { OptionSpec } from "./command.ts";
import { errorMessage } from "../errors.ts";
import { peekStore, resolveStoreLocation, type StorePeek } from "../store/mod.ts";
import { VERSION } from "../version.ts";

/** What `--version` was asked for. */
export interface VersionRequest {
  json: boolean;
  /** The global `--db`, if given. */
  db?: string;
}

/** The database's side of the version report (the `database` object of `--version --json`). */
export interface DatabaseVersion {
  /** Where (passwords masked); null when no location could be resolved. */
  location: string | null;
  state: "ready" | "older" | "newer" | "missing" | "empty" | "foreign" | "unavailable";
  schema_version: number | null;
  /** The schema version this queuectl works with; null when the store could not be looked at. */
  expected_schema_version: number | null;
  /** Why the state is not `ready`, in a sentence. */
  note?: string;
}

/** What `--version` may come with. */
const VERSION_OPTIONS: Record<string, OptionSpec> = {
  version: { type: "boolean", short: "V", description: "show the version" },
  json: { type: "boolean", description: "as JSON" },
  db: { type: "string", description: "the database whose schema to report" },
};

/** A PostgreSQL server that does not answer must not make `--version` hang for long. */
const PEEK_TIMEOUT_MS = 3000;

/**
 * The version request in `args`, or undefined when they are not just `--version` / `-V` with
 * `--json` and `--db` (then the command line is parsed as usual, and errors as usual).
 */
export function parseVersionRequest(args: string[]): VersionRequest | undefined {
  try {
    const { values, positionals } = readArgs(args, VERSION_OPTIONS);
    if (positionals.length > 0 || !values.version) return undefined;
    return { json: values.json === true, db: values.db as string | undefined };
  } catch {
    return undefined;
  }
}

/** The text `--version` prints: `queuectl X.Y.Z` first, so scripts can read it. */
export async function versionReport(
  request: VersionRequest,
  env: (name: string) => string | undefined,
): Promise<string> {
  const database = await databaseVersion(request.db, env);
  if (request.json) {
    return JSON.stringify({ queuectl: VERSION, deno: Deno.version.deno, database }, null, 2) +
      "\n";
  }
  return [`queuectl ${VERSION}`, `deno ${Deno.version.deno}`, schemaLine(database)].join("\n") +
    "\n";
}

async function databaseVersion(
  db: string | undefined,
  env: (name: string) => string | undefined,
): Promise<DatabaseVersion> {
  let peek: StorePeek;
  try {
    peek = await peekStore(resolveStoreLocation(db, env), { timeoutMs: PEEK_TIMEOUT_MS });
  } catch (error) {
    return {
      location: null,
      state: "unavailable",
      schema_version: null,
      expected_schema_version: null,
      note: errorMessage(error),
    };
  }
  const entry = (
    state: DatabaseVersion["state"],
    version: number | null,
    note?: string,
  ): DatabaseVersion => ({
    location: peek.location,
    state,
    schema_version: version,
    expected_schema_version: peek.expectedVersion,
    ...(note === undefined ? {} : { note }),
  });
  switch (peek.state) {
    case "missing":
      return entry("missing", null, peek.detail);
    case "empty":
      return entry("empty", 0, "it holds no tables yet");
    case "foreign":
      return entry("foreign", null, peek.reason);
    case "queuectl": {
      await peek.reader?.close();
      const version = peek.schemaVersion;
      if (version > peek.expectedVersion) return entry("newer", version, "upgrade queuectl");
      if (version < peek.expectedVersion) return entry("older", version, "run queuectl migrate");
      return entry("ready", version);
    }
  }
}

function schemaLine(database: DatabaseVersion): string {
  const { location, schema_version: version, expected_schema_version: expected } = database;
  switch (database.state) {
    case "ready":
      return `schema ${version} (${location})`;
    case "older":
      return `schema ${version} (${location}): older than this queuectl's ${expected}; run "queuectl migrate"`;
    case "newer":
      return `schema ${version} (${location}): newer than this queuectl's ${expected}; upgrade queuectl`;
    case "missing":
      return `schema: no database yet at ${location} (${database.note}); this queuectl creates version ${expected}`;
    case "empty":
      return `schema: none yet (${location} is empty); this queuectl creates version ${expected}`;
    case "foreign":
      return `schema: ${location} is not a queuectl database (${database.note})`;
    case "unavailable":
      return `schema: unknown (${database.note})`;
  }
}
