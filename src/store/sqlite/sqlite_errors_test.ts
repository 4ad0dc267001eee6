import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { StoreUnavailableError } from "../../errors.ts";
import { isNoSpaceLeft, sqliteCode, storeErrorOf } from "./sqlite_errors.ts";

/** An error as `node:sqlite` throws it: a statement's carries `errcode`, an `exec`'s does not. */
function sqliteError(message: string, errcode?: number): Error {
  return Object.assign(new Error(message), {
    code: "ERR_SQLITE_ERROR",
    ...(errcode === undefined ? {} : { errcode, errstr: message }),
  });
}

Deno.test("storeErrorOf() names the cause of each failure of the file or its disk", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "q.db");
  try {
    const cases: [intent: string, error: Error, attempt: "open" | "write", message: string][] = [
      [
        "a full disk at COMMIT (an exec error: the message is all there is)",
        sqliteError("database or disk is full"),
        "write",
        `Cannot write to the database "${path}": the disk is full`,
      ],
      [
        "a full disk, from a statement (extended code SQLITE_FULL)",
        sqliteError("database or disk is full", 13),
        "write",
        `Cannot write to the database "${path}": the disk is full`,
      ],
      [
        "an I/O error on a disk with room: said as it is, with SQLite's code",
        sqliteError("disk I/O error", 4874),
        "open",
        `Cannot open the database "${path}": a disk I/O error (disk I/O error, SQLite code 4874)`,
      ],
      [
        "a file that cannot be opened",
        sqliteError("unable to open database file", 14),
        "open",
        `Cannot open the database "${path}": SQLite cannot open the file or create its -wal and -shm files beside it (unable to open database file, SQLite code 14)`,
      ],
      [
        "a read-only file",
        sqliteError("attempt to write a readonly database", 8),
        "write",
        `Cannot write to the database "${path}": it is read-only (attempt to write a readonly database, SQLite code 8)`,
      ],
      [
        "a damaged file",
        sqliteError("database disk image is malformed"),
        "write",
        `Cannot write to the database "${path}": the file is damaged (database disk image is malformed)`,
      ],
      [
        "a lock held beyond the retries",
        sqliteError("database is locked", 5),
        "write",
        `Cannot write to the database "${path}": it stayed locked by another process (database is locked)`,
      ],
      [
        "the file system's own ENOSPC (creating the file)",
        new Error("No space left on device (os error 28)"),
        "open",
        `Cannot open the database "${path}": the disk is full`,
      ],
    ];
    for (const [intent, error, attempt, message] of cases) {
      const mapped = storeErrorOf(error, path, attempt);
      assert.ok(mapped instanceof StoreUnavailableError, intent);
      assert.equal(mapped.message, message, intent);
      assert.equal(mapped.exitCode, 4, intent);
    }
    // The I/O error's probe leaves nothing behind.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeErrorOf() passes on what is not the store's: bugs, constraint errors, its own", () => {
  const own = new StoreUnavailableError("already said");
  assert.equal(storeErrorOf(own, "/q.db", "write"), own);
  const bug = new TypeError("undefined is not a function");
  assert.equal(storeErrorOf(bug, "/q.db", "write"), bug);
  const constraint = sqliteError("UNIQUE constraint failed: jobs.id", 2067);
  assert.equal(storeErrorOf(constraint, "/q.db", "write"), constraint);
  // Only a node:sqlite error is read by its message.
  const other = new Error("disk I/O error");
  assert.equal(storeErrorOf(other, "/q.db", "write"), other);
});

Deno.test("sqliteCode() reads the primary code of real node:sqlite errors", () => {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    db.exec("INSERT INTO t VALUES (1)");
    assert.throws(() => db.prepare("INSERT INTO t VALUES (1)").run(), (error) => {
      assert.equal(sqliteCode(error), 19); // SQLITE_CONSTRAINT
      return true;
    });
    assert.throws(() => db.exec("SELECT * FROM missing"), (error) => {
      assert.equal(sqliteCode(error), undefined, "no code, and a message not of the file's");
      return true;
    });
  } finally {
    db.close();
  }
});

Deno.test("isNoSpaceLeft() knows ENOSPC, EDQUOT and Windows' full disk as Deno says them", () => {
  assert.ok(isNoSpaceLeft(new Error("No space left on device (os error 28)")));
  assert.ok(isNoSpaceLeft(new Error("Disk quota exceeded (os error 122)")));
  assert.ok(isNoSpaceLeft(new Error("There is not enough space on the disk. (os error 112)")));
  assert.ok(!isNoSpaceLeft(new Error("Host is down (os error 112)")));
  assert.ok(!isNoSpaceLeft(new Error("Permission denied (os error 13)")));
});
