/**
 * `peekStore` for PostgreSQL: reaches the server and looks at the schema in one read-only
 * transaction, creating nothing (`openPostgresStore` would create and migrate the schema).
 *
 * @module
 */
import { errorMessage, QueuectlError, StoreUnavailableError } from "../../errors.ts";
import type { StorePeek, StoreReader } from "../peek_types.ts";
import { maskSecrets } from "../secrets.ts";
import { readerFromQueries } from "../store_from_queries.ts";
import { PgConnection } from "./connection.ts";
import { MIGRATIONS } from "./migrations.ts";
import { postgresQueries } from "./queries.ts";
import { parsePostgresUrl, type PostgresTarget } from "./url.ts";

/** What the read-only look at the server found. */
interface SchemaFacts {
  server: string;
  schemaExists: boolean;
  tables: string[];
  version: number | null;
}

/** Looks at the schema of `url`; gives up after `timeoutMs` without an answer. */
export async function peekPostgres(url: string, timeoutMs: number): Promise<StorePeek> {
  const target = parsePostgresUrl(url);
  const connection = new PgConnection(target);
  let keepOpen = false;
  try {
    const facts = await withTimeout(readSchemaFacts(connection), timeoutMs, target.display);
    const peek = judgeSchema(facts, { location: target.display, schema: target.schema });
    if (peek.state === "queuectl" && peek.schemaVersion === peek.expectedVersion) {
      keepOpen = true;
      return { ...peek, reader: postgresReader(connection) };
    }
    return peek;
  } catch (error) {
    throw asUnavailable(connection.explain(error), target);
  } finally {
    // A server that never answered gets no graceful goodbye.
    if (!keepOpen) await connection.sql.end({ timeout: 0 }).catch(() => {});
  }
}

async function readSchemaFacts(connection: PgConnection): Promise<SchemaFacts> {
  const { schema } = connection.target;
  return await connection.sql.begin("read only", async (sql) => {
    const [server] = await sql`SELECT current_setting('server_version') AS version`;
    const [namespace] = await sql`SELECT count(*)::int AS n FROM pg_namespace
      WHERE nspname = ${schema}`;
    const tables = (await sql`SELECT tablename FROM pg_tables WHERE schemaname = ${schema}`)
      .map((row) => String(row.tablename));
    let version: number | null = null;
    if (tables.includes("schema_migrations")) {
      // The connection's search_path is the schema: this is its own schema_migrations.
      const [row] = await sql`SELECT coalesce(max(version), 0) AS version FROM schema_migrations`;
      version = Number(row.version);
    }
    return {
      server: `PostgreSQL ${server.version}`,
      schemaExists: Number(namespace.n) > 0,
      tables,
      version,
    };
  }) as SchemaFacts;
}

function judgeSchema(facts: SchemaFacts, where: { location: string; schema: string }): StorePeek {
  const known = {
    location: where.location,
    expectedVersion: MIGRATIONS.length,
    server: facts.server,
  };
  if (!facts.schemaExists) {
    return { ...known, state: "missing", detail: `the schema "${where.schema}" does not exist` };
  }
  if (facts.version !== null) return { ...known, state: "queuectl", schemaVersion: facts.version };
  if (facts.tables.length > 0) {
    return {
      ...known,
      state: "foreign",
      reason: `the schema "${where.schema}" holds tables of another program`,
    };
  }
  return { ...known, state: "empty" };
}

function postgresReader(connection: PgConnection): StoreReader {
  return readerFromQueries(connection, postgresQueries, {
    location: connection.target.display,
    close: () => connection.close(),
  });
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, display: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreUnavailableError(
            `Cannot reach PostgreSQL at ${display}: no answer within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Any failure to read the schema (a refused role, a missing privilege) as a one-line error. */
function asUnavailable(error: unknown, target: PostgresTarget): QueuectlError {
  if (error instanceof QueuectlError) return error;
  return new StoreUnavailableError(
    `Cannot read PostgreSQL at ${target.display}: ${
      maskSecrets(errorMessage(error), target.location)
    }`,
  );
}
