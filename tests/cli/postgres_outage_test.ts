/**
 * PostgreSQL going away under running workers, end to end through the real CLI: 3 worker
 * processes drain 2000 quick jobs while the server is restarted, and then is down for 30 s.
 * Nothing is lost, nothing runs twice at once, every side effect belongs to a recorded run, the
 * workers live through it and say what happened in a few lines, not a line per poll.
 *
 * The server is one of the test's own (`private_postgres.ts`): stopping the shared test server
 * would break every other PostgreSQL test running beside this one. Skipped where no `initdb`
 * is installed, unless `QUEUECTL_REQUIRE_POSTGRES=1` (then it fails).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { processExists, readOrEmpty, runCli, waitFor } from "../helpers/cli.ts";
import { q } from "../helpers/jobs.ts";
import {
  POSTGRES_BIN_DIR,
  type PrivatePostgres,
  startPrivatePostgres,
} from "../helpers/private_postgres.ts";
import { killWorkers, spawnWorkerProcess, type WorkerProcess } from "../helpers/worker_process.ts";

const JOBS = 2000;
const WORKERS = 3;
const SLOTS = 4;
const OUTAGE_MS = 30_000;
/** The restart and the outage. */
const OUTAGES = 2;

if (POSTGRES_BIN_DIR === undefined && Deno.env.get("QUEUECTL_REQUIRE_POSTGRES") === "1") {
  throw new Error("QUEUECTL_REQUIRE_POSTGRES=1, but no initdb and pg_ctl are installed");
}

/** Runs `queuectl ARGS…` and fails unless it exits 0; returns stdout. */
async function ok(env: Record<string, string>, args: string[]): Promise<string> {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    throw new Error(
      `queuectl ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

interface Run {
  run: number;
  attempt: number;
  outcome: string;
}

interface JobRecord {
  id: string;
  state: string;
  leaseOwner: string | null;
  runs: Run[];
}

/** Every job with its runs (read directly: 2000 `info` calls would take minutes). */
async function jobRecords(server: PrivatePostgres, schema: string): Promise<JobRecord[]> {
  const rows = await server.query(`
    SELECT j.id, j.state, j.lease_owner,
      coalesce(json_agg(json_build_object('run', r.run, 'attempt', r.attempt,
        'outcome', r.outcome) ORDER BY r.run) FILTER (WHERE r.run IS NOT NULL), '[]') AS runs
    FROM "${schema}".jobs j LEFT JOIN "${schema}".job_runs r ON r.job_seq = j.seq
    GROUP BY j.seq, j.id, j.state, j.lease_owner`);
  return rows.map((row) => ({
    id: String(row.id),
    state: String(row.state),
    leaseOwner: row.lease_owner === null ? null : String(row.lease_owner),
    runs: (row.runs as Record<string, unknown>[]).map((run) => ({
      run: Number(run.run),
      attempt: Number(run.attempt),
      outcome: String(run.outcome),
    })),
  }));
}

async function counts(server: PrivatePostgres, schema: string): Promise<Record<string, number>> {
  const rows = await server.query(
    `SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [String(row.state), Number(row.n)]));
}

/**
 * Log lines about the store being unreachable, and about coming back: what a person reading the
 * log during an outage sees. Rescues and fenced finishes are per job, not per poll, and are left
 * out (they are bounded by the jobs in flight).
 */
const OUTAGE_LINE =
  /unavailable|answers again|Cannot reach|connection|failed:|Cannot take|Cannot record|Cannot look|Cannot release/i;

function outageLines(log: string): string[] {
  return log.split("\n").filter((line) =>
    OUTAGE_LINE.test(line) && !/Rescued job|Released job|fenced off/.test(line)
  );
}

/** With `QUEUECTL_TEST_LOG_DIR` set, copies every worker's whole log there, and the server's. */
async function keepLogs(workers: WorkerProcess[], server: PrivatePostgres): Promise<void> {
  const dir = Deno.env.get("QUEUECTL_TEST_LOG_DIR");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const worker of workers) {
    await Deno.writeTextFile(join(dir, `outage-${worker.name}.log`), worker.log());
  }
  await Deno.copyFile(server.logFile, join(dir, "outage-server.log")).catch(() => {});
}

