/**
 * The PostgreSQL server of the benchmarks: every benchmark works in a fresh schema
 * (`?schema=bench_<random>`) that is dropped at the end of the run.
 *
 * @module
 */
import postgres from "postgres";

/** The server, from `QUEUECTL_BENCH_POSTGRES_URL` (default: the test server). */
export const POSTGRES_URL = Deno.env.get("QUEUECTL_BENCH_POSTGRES_URL") ??
  "postgres://root@127.0.0.1:5432/test";

const schemas = new Set<string>();

/** A new schema name, remembered so that `dropSchemas` removes it. */
export function newSchema(prefix = "bench"): string {
  const random = crypto.getRandomValues(new Uint8Array(5)).reduce(
    (text, byte) => text + byte.toString(16).padStart(2, "0"),
    "",
  );
  const schema = `${prefix}_${random}`;
  schemas.add(schema);
  return schema;
}

/** A queuectl location on a fresh schema. */
export function newPostgresDb(): string {
  return withSchema(POSTGRES_URL, newSchema());
}

export function withSchema(url: string, schema: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
}

/** Connects once: the server's version, or throws why it cannot be reached. */
export async function postgresVersion(): Promise<string> {
  const sql = postgres(POSTGRES_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const [row] = await sql`SHOW server_version`;
    return String(row.server_version);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Drops every schema this run created. */
export async function dropSchemas(): Promise<void> {
  if (schemas.size === 0) return;
  const sql = postgres(POSTGRES_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    for (const schema of schemas) {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      schemas.delete(schema);
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}
