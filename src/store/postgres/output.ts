/** Live output of running jobs (for logs --follow). */
import type {
  JobOutputAppendParams,
  JobOutputReadParams,
  OutputChunk,
  OutputStream,
} from "../store.ts";
import type { PgConnection } from "./connection.ts";
import { bytesFromColumn } from "./rows.ts";

export async function jobOutputAppend(
  conn: PgConnection,
  params: JobOutputAppendParams,
): Promise<boolean> {
  return await conn.transaction(async (sql) => {
    // FOR SHARE: a finish of this run waits for the append (and then drops its rows), or the
    // append waits for the finish (and then finds the run over).
    const [held] = await sql`
      SELECT seq FROM jobs
      WHERE id = ${params.id} AND state = 'processing' AND lease_token = ${params.leaseToken}::bigint
      FOR SHARE`;
    if (!held) return false;
    const ends: Partial<Record<OutputStream, number>> = {};
    for (const chunk of params.chunks) {
      await sql`
        INSERT INTO job_output (job_seq, run, stream, byte_offset, data)
        VALUES (${held.seq as number}::bigint, ${params.leaseToken}::bigint, ${chunk.stream},
          ${chunk.offset}::bigint, ${chunk.data}::bytea)
        ON CONFLICT (job_seq, run, stream, byte_offset) DO UPDATE SET data = excluded.data`;
      ends[chunk.stream] = Math.max(ends[chunk.stream] ?? 0, chunk.offset + chunk.data.length);
    }
    // Drop chunks that lie wholly before the last keepBytes of their stream.
    for (const [stream, end] of Object.entries(ends)) {
      await sql`
        DELETE FROM job_output WHERE job_seq = ${held.seq as number}::bigint
          AND run = ${params.leaseToken}::bigint AND stream = ${stream}
          AND byte_offset + length(data) <= ${end - params.keepBytes}::bigint`;
    }
    return true;
  });
}

export async function jobOutputRead(
  conn: PgConnection,
  params: JobOutputReadParams,
): Promise<OutputChunk[]> {
  const rows = await conn.run((sql) =>
    sql`SELECT stream, byte_offset, data FROM job_output
      WHERE job_seq = (SELECT seq FROM jobs WHERE id = ${params.id}) AND run = ${params.run}::bigint
        AND ((stream = 'stdout' AND byte_offset + length(data) > ${params.from.stdout}::bigint)
          OR (stream = 'stderr' AND byte_offset + length(data) > ${params.from.stderr}::bigint))
      ORDER BY stream, byte_offset`
  );
  return rows.map((row) => ({
    stream: row.stream as OutputStream,
    offset: Number(row.byte_offset),
    data: bytesFromColumn(row.data),
  }));
}
