/**
 * Another program reading the database while workers write it: Debian's sqlite3 (3.40), which,
 * when it believes itself the database's last user, checkpoints and deletes the -wal and -shm
 * as it closes. The workers' own lock must tell it otherwise. It did not while every store open
 * opened and closed the file beside SQLite (closing any descriptor drops a process's POSIX
 * locks): every such run lost rows, stalled the drain and left a malformed database.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, waitFor } from "../helpers/cli.ts";
import { startWorker, stopWorker } from "../helpers/jobs.ts";
import { needsTools } from "../helpers/tools.ts";

const JOBS = 300;

async function sqlite3(db: string, sql: string): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command("sqlite3", { args: [db, sql], stdin: "null" }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    out: (text.decode(output.stdout) + text.decode(output.stderr)).trim(),
  };
}

Deno.test(needsTools(["sqlite3"], {
  name: "sqlite3 reading a live SQLite queue while 4 slots drain it loses nothing",
  ignore: Deno.env.get("QUEUECTL_TEST_STORE") === "postgres" || Deno.build.os === "windows",
  fn: async () => {
    await using sandbox = await makeSandbox();
    const file = join(sandbox.dir, "jobs.jsonl");
    await Deno.writeTextFile(file, `${JSON.stringify({ command: "true" })}\n`.repeat(JOBS));
    await sandbox.ok(["enqueue", "--file", file]);
    const worker = await startWorker(sandbox, ["--count", "4"]);
    const count = `SELECT count(*) FROM jobs WHERE state = 'completed'`;
    let polls = 0;
    await waitFor(
      `${JOBS} jobs completed, read by sqlite3 as they go`,
      async () => {
        polls++;
        const { code, out } = await sqlite3(sandbox.db, count);
        assert.equal(code, 0, `sqlite3 failed: ${out}`);
        return out === String(JOBS);
      },
      60_000,
      20,
    );
    await stopWorker(worker);
    assert.ok(polls > 3, `sqlite3 read the database ${polls} times only`);
    assert.doesNotMatch(worker.log(), /ERROR|WARN/, worker.log());
    assert.deepEqual(await sqlite3(sandbox.db, "PRAGMA integrity_check"), { code: 0, out: "ok" });
    assert.equal((await sandbox.status()).jobs.completed, JOBS);
  },
}));
