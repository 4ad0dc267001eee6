/**
 * `queuectl doctor` through the real CLI, on every store: a clean database passes; each planted
 * problem (a missing database, a world-readable file, a newer schema, another program's
 * database, stale workers and a stuck job, a killed worker, no `sh`, an unreachable server) is
 * reported with its fix and the documented exit code; and doctor never changes the database
 * (snapshots before and after), nor creates a missing one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore, type StoreLocation } from "../../src/store/mod.ts";
import {
  makeSandbox,
  onEveryStore,
  runCli,
  type Sandbox,
  snapshotDatabase,
  sqliteOnly,
  updateEveryRow,
  waitFor,
} from "../helpers/cli.ts";
import { assertExit, enqueue } from "../helpers/jobs.ts";
import { postgresForTests } from "../helpers/postgres.ts";

/** One check of `doctor --json`. */
interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  message: string;
  fix: string | null;
}

/** Runs `doctor --json`, checks its exit code, and returns its checks by name. */
async function doctor(
  sandbox: Sandbox,
  expectedCode: number,
  env: Record<string, string> = {},
): Promise<Map<string, Check>> {
  const result = await sandbox.run(["doctor", "--json"], { env });
  assertExit(result, expectedCode, "doctor --json");
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, expectedCode === 0);
  return new Map((report.checks as Check[]).map((check) => [check.name, check]));
}

/** Asserts a check's status, and that a problem comes with a fix matching `fix`. */
function assertCheck(
  checks: Map<string, Check>,
  name: string,
  status: Check["status"],
  patterns: { message?: RegExp; fix?: RegExp } = {},
): void {
  const check = checks.get(name);
  assert.ok(check, `no "${name}" check in ${JSON.stringify([...checks.keys()])}`);
  assert.equal(check.status, status, `${name}: ${check.message}`);
  if (patterns.message) assert.match(check.message, patterns.message);
  if (status === "ok") assert.equal(check.fix, null);
  else assert.match(check.fix ?? "", patterns.fix ?? /\S/);
}

function locationOf(sandbox: Sandbox): StoreLocation {
  return sandbox.store === "postgres"
    ? { kind: "postgres", url: sandbox.db }
    : { kind: "sqlite", path: sandbox.db };
}

/** Runs doctor between two snapshots of the database and asserts they are the same. */
async function unchangedBy<T>(sandbox: Sandbox, body: () => Promise<T>): Promise<T> {
  const before = await snapshotDatabase(sandbox);
  const result = await body();
  assert.equal(await snapshotDatabase(sandbox), before, "doctor changed the database");
  return result;
}

onEveryStore.test("doctor passes a clean database and changes nothing", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--", "true"]);
  const checks = await unchangedBy(sandbox, () => doctor(sandbox, 0));
  for (const check of checks.values()) {
    assert.notEqual(check.status, "fail", `${check.name}: ${check.message}`);
  }
  assertCheck(checks, "database", "ok");
  assertCheck(checks, "schema", "ok", { message: /the one this queuectl expects/ });
  assertCheck(checks, "workers", "ok");
  assertCheck(checks, "leases", "ok");
  assertCheck(checks, "sh", "ok");
  assertCheck(checks, "queue", "warn", { fix: /worker start/ });
  if (sandbox.store === "postgres") assertCheck(checks, "connection", "ok");
  else assertCheck(checks, "permissions", "ok", { message: /mode 0600/ });

  const text = await sandbox.run(["doctor"]);
  assertExit(text, 0, "doctor");
  assert.match(text.stdout, /^ok {4}location +\S/m);
  assert.match(text.stdout, /^warn {2}queue +.*\n +fix: /m);
  assert.match(text.stdout, /\n\d+ ok, 1 warn, 0 fail\n$/);
});

