/**
 * Several hosts on one PostgreSQL schema, end to end through the real CLI: worker processes with
 * distinct `QUEUECTL_HOST_ID`s and concurrent enqueuers run 2000 jobs while one worker process is
 * killed with SIGKILL (its jobs come back when their leases expire, and every job completes
 * exactly once); and workers that lose every database connection, several times, recover and
 * lose, duplicate or strand nothing.
 *
 * Skipped when no PostgreSQL server answers, unless `QUEUECTL_REQUIRE_POSTGRES=1`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { processExists, readOrEmpty, runCli, waitFor } from "../helpers/cli.ts";
import { q } from "../helpers/jobs.ts";
import { postgresForTests, type TestPostgres } from "../helpers/postgres.ts";
import { spawnWorkerProcess, type WorkerProcess } from "../helpers/worker_process.ts";

const pg = await postgresForTests();

/** A temporary directory and a fresh schema; `cleanUp()` removes both and every process. */
interface PgSandbox {
  pg: TestPostgres;
  schema: string;
  dir: string;
  env: Record<string, string>;
  workers: Worker[];
  /** Process groups of job commands that must not outlive the test. */
  groups: Set<number>;
  /** Runs `queuectl ARGS…` and fails unless it exits 0; returns stdout. */
  ok(args: string[]): Promise<string>;
  /** Runs SQL with `$schema` replaced by the quoted schema name. */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanUp(): Promise<void>;
}

/** A `worker start` process whose log (stderr) is read as it comes. */
type Worker = WorkerProcess;

async function makePgSandbox(pg: TestPostgres): Promise<PgSandbox> {
  const schema = await pg.createSchemaName();
  const dir = await Deno.makeTempDir({ prefix: "queuectl-pg-hosts-" });
  const env = { QUEUECTL_DB: pg.urlFor(schema), NO_COLOR: "1" };
  const sandbox: PgSandbox = {
    pg,
    schema,
    dir,
    env,
    workers: [],
    groups: new Set(),
    async ok(args) {
      const result = await runCli(args, env);
      if (result.code !== 0) {
        throw new Error(
          `queuectl ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`,
        );
      }
      return result.stdout;
    },
    sql: (text, params) => pg.query(text.replaceAll("$schema", `"${schema}"`), params),
    async cleanUp() {
      for (const worker of sandbox.workers) {
        if (!worker.done) {
          try {
            worker.child.kill("SIGKILL");
          } catch {
            // Gone meanwhile.
          }
        }
        await worker.exited.catch(() => {});
      }
      await keepLogs(sandbox);
      for (const pgid of sandbox.groups) {
        try {
          Deno.kill(-pgid, "SIGKILL");
        } catch {
          // Gone: the usual case.
        }
      }
      await pg.dropSchema(schema).catch((error) => console.error(`drop ${schema}: ${error}`));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return sandbox;
}

/** With `QUEUECTL_TEST_LOG_DIR` set, copies every (exited) worker's whole log there. */
async function keepLogs(sandbox: PgSandbox): Promise<void> {
  const dir = Deno.env.get("QUEUECTL_TEST_LOG_DIR");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const worker of sandbox.workers) {
    await Deno.writeTextFile(join(dir, `${sandbox.schema}-${worker.name}.log`), worker.log());
  }
}

/** Starts `queuectl worker start ARGS` with extra environment, reading its log. */
function spawnWorker(
  sandbox: PgSandbox,
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Worker {
  const worker = spawnWorkerProcess(name, args, { ...sandbox.env, ...env });
  sandbox.workers.push(worker);
  return worker;
}

/** Waits until the worker process has registered; returns its worker id. */
async function registered(sandbox: PgSandbox, worker: Worker): Promise<string> {
  const id = await waitFor(
    `worker ${worker.name} (pid ${worker.pid}) to register`,
    async () => {
      if (worker.done) throw new Error(`it exited ${await worker.exited}:\n${worker.log()}`);
      const rows = await sandbox.sql(`SELECT id FROM $schema.workers WHERE pid = $1`, [worker.pid]);
      return rows.length === 1 ? String(rows[0].id) : undefined;
    },
    30_000,
    100,
  );
  return id;
}

/** SIGTERMs a worker process and checks that it exits 0 within the deadline. */
async function stopWorker(worker: Worker): Promise<void> {
  worker.child.kill("SIGTERM");
  const code = await Promise.race([
    worker.exited,
    new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 20_000)),
  ]);
  assert.equal(code, 0, `worker ${worker.name} on SIGTERM: ${code}\n${worker.log()}`);
}

