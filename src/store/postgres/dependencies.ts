/**
 * A job's place in the dependency graph. Settling children when a parent ends happens in the
 * finish transaction itself (`settle_children()` in PL/pgSQL, see `migrations.ts`).
 *
 * @module
 */
import type { JobState } from "../../job.ts";
import type { JobDependencies, JobDependenciesParams } from "../store.ts";
import type { PgConnection } from "./connection.ts";

export async function jobDependencies(
  conn: PgConnection,
  params: JobDependenciesParams,
): Promise<JobDependencies> {
  const [parents, children] = await conn.run((sql) =>
    Promise.all([
      sql`SELECT p.id, p.state FROM jobs c JOIN job_dependencies d ON d.child_seq = c.seq
        JOIN jobs p ON p.seq = d.parent_seq WHERE c.id = ${params.id} ORDER BY p.seq`,
      sql`SELECT c.id, c.state FROM jobs p JOIN job_dependencies d ON d.parent_seq = p.seq
        JOIN jobs c ON c.seq = d.child_seq WHERE p.id = ${params.id} ORDER BY c.seq`,
    ])
  );
  const shape = (row: Record<string, unknown>) => ({
    id: String(row.id),
    state: row.state as JobState,
  });
  return { parents: parents.map(shape), children: children.map(shape) };
}