onEveryStore.test("doctor reports a missing database without creating it", async () => {
  await using sandbox = await makeSandbox();
  const checks = await doctor(sandbox, 0);
  assertCheck(checks, "database", "warn", {
    message: /no database yet/,
    fix: /queuectl migrate/,
  });
  assert.equal(checks.get("schema"), undefined);
  assert.equal(await snapshotDatabase(sandbox), null, "doctor created the database");
});

sqliteOnly.test("doctor reports a missing directory without creating it", async () => {
  await using sandbox = await makeSandbox();
  const db = join(sandbox.dir, "not", "yet", "queue.db");
  const checks = await doctor(sandbox, 0, { QUEUECTL_DB: db });
  assertCheck(checks, "directory", "warn", { fix: /creates it \(mode 0700\)/ });
  assertCheck(checks, "database", "warn", { message: /no database yet/ });
  await assert.rejects(Deno.stat(join(sandbox.dir, "not")), Deno.errors.NotFound);
});

sqliteOnly.test("doctor warns about a database file other users can read", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["migrate"]);
  await Deno.chmod(sandbox.db, 0o644);
  const checks = await unchangedBy(sandbox, () => doctor(sandbox, 0));
  assertCheck(checks, "permissions", "warn", {
    message: /readable by other users \(mode 0644\)/,
    fix: new RegExp(`^chmod 600 ${sandbox.db}`),
  });
  assert.equal((await Deno.stat(sandbox.db)).mode! & 0o777, 0o644, "doctor changed the mode");
});

onEveryStore.test("doctor fails on a schema newer than this queuectl: upgrade queuectl", async () => {
  await using sandbox = await makeSandbox();
  const { schema_version: version } = JSON.parse(await sandbox.ok(["migrate", "--json"]));
  if (sandbox.store === "postgres") {
    const pg = (await postgresForTests())!;
    await pg.query(`INSERT INTO "${sandbox.schema}".schema_migrations (version) VALUES ($1)`, [
      version + 1,
    ]);
  } else {
    const db = new DatabaseSync(sandbox.db);
    db.exec(`PRAGMA user_version = ${version + 1}`);
    db.close();
  }
  const checks = await unchangedBy(sandbox, () => doctor(sandbox, 1));
  assertCheck(checks, "database", "ok");
  assertCheck(checks, "schema", "fail", {
    message: new RegExp(`version ${version + 1} is newer than this queuectl`),
    fix: /upgrade queuectl/,
  });
  // Its rows are not read: their shape is the newer version's.
  assert.equal(checks.get("workers"), undefined);
});

onEveryStore.test("doctor fails on another program's database and leaves it alone", async () => {
  await using sandbox = await makeSandbox();
  if (sandbox.store === "postgres") {
    const pg = (await postgresForTests())!;
    await pg.query(`CREATE SCHEMA "${sandbox.schema}"`);
    await pg.query(`CREATE TABLE "${sandbox.schema}".notes (id int, body text)`);
    await pg.query(`INSERT INTO "${sandbox.schema}".notes VALUES (1, 'mine')`);
  } else {
    const db = new DatabaseSync(sandbox.db);
    db.exec("CREATE TABLE notes (id INTEGER, body TEXT); INSERT INTO notes VALUES (1, 'mine')");
    db.close();
  }
  const checks = await unchangedBy(sandbox, () => doctor(sandbox, 1));
  assertCheck(checks, "database", "fail", {
    message: /is not a queuectl database: .*another program/,
    fix: sandbox.store === "postgres" ? /\?schema=NAME/ : /point --db or \$QUEUECTL_DB/,
  });
});

sqliteOnly.test("doctor fails on a file that is not a SQLite database", async () => {
  await using sandbox = await makeSandbox();
  await Deno.writeTextFile(sandbox.db, "just some notes\n".repeat(100));
  const result = await sandbox.run(["doctor"]);
  assertExit(result, 1, "doctor");
  assert.match(
    result.stdout,
    /^fail {2}database +.* is not a queuectl database: it is not a SQLite database\n +fix: /m,
  );
  assert.equal(await Deno.readTextFile(sandbox.db), "just some notes\n".repeat(100));
});