/** The workers' logs, for a failure message: warnings and errors, and the last lines. */
function logs(workers: WorkerProcess[]): string {
  return workers.map((worker) => {
    const lines = worker.log().split("\n");
    const notable = lines.filter((line) => /\[(WARN(ING)?|ERROR|FATAL)\]/.test(line));
    return `--- ${worker.name} (pid ${worker.pid}): warnings and errors\n${
      notable.slice(0, 80).join("\n")
    }\n--- ${worker.name}: last lines\n${lines.slice(-15).join("\n")}`;
  }).join("\n");
}

Deno.test({
  name:
    `3 worker processes drain ${JOBS} jobs through a PostgreSQL restart and a 30 s outage: every job completes, every side effect belongs to a recorded run, the workers live and log a few lines per outage`,
  ignore: POSTGRES_BIN_DIR === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const startedAt = Date.now();
    const server = await startPrivatePostgres();
    const dir = await Deno.makeTempDir({ prefix: "queuectl-outage-" });
    const schema = "outage";
    const env = { QUEUECTL_DB: `${server.url}?schema=${schema}`, NO_COLOR: "1" };
    const workers: WorkerProcess[] = [];
    try {
      // Lease 1 s × 3 = 3 s: far shorter than the outage, so every lease expires during it.
      await ok(env, ["config", "set", "heartbeat_interval", "1"]);
      await ok(env, ["config", "set", "lease_heartbeats", "3"]);
      const out = join(dir, "out");
      const lines: string[] = [];
      const expected: string[] = [];
      for (let index = 0; index < JOBS; index++) {
        const id = `j${index}`;
        expected.push(id);
        lines.push(JSON.stringify({
          id,
          command: `echo "$QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT $QUEUECTL_RUN" >> ${q(out)}`,
        }));
      }
      const file = join(dir, "jobs.jsonl");
      await Deno.writeTextFile(file, lines.join("\n") + "\n");
      await ok(env, ["enqueue", "--file", file]);

      for (let index = 0; index < WORKERS; index++) {
        workers.push(spawnWorkerProcess(`w${index + 1}`, ["--count", String(SLOTS)], env));
      }
      await waitFor(
        "the workers to register",
        async () => {
          for (const worker of workers) {
            if (worker.done) throw new Error(`${worker.name} exited:\n${worker.log()}`);
          }
          const rows = await server.query(`SELECT count(*)::int AS n FROM "${schema}".workers`);
          return Number(rows[0].n) === WORKERS;
        },
        30_000,
        100,
      );
      const completed = async () => (await counts(server, schema)).completed ?? 0;

      // 1: a restart, a quarter of the way.
      await waitFor(
        `${JOBS / 4} jobs to complete`,
        async () => await completed() >= JOBS / 4,
        60_000,
        20,
      );
      const restartAt = Date.now();
      await server.restart();
      const restartMs = Date.now() - restartAt;
      const atRestart = await completed();

      // 2: a 30 s outage, once the workers are back at work.
      await waitFor(
        "jobs to complete after the restart",
        async () => await completed() >= atRestart + JOBS / 4,
        60_000,
        20,
      );
      const atOutage = await completed();
      await server.stop();
      const outageAt = Date.now();
      // The fault itself: the server stays down this long.
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      for (const worker of workers) {
        assert.ok(!worker.done, `${worker.name} exited during the outage:\n${logs([worker])}`);
      }
      await server.start();
      const backAt = Date.now();

      await waitFor(
        `all ${JOBS} jobs to complete`,
        async () => await completed() === JOBS,
        45_000,
        100,
      ).catch((error) => {
        throw new Error(`${error}\n${logs(workers)}`);
      });
      const doneAt = Date.now();

      // The store: every job completed, exactly one completed run each; any other run of it was
      // rescued (its lease expired in the outage) or released (its claim's answer was lost).
      assert.deepEqual(await counts(server, schema), { completed: JOBS });
      const records = await jobRecords(server, schema);
      assert.deepEqual(records.map((record) => record.id).sort(), [...expected].sort());
      const wrong = records.filter((record) =>
        record.leaseOwner !== null ||
        record.runs.filter((run) => run.outcome === "completed").length !== 1 ||
        record.runs.some((run) => !["completed", "rescued", "released"].includes(run.outcome))
      );
      assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} job(s) not completed once`);

      // The side effects: one line per run that ran its command, `ID ATTEMPT TOKEN:ID`. Each
      // completed run wrote exactly one line; any other line belongs to a rescued or released
      // run of its job (a run whose result was lost with the server, or fenced off); no line
      // belongs to no recorded run, and no run wrote two.
      const runsOf = new Map(
        records.map((record) => [record.id, new Map(record.runs.map((run) => [run.run, run]))]),
      );
      const written = new Map<string, number>();
      const strays: string[] = [];
      for (const line of (await readOrEmpty(out)).split("\n")) {
        if (line === "") continue;
        const [id, attempt, tag] = line.split(" ");
        const token = Number(tag?.split(":")[0]);
        const run = runsOf.get(id)?.get(token);
        if (run === undefined || run.attempt !== Number(attempt) || tag !== `${token}:${id}`) {
          strays.push(line);
        }
        written.set(`${id} ${token}`, (written.get(`${id} ${token}`) ?? 0) + 1);
      }
      assert.deepEqual(strays.slice(0, 10), [], "side effects of no recorded run");
      const twice = [...written].filter(([, times]) => times > 1);
      assert.deepEqual(twice.slice(0, 10), [], "runs that wrote twice");
      const unwritten = records.flatMap((record) =>
        record.runs.filter((run) =>
          run.outcome === "completed" && !written.has(`${record.id} ${run.run}`)
        )
          .map((run) => `${record.id} run ${run.run}`)
      );
      assert.deepEqual(unwritten.slice(0, 10), [], "completed runs without their side effect");
      const extra = [...written.keys()].filter((key) => {
        const [id, token] = key.split(" ");
        return runsOf.get(id)?.get(Number(token))?.outcome !== "completed";
      });

      // The CLI tells the same story as the rows, for the jobs that ran more than once.
      const rerun = records.filter((record) => record.runs.length > 1);
      for (const record of rerun.slice(0, 5)) {
        const info = JSON.parse(await ok(env, ["info", record.id, "--json"]));
        assert.equal(info.state, "completed");
        assert.deepEqual(
          (info.runs as { attempt: number; outcome: string }[]).map((
            run,
          ) => [run.attempt, run.outcome]),
          record.runs.map((run) => [run.attempt, run.outcome]),
        );
      }

      // The workers lived through it, and said so in a few lines each: that the store went away
      // and that it answers again (once per process, however many slots wait for it), not a
      // line per retry of every slot, heartbeat and scheduler tick.
      for (const worker of workers) {
        assert.ok(await processExists(worker.pid), `${worker.name} died:\n${logs([worker])}`);
      }
      await waitFor(
        "every worker to log that the store answers again",
        () =>
          workers.every((worker) => /answers again/.test(outageLines(worker.log()).at(-1) ?? "")),
        10_000,
        100,
      ).catch(() => {});
      for (const worker of workers) {
        const said = outageLines(worker.log());
        assert.ok(
          said.length >= 2 && said.length <= 3 * OUTAGES,
          `${worker.name} should say each outage in a few lines, said ${said.length}:\n${
            said.join("\n")
          }`,
        );
        assert.match(said[0], /The store is unavailable/, `${worker.name}:\n${said.join("\n")}`);
        assert.match(
          said.at(-1)!,
          /The store answers again/,
          `${worker.name}:\n${said.join("\n")}`,
        );
      }
      for (const worker of workers) worker.child.kill("SIGTERM");
      for (const worker of workers) {
        assert.equal(await worker.exited, 0, `${worker.name} on SIGTERM:\n${logs([worker])}`);
      }
      console.log(
        `${JOBS} jobs: restart after ${atRestart} (${restartMs} ms), outage after ${atOutage} ` +
          `(${backAt - outageAt} ms); ${rerun.length} job(s) ran more than once, ${extra.length} ` +
          `side effect(s) of rescued or released runs; all done ${doneAt - backAt} ms after the ` +
          `server came back, ${doneAt - startedAt} ms in all`,
      );
    } catch (error) {
      console.error(logs(workers));
      throw error;
    } finally {
      await killWorkers(workers);
      await keepLogs(workers, server);
      await server.destroy();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
