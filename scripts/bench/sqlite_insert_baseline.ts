/**
 * The batch-enqueue baseline, run as its own `deno run` (like the CLI call it is compared with):
 * reads a JSONL file of `{"command": …}` lines and inserts one row per line into the `jobs`
 * table of an existing queuectl database with plain `node:sqlite` multi-row INSERTs (500 rows
 * each) in one transaction, with the CLI's pragmas (WAL, synchronous=FULL, 64 MiB cache).
 *
 * Usage: deno run -A sqlite_insert_baseline.ts DB FILE
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";

const [path, file] = Deno.args;
const lines = (await Deno.readTextFile(file)).split("\n").filter((line) => line.length > 0);
const db = new DatabaseSync(path, { timeout: 5000 });
db.exec("PRAGMA synchronous = FULL");
db.exec("PRAGMA cache_size = -65536");
const now = Date.now();
const cwd = Deno.cwd();
const prefix = now.toString(36).padStart(9, "0");
const ROWS = 500;
const row = "(?, ?, 'pending', 3, ?, ?, 0, 'default', ?, ?, ?, ?, ?, ?)";
const statements = new Map<number, ReturnType<DatabaseSync["prepare"]>>();
db.exec("BEGIN IMMEDIATE");
for (let start = 0; start < lines.length; start += ROWS) {
  const count = Math.min(ROWS, lines.length - start);
  let insert = statements.get(count);
  if (!insert) {
    insert = db.prepare(
      `INSERT INTO jobs (id, command, state, max_retries, timeout_seconds, run_at, priority,
         queue, backoff_base, cwd, env, unique_key, created_at, updated_at)
       VALUES ${Array(count).fill(row).join(", ")}`,
    );
    statements.set(count, insert);
  }
  const values: SQLInputValue[] = [];
  for (let i = start; i < start + count; i++) {
    const spec = JSON.parse(lines[i]);
    values.push(
      prefix + i.toString(36).padStart(7, "0"),
      spec.command,
      null,
      now,
      null,
      cwd,
      null,
      null,
      now,
      now,
    );
  }
  insert.run(...values);
}
db.prepare("INSERT OR IGNORE INTO queues (name) VALUES (?)").run("default");
db.exec("COMMIT");
db.close();