onEveryStore.test("doctor lists stale workers and stuck jobs, and says who cleans them up", async () => {
  await using sandbox = await makeSandbox();
  const id = await enqueue(sandbox, ["--", "sleep 60"]);
  const longAgo = Date.now() - 10 * 60_000;
  const store = await openStore(locationOf(sandbox));
  try {
    // A worker on another host that stopped sending heartbeats, holding the job…
    await store.workerRegister({
      id: "w-far",
      host: "far-host",
      pid: 4242,
      pidStartTime: null,
      concurrency: 1,
      startedAt: longAgo,
      heartbeatAt: longAgo,
      stopRequested: null,
    });
    // …and one on this host whose process is gone (pid 1 never started at that time).
    await store.workerRegister({
      id: "w-here",
      host: "doctor-host",
      pid: 1,
      pidStartTime: "not-its-start-time",
      concurrency: 1,
      startedAt: Date.now(),
      heartbeatAt: Date.now(),
      stopRequested: null,
    });
    const claimed = await store.jobClaim({ workerId: "w-far", leaseMs: 60_000, now: Date.now() });
    assert.equal(claimed?.id, id);
  } finally {
    await store.close();
  }
  await updateEveryRow(sandbox, "jobs", { lease_expires_at: longAgo + 15_000 });

  const checks = await unchangedBy(
    sandbox,
    () => doctor(sandbox, 0, { QUEUECTL_HOST_ID: "doctor-host" }),
  );
  assertCheck(checks, "workers", "warn", {
    message:
      /^2 stale: w-far \(host far-host, pid 4242: last heartbeat 6\d\d s ago, holds \S+\); w-here \(host doctor-host, pid 1: its process is gone\)$/,
    fix: /at once on their own host.*none runs now: "queuectl worker start"/,
  });
  assertCheck(checks, "leases", "warn", {
    message: new RegExp(`1 job\\(s\\) stuck in processing .*: ${id}$`),
    fix: /queuectl worker start/,
  });
});

onEveryStore.test("doctor sees a worker killed with SIGKILL as gone", async () => {
  await using sandbox = await makeSandbox();
  const worker = sandbox.spawnWorker();
  await waitFor("the worker to register", async () => (await sandbox.status()).workers.length);
  const healthy = await doctor(sandbox, 0);
  assertCheck(healthy, "workers", "ok", { message: /^1 alive$/ });
  worker.kill("SIGKILL");
  await worker.finished();
  const checks = await doctor(sandbox, 0);
  assertCheck(checks, "workers", "warn", { message: /: its process is gone\)$/ });
});

sqliteOnly.test("doctor fails when sh is not on PATH", async () => {
  await using sandbox = await makeSandbox();
  const checks = await doctor(sandbox, 1, { PATH: join(sandbox.dir, "no-programs-here") });
  assertCheck(checks, "sh", "fail", { fix: /POSIX shell/ });
  // On Linux with glibc jobs start through posix_spawn, which needs no setsid on PATH.
  if (Deno.build.os === "linux") {
    assertCheck(checks, "setsid", "ok", { message: /^not needed: .*posix_spawn/ });
  }
});

Deno.test("doctor fails on an unreachable PostgreSQL, with the password masked", async () => {
  const result = await runCli(["doctor"], {
    QUEUECTL_DB: "postgres://queue:s3cret@127.0.0.1:1/jobs",
  });
  assertExit(result, 1, "doctor");
  assert.match(
    result.stdout,
    /^fail {2}connection +Cannot reach PostgreSQL at .*queue:\*\*\*@.*\n +fix: /m,
  );
  assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
});

Deno.test("doctor takes no arguments: exit 2 and one line", async () => {
  const result = await runCli(["doctor", "now"], {});
  assertExit(result, 2, "doctor now");
  assert.match(result.stderr, /^queuectl: [^\n]+\n$/);
});