/** Job counts by state (read directly). */
async function counts(sandbox: PgSandbox): Promise<Record<string, number>> {
  const rows = await sandbox.sql(`SELECT state, count(*)::int AS n FROM $schema.jobs GROUP BY 1`);
  return Object.fromEntries(rows.map((row) => [String(row.state), Number(row.n)]));
}

interface Run {
  run: number;
  outcome: string;
  worker: string | null;
  started: number;
  finished: number;
  error: string | null;
}

interface JobRecord {
  id: string;
  state: string;
  leaseOwner: string | null;
  runs: Run[];
}

/** Every job with its runs, oldest run first. */
async function jobRecords(sandbox: PgSandbox): Promise<Map<string, JobRecord>> {
  const rows = await sandbox.sql(`
    SELECT j.id, j.state, j.lease_owner,
      coalesce(json_agg(json_build_object('run', r.run, 'outcome', r.outcome,
        'worker', r.worker_id, 'started', r.started_at, 'finished', r.finished_at,
        'error', r.error) ORDER BY r.run) FILTER (WHERE r.run IS NOT NULL), '[]') AS runs
    FROM $schema.jobs j LEFT JOIN $schema.job_runs r ON r.job_seq = j.seq
    GROUP BY j.seq, j.id, j.state, j.lease_owner`);
  const records = new Map<string, JobRecord>();
  for (const row of rows) {
    const runs = (row.runs as Record<string, unknown>[]).map((run) => ({
      run: Number(run.run),
      outcome: String(run.outcome),
      worker: run.worker === null ? null : String(run.worker),
      started: Number(run.started),
      finished: Number(run.finished),
      error: run.error === null ? null : String(run.error),
    }));
    records.set(String(row.id), {
      id: String(row.id),
      state: String(row.state),
      leaseOwner: row.lease_owner === null ? null : String(row.lease_owner),
      runs,
    });
  }
  return records;
}

/**
 * Asserts that exactly the expected jobs exist, all completed, each with exactly one completed
 * run, none processing or holding a lease.
 */
