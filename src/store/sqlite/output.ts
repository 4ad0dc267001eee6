/** Live output of running jobs (for logs --follow). */
import type {
  JobOutputAppendParams,
  JobOutputReadParams,
  OutputChunk,
  OutputStream,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

export function jobOutputAppend(
  conn: SqliteConnection,
  params: JobOutputAppendParams,
): Promise<boolean> {
  return conn.write(() => {
    const held = conn.statement(
      "SELECT seq FROM jobs WHERE id = ? AND state = 'processing' AND lease_token = ?",
    ).get(params.id, params.leaseToken);
    if (!held) return false;
    const insert = conn.statement(
      `INSERT OR REPLACE INTO job_output (job_seq, run, stream, offset, data)
       VALUES (?, ?, ?, ?, ?)`,
    );
    // Drop chunks that lie wholly before the last keepBytes of their stream.
    const trim = conn.statement(
      `DELETE FROM job_output WHERE job_seq = ? AND run = ? AND stream = ?
         AND offset + length(data) <= ?`,
    );
    const ends: Partial<Record<OutputStream, number>> = {};
    for (const chunk of params.chunks) {
      insert.run(held.seq, params.leaseToken, chunk.stream, chunk.offset, chunk.data);
      ends[chunk.stream] = Math.max(ends[chunk.stream] ?? 0, chunk.offset + chunk.data.length);
    }
    for (const [stream, end] of Object.entries(ends)) {
      trim.run(held.seq, params.leaseToken, stream, end - params.keepBytes);
    }
    return true;
  });
}

export function jobOutputRead(
  conn: SqliteConnection,
  params: JobOutputReadParams,
): Promise<OutputChunk[]> {
  const rows = conn.statement(
    `SELECT stream, offset, data FROM job_output
     WHERE job_seq = (SELECT seq FROM jobs WHERE id = ?) AND run = ?
       AND ((stream = 'stdout' AND offset + length(data) > ?)
         OR (stream = 'stderr' AND offset + length(data) > ?))
     ORDER BY stream, offset`,
  ).all(params.id, params.run, params.from.stdout, params.from.stderr);
  return Promise.resolve(rows.map((row) => ({
    stream: row.stream as OutputStream,
    offset: Number(row.offset),
    data: row.data as Uint8Array,
  })));
}
