import assert from "node:assert/strict";
import { join } from "node:path";
import { openSqliteStore } from "./sqlite_store.ts";

/**
 * The POSIX locks `pid` holds on the file with inode `ino` (Linux's /proc/locks), without the
 * line's ordinal: it numbers every lock on the machine, so it moves as other processes (a
 * parallel test) take and drop theirs.
 */
async function locksOf(pid: number, ino: number | null): Promise<string[]> {
  const lines = (await Deno.readTextFile("/proc/locks")).split("\n");
  // "1: POSIX  ADVISORY  READ 1234 08:01:5678 1073741826 1073741826": pid, then maj:min:inode.
  return lines.map((line) => line.trim().split(/\s+/)).filter((fields) => {
    const inode = Number(fields[5]?.split(":")[2]);
    return fields[1] === "POSIX" && Number(fields[4]) === pid && inode === ino;
  }).map((fields) => fields.slice(1).join(" "));
}

Deno.test("opening a second store in a process keeps the first one's lock on the database", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "queue.db");
  const first = await openSqliteStore(path);
  try {
    // A read transaction in WAL mode holds a shared lock on the database file while it lasts;
    // between transactions SQLite keeps one too, as long as a connection is open.
    await first.jobList({});
    const ino = (await Deno.stat(path)).ino;
    const before = await locksOf(Deno.pid, ino);
    assert.ok(before.length > 0, "an open connection holds a lock on the database file");
    // What a worker thread does beside its supervisor's connection.
    const second = await openSqliteStore(path);
    await second.close();
    assert.deepEqual(await locksOf(Deno.pid, ino), before, "the first connection's lock is kept");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await first.close();
    await Deno.remove(dir, { recursive: true });
  }
});