function assertCompletedExactlyOnce(records: Map<string, JobRecord>, expected: string[]): void {
  assert.deepEqual([...records.keys()].sort(), [...expected].sort(), "the stored job ids");
  const wrong: string[] = [];
  for (const record of records.values()) {
    const completions = record.runs.filter((run) => run.outcome === "completed").length;
    if (record.state !== "completed" || completions !== 1 || record.leaseOwner !== null) {
      wrong.push(JSON.stringify(record));
    }
  }
  assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} job(s) not completed exactly once`);
}

/** The ids a job side effect file holds, with how often each appears. */
async function linesOf(path: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const line of (await readOrEmpty(path)).split("\n")) {
    if (line !== "") seen.set(line, (seen.get(line) ?? 0) + 1);
  }
  return seen;
}

/** One job line of a batch: appends its id to `out`, some after a short sleep. */
function jobLine(id: string, out: string, sleep: number): string {
  const append = `echo "$QUEUECTL_JOB_ID" >> ${q(out)}`;
  return JSON.stringify({ id, command: sleep > 0 ? `sleep ${sleep}; ${append}` : append });
}

/** Enqueues the lines with one `enqueue --file` call; checks that it printed every id. */
async function enqueueBatch(sandbox: PgSandbox, name: string, lines: string[]): Promise<void> {
  const file = join(sandbox.dir, `${name}.jsonl`);
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const stdout = await sandbox.ok(["enqueue", "--file", file]);
  assert.equal(stdout.trim().split("\n").length, lines.length, `enqueue --file ${name}`);
}

/** The workers' logs, for a failure message: warnings and errors, and the last lines. */
function logs(workers: Worker[]): string {
  return workers.map((worker) => {
    const lines = worker.log().split("\n");
    const notable = lines.filter((line) => /\[(WARN(ING)?|ERROR|FATAL)\]/.test(line));
    return `--- ${worker.name} (pid ${worker.pid}): warnings and errors\n${
      notable.slice(0, 60).join("\n")
    }\n--- ${worker.name}: last lines\n${lines.slice(-15).join("\n")}`;
  }).join("\n");
}

Deno.test({
  name:
    "3 worker processes on 3 hosts and 2 enqueuers run 2000 jobs; one is killed with SIGKILL halfway, its running jobs are rescued after their lease and every job completes exactly once",
  ignore: pg === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sandbox = await makePgSandbox(pg!);
    try {
      const startedAt = Date.now();
      // Lease: 0.5 s × 3 = 1.5 s.
      await sandbox.ok(["config", "set", "heartbeat_interval", "0.5"]);
      await sandbox.ok(["config", "set", "lease_heartbeats", "3"]);
      const out = join(sandbox.dir, "out");
      const hosts = ["host-a", "host-b", "host-c"];
      const workers = hosts.map((host) =>
        spawnWorker(sandbox, host, ["--count", "4"], { QUEUECTL_HOST_ID: host })
      );
      const workerIds = await Promise.all(workers.map((worker) => registered(sandbox, worker)));
      const [, victimId] = workerIds;
      const victim = workers[1];
      const survivors = [workers[0], workers[2]];

      // 2 enqueuers × 10 batches × 100 jobs, concurrently with the workers; every 5th job
      // sleeps a little, so that work is in flight when the victim dies.
      const expected: string[] = [];
      const enqueuers = [0, 1].map(async (enqueuer) => {
        for (let batch = 0; batch < 10; batch++) {
          const lines: string[] = [];
          for (let index = 0; index < 100; index++) {
            const id = `e${enqueuer}-${batch}-${index}`;
            expected.push(id);
            lines.push(jobLine(id, out, index % 5 === 0 ? 0.3 : 0));
          }
          await enqueueBatch(sandbox, `e${enqueuer}-${batch}`, lines);
        }
      });
      const enqueued = Promise.all(enqueuers);
      enqueued.catch(() => {}); // Awaited below; a failure must not go unhandled meanwhile.

      await waitFor(
        "1000 jobs to complete",
        async () => {
          return ((await counts(sandbox)).completed ?? 0) >= 1000;
        },
        60_000,
        100,
      );
      // Kill it while it runs jobs whose commands have started.
      await waitFor(
        `worker ${victim.name} to be running jobs`,
        async () => {
          const rows = await sandbox.sql(
            `SELECT count(*)::int AS n FROM $schema.jobs
           WHERE state = 'processing' AND lease_owner = $1 AND pgid IS NOT NULL`,
            [victimId],
          );
          return Number(rows[0].n) >= 2;
        },
        20_000,
        10,
      );
      victim.child.kill("SIGKILL");
      const killedAt = Date.now();
      await victim.exited;
      const held = await sandbox.sql(
        `SELECT id, lease_expires_at, pgid FROM $schema.jobs
         WHERE state = 'processing' AND lease_owner = $1`,
        [victimId],
      );
      const leaseOf = new Map(held.map((row) => [String(row.id), Number(row.lease_expires_at)]));
      // Orphans: a worker on another "host" cannot kill them; they end by themselves.
      for (const row of held) if (row.pgid !== null) sandbox.groups.add(Number(row.pgid));
      const completedAtKill = (await counts(sandbox)).completed ?? 0;
      assert.ok(held.length > 0, "the killed worker should have held running jobs");

      await enqueued;
      assert.equal(expected.length, 2000);
      await waitFor(
        "all 2000 jobs to complete",
        async () => {
          return ((await counts(sandbox)).completed ?? 0) === 2000;
        },
        60_000,
        100,
      );
      const doneAt = Date.now();

      assert.deepEqual(await counts(sandbox), { completed: 2000 });
      const records = await jobRecords(sandbox);
      assertCompletedExactlyOnce(records, expected);

      // The killed worker's jobs: rescued after their lease, then completed by a survivor.
      const rescued = [...records.values()].filter((record) =>
        record.runs.some((run) => run.outcome === "rescued")
      );
      const rescuedIds = new Set(rescued.map((record) => record.id));
      for (const id of leaseOf.keys()) {
        assert.ok(rescuedIds.has(id), `job ${id} held by the killed worker was not rescued`);
      }
      for (const record of rescued) {
        const detail = JSON.stringify(record);
        assert.equal(record.runs.length, 2, detail);
        const [lost, redone] = record.runs;
        assert.equal(lost.outcome, "rescued", detail);
        assert.equal(lost.worker, victimId, `only the killed worker's jobs are rescued: ${detail}`);
        assert.match(String(lost.error), /lease expired/, detail);
        const expiry = leaseOf.get(record.id) ?? killedAt;
        assert.ok(lost.finished >= expiry, `rescued before its lease expired: ${detail}`);
        assert.equal(redone.outcome, "completed", detail);
        assert.ok(
          redone.worker !== null && redone.worker !== victimId && workerIds.includes(redone.worker),
          `completed by a surviving worker: ${detail}`,
        );
      }
      // The CLI shows the same history.
      const first = rescued[0];
      const info = JSON.parse(await sandbox.ok(["info", first.id, "--json"]));
      assert.equal(info.state, "completed");
      assert.deepEqual(
        (info.runs as { outcome: string }[]).map((run) => run.outcome),
        ["rescued", "completed"],
      );

      // Side effects: every job at least once; more than once only for the rescued ones.
      const seen = await linesOf(out);
      assert.deepEqual(
        expected.filter((id) => !seen.has(id)),
        [],
        "jobs that never ran their command",
      );
      const repeated = [...seen].filter(([, times]) => times > 1).map(([id]) => id);
      assert.deepEqual(repeated.filter((id) => !rescuedIds.has(id)), [], "ran twice, not rescued");

      for (const worker of survivors) {
        assert.ok(await processExists(worker.pid), `worker ${worker.name} should be alive`);
        assert.doesNotMatch(
          worker.log(),
          /Cannot take or finish a job|Heartbeat failed|The store is unavailable/,
        );
      }
      for (const worker of survivors) await stopWorker(worker);
      const firstRescue = Math.min(...rescued.map((record) => record.runs[0].finished));
      console.log(
        `2000 jobs: ${completedAtKill} completed at the kill; ${held.length} held by the killed ` +
          `worker, ${rescued.length} rescued (first ${
            firstRescue - killedAt
          } ms after the kill), ` +
          `${repeated.length} side effect(s) repeated; all completed ${doneAt - startedAt} ms ` +
          `after the start`,
      );
    } catch (error) {
      console.error(logs(sandbox.workers));
      throw error;
    } finally {
      await sandbox.cleanUp();
    }
  },
});

