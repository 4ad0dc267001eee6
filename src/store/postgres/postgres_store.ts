/**
 * The store for many hosts: one PostgreSQL database, every table in one schema (`queuectl`
 * unless the URL's `schema` parameter names another). Claims lock with `FOR UPDATE SKIP LOCKED`
 * in one round trip, and `LISTEN/NOTIFY` wakes idle workers on every host.
 *
 * The SQL lives in one module per area, as in the SQLite store, named in `postgresQueries`; this
 * module connects, migrates and builds the `Store` from them.
 *
 * @module
 */
import { StoreUnavailableError } from "../../errors.ts";
import type { Store } from "../store.ts";
import { storeFromQueries } from "../store_from_queries.ts";
import { PgConnection } from "./connection.ts";
import { MIGRATIONS } from "./migrations.ts";
import { postgresQueries } from "./queries.ts";
import { parsePostgresUrl } from "./url.ts";

/** Connects to `url` and creates or migrates its schema when needed. */
export async function openPostgresStore(url: string): Promise<Store> {
  const conn = new PgConnection(parsePostgresUrl(url));
  try {
    await migrate(conn);
  } catch (error) {
    await conn.close().catch(() => {});
    throw error;
  }
  return storeFromQueries(conn, postgresQueries, {
    location: conn.target.display,
    close: () => conn.close(),
    schemaVersion: () => schemaVersion(conn),
    workSubscribe: (params) => conn.watchWork(params.onWork),
  });
}

/** The schema version (number of migrations applied); 0 when the schema does not exist. */
async function schemaVersion(conn: PgConnection): Promise<number> {
  try {
    const [row] = await conn.run((sql) =>
      sql`SELECT coalesce(max(version), 0) AS version FROM schema_migrations`
    );
    return Number(row.version);
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return 0; // no such table (yet)
    throw error;
  }
}

/**
 * Brings the schema up to date. Hosts that start at once take turns on an advisory lock, and
 * each looks again under it, so every migration runs exactly once.
 */
async function migrate(conn: PgConnection): Promise<void> {
  const version = await schemaVersion(conn);
  if (version === MIGRATIONS.length) return;
  refuseNewer(conn, version);
  const { schema } = conn.target;
  await conn.transaction(async (sql) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`queuectl.migrate.${schema}`}, 0))`;
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists:
    // a role given only its own schema (one per team, made by an administrator) has none.
    const [found] = await sql`SELECT count(*)::int AS n FROM pg_namespace
      WHERE nspname = ${schema}`;
    if (found.n === 0) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = ${schema}`;
    const names = tables.map((row) => String(row.tablename));
    if (names.length > 0 && !names.includes("schema_migrations")) {
      throw new StoreUnavailableError(
        `The schema "${schema}" of ${conn.target.display} holds tables of another program; refusing to change it (pick another with ?schema=NAME)`,
      );
    }
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer     PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now())`;
    const [row] = await sql`SELECT coalesce(max(version), 0) AS version FROM schema_migrations`;
    const current = Number(row.version);
    refuseNewer(conn, current);
    for (let next = current; next < MIGRATIONS.length; next++) {
      await sql.unsafe(MIGRATIONS[next]);
      await sql`INSERT INTO schema_migrations (version) VALUES (${next + 1})`;
    }
  });
}

function refuseNewer(conn: PgConnection, version: number): void {
  if (version > MIGRATIONS.length) {
    throw new StoreUnavailableError(
      `${conn.target.display} has schema version ${version}, newer than this queuectl knows (${MIGRATIONS.length}); upgrade queuectl`,
    );
  }
}