Deno.test({
  name:
    "worker processes that lose every database connection, again and again, recover and complete every job exactly once",
  ignore: pg === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sandbox = await makePgSandbox(pg!);
    try {
      const startedAt = Date.now();
      // Lease 0.5 s × 6 = 3 s: one heartbeat lost to a dropped connection costs no lease.
      await sandbox.ok(["config", "set", "heartbeat_interval", "0.5"]);
      await sandbox.ok(["config", "set", "lease_heartbeats", "6"]);
      const out = join(sandbox.dir, "out");
      const slots = 3;
      const workers = ["conn-a", "conn-b"].map((host) =>
        spawnWorker(sandbox, host, ["--count", String(slots)], { QUEUECTL_HOST_ID: host })
      );
      const workerIds = await Promise.all(workers.map((worker) => registered(sandbox, worker)));
      const expected: string[] = [];
      const batch = async (name: string, size: number) => {
        const lines: string[] = [];
        for (let index = 0; index < size; index++) {
          const id = `${name}-${index}`;
          expected.push(id);
          lines.push(jobLine(id, out, [0, 0.05, 0.2, 0.5][index % 4]));
        }
        await enqueueBatch(sandbox, name, lines);
      };
      /** Drops every queuectl connection of the schema; returns how many there were. */
      const dropConnections = async () => {
        const rows = await sandbox.sql(
          `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
           WHERE application_name = $1`,
          [`queuectl:${sandbox.schema}`],
        );
        return rows.filter((row) => row.done === true).length;
      };
      /** Whether at least `atLeast` jobs claimed after `since` have started their command. */
      const running = async (atLeast: number, since = 0) => {
        const rows = await sandbox.sql(
          `SELECT count(*)::int AS n FROM $schema.jobs
           WHERE state = 'processing' AND pgid IS NOT NULL AND started_at > $1`,
          [since],
        );
        return Number(rows[0].n) >= atLeast;
      };
      const completed = async () => (await counts(sandbox)).completed ?? 0;
      const drops: string[] = [];
      const drop = async (when: string) => {
        const terminated = await dropConnections();
        drops.push(`${when}: ${terminated} connection(s) dropped`);
        assert.ok(terminated > 0, `${when}: no queuectl connection to drop`);
      };

      // 1: while jobs run, once every slot has started and taken a job.
      await batch("b1", 120);
      await waitFor("every slot to take a job", () =>
        workers.every((worker) => {
          for (let slot = 1; slot <= slots; slot++) {
            if (!worker.log().includes(`worker.${slot}: Picked job`)) return false;
          }
          return true;
        }), 20_000);
      await waitFor("jobs of b1 to run", () => running(3), 20_000, 10);
      const before1 = await completed();
      await drop("1 (jobs running)");
      await waitFor(
        "jobs to complete after drop 1",
        async () => (await completed()) >= before1 + 30,
        30_000,
        100,
      );

      // 2: while idle (LISTEN connections included), then new jobs must still wake them.
      await waitFor(
        "b1 to be done",
        async () => (await counts(sandbox)).completed === 120,
        30_000,
        100,
      ).catch(() => {}); // A stuck job is reported with the whole picture at the end.
      await drop("2 (idle)");
      await batch("b2", 60);

      // 3: twice in quick succession, while jobs run; the log after it shows every slot working.
      await batch("b3", 120);
      await waitFor("jobs of b2/b3 to run", () => running(3), 20_000, 10);
      const dropAt = Date.now();
      await drop("3a (jobs running)");
      await waitFor("a job claimed after drop 3a to run", () => running(1, dropAt), 20_000, 10);
      await drop("3b (jobs running)");
      const lastDropAt = Date.now();
      const logMarks = workers.map((worker) => worker.log().length);
      await batch("b4", 120);

      const total = expected.length;
      const allDone = await waitFor(
        `all ${total} jobs to complete`,
        async () => {
          return (await completed()) === total;
        },
        45_000,
        100,
      ).catch(() => false);
      const records = await jobRecords(sandbox);
      const notDone = [...records.values()].filter((record) => record.state !== "completed");
      assert.ok(
        allDone,
        `${notDone.length} of ${total} job(s) not completed after the drops (${
          drops.join("; ")
        }):\n` +
          notDone.slice(0, 10).map((record) => JSON.stringify(record)).join("\n") +
          `\n${logs(workers)}`,
      );
      assertCompletedExactlyOnce(records, expected);
      const seen = await linesOf(out);
      assert.deepEqual(expected.filter((id) => !seen.has(id)), [], "commands that never ran");

      // Each process, and each of its slots, took jobs after the last drop.
      for (const [index, worker] of workers.entries()) {
        assert.ok(
          await processExists(worker.pid),
          `worker ${worker.name} died:\n${logs([worker])}`,
        );
        const after = worker.log().slice(logMarks[index]);
        for (let slot = 1; slot <= slots; slot++) {
          assert.match(
            after,
            new RegExp(`worker\\.${slot}: Picked job`),
            `slot ${slot} of ${worker.name} took no job after the last drop:\n${logs([worker])}`,
          );
        }
        const rows = await sandbox.sql(
          `SELECT count(*)::int AS n FROM $schema.job_runs
           WHERE worker_id = $1 AND outcome = 'completed' AND started_at > $2`,
          [workerIds[index], lastDropAt],
        );
        assert.ok(Number(rows[0].n) > 0, `${worker.name} completed nothing after the last drop`);
      }
      const rescued = [...records.values()].filter((record) => record.runs.length > 1).length;
      for (const worker of workers) await stopWorker(worker);
      console.log(
        `${total} jobs, ${drops.join("; ")}; ${rescued} job(s) with more than one run; ` +
          `done in ${Date.now() - startedAt} ms`,
      );
    } catch (error) {
      console.error(logs(sandbox.workers));
      throw error;
    } finally {
      await sandbox.cleanUp();
    }
  },
});
