/**
 * `deno task chaos [--minutes N] [--store sqlite|postgres] [--seed S] [--keep]`: a soak of
 * queuectl under faults, through the real CLI. 3 worker processes run a mix of jobs (quick,
 * slow, failing once then completing, always failing, timing out, and dependent ones enqueued
 * with `after`) that 2 enqueuers add all along; every few seconds one fault: kill -9 of a worker
 * (a new one starts), SIGSTOP/SIGCONT of one (sometimes longer than a lease), a graceful restart,
 * or on PostgreSQL the termination of every backend of the soak's schema. After N minutes
 * (default 1) the faults and enqueues stop, everything drains (with a deadline), and the soak
 * checks: every enqueued job in the store and in the final state its kind calls for (so the DLQ
 * holds the always-failing and timing-out jobs, and only them), no run of a job overlapping
 * another, no "database is locked" or crash in a worker log, and no process of a run left alive.
 *
 * Every run records `start`, `end` and any `overlap` it sees in a file per job (see
 * `chaos/jobs.ts`). Prints a summary; exits 1 on any violation, and then keeps the directory
 * with the run files and the worker logs. Linux only (runs are found through /proc). The random
 * choices (jobs, faults, pauses) come from one seeded source: the seed is printed, and `--seed`
 * replays the same choices (the timings, and so the outcome, still vary).
 *
 * PostgreSQL: a fresh schema on `QUEUECTL_TEST_POSTGRES_URL` (default
 * `postgres://root@127.0.0.1:5432/test`), dropped at the end unless kept.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { runCli } from "../tests/helpers/cli.ts";
import { type ChaosJob, JobFactory, Random } from "./chaos/jobs.ts";
import { type Verdict, verify, violations } from "./chaos/verify.ts";
import { type FaultKind, WorkerPool } from "./chaos/workers.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "1" },
    store: { type: "string", default: "sqlite" },
    seed: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(
    "Usage: deno task chaos [--minutes N] [--store sqlite|postgres] [--seed S] [--keep]",
  );
  Deno.exit(0);
}
if (Deno.build.os !== "linux") {
  console.error("chaos: Linux only (a run's processes are found through /proc)");
  Deno.exit(2);
}
const MINUTES = Number(flags.minutes);
const STORE = flags.store;
if (!(MINUTES > 0) || (STORE !== "sqlite" && STORE !== "postgres")) {
  console.error("chaos: --minutes must be a positive number, --store sqlite or postgres");
  Deno.exit(2);
}
const SEED = flags.seed === undefined
  ? crypto.getRandomValues(new Uint32Array(1))[0]
  : Number(flags.seed) >>> 0;

/** Worker processes, and jobs at once in each. */
const WORKERS = 3;
const SLOTS = 3;
/** Lease: 0.5 s × 4 = 2 s. */
const HEARTBEAT_S = 0.5;
const LEASE_HEARTBEATS = 4;
const LEASE_MS = HEARTBEAT_S * LEASE_HEARTBEATS * 1000;
/** How long everything may take to drain once the faults stop. */
const DRAIN_DEADLINE_MS = 180_000;

const random = new Random(SEED);
const startedAt = Date.now();
const elapsed = () => `+${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

const dir = await Deno.makeTempDir({ prefix: "queuectl-chaos-" });
const runDir = join(dir, "runs");
const batchDir = join(dir, "batches");
await Deno.mkdir(runDir);
await Deno.mkdir(batchDir);
const serverUrl = Deno.env.get("QUEUECTL_TEST_POSTGRES_URL") ??
  "postgres://root@127.0.0.1:5432/test";
const schema = `chaos_${SEED.toString(16)}_${Date.now().toString(36)}`;
let db = join(dir, "queue.db");
if (STORE === "postgres") {
  const url = new URL(serverUrl);
  url.searchParams.set("schema", schema);
  db = url.href;
}
const env = { QUEUECTL_DB: db, NO_COLOR: "1", XDG_STATE_HOME: dir };
const jobIdPrefix = `chaos${SEED.toString(16)}-`;

/** Runs `queuectl ARGS…`; fails unless it exits 0. */
async function queuectl(args: string[]): Promise<string> {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    throw new Error(`queuectl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Jobs whose enqueue said so, and jobs whose enqueue failed in a way that hides whether. */
const enqueued: ChaosJob[] = [];
const uncertain: ChaosJob[] = [];
/** Dependent jobs refused because their parent was dead already: as a user would be. */
const refused: ChaosJob[] = [];
let enqueueFailures = 0;
let enqueuing = true;

/**
 * Enqueues one batch (`--file`: all or none). A job refused because its parent is dead already
 * is left out and the rest tried again. A failure that may have committed (a connection lost at
 * the commit) is tried again too: "exists" then means that the earlier try committed.
 */
async function enqueueBatch(name: string, batch: { job: ChaosJob; spec: unknown }[]) {
  const file = join(batchDir, `${name}.jsonl`);
  let ambiguous = false;
  for (let attempt = 1; attempt <= 10 && batch.length > 0; attempt++) {
    await Deno.writeTextFile(file, batch.map(({ spec }) => JSON.stringify(spec)).join("\n") + "\n");
    const result = await runCli(["enqueue", "--file", file], env);
    if (result.code === 0 || (ambiguous && /a job with that id exists/.test(result.stderr))) {
      const printed = result.stdout.trim().split("\n").filter(Boolean);
      if (result.code === 0 && printed.length !== batch.length) {
        throw new Error(`enqueue --file ${file} printed ${printed.length} ids`);
      }
      enqueued.push(...batch.map(({ job }) => job));
      return;
    }
    const deadParent = result.stderr.match(/Cannot enqueue job "([^"]+)": its parent "[^"]+" is/);
    const child = batch.find(({ job }) => job.id === deadParent?.[1]);
    if (child) {
      refused.push(child.job);
      batch = batch.filter((item) => item !== child);
      continue;
    }
    ambiguous = true;
    if (++enqueueFailures <= 5) {
      say(
        `enqueue failed (exit ${result.code}), tried again: ${result.stderr.trim().split("\n")[0]}`,
      );
    }
    await sleep(200 * attempt);
  }
  uncertain.push(...batch.map(({ job }) => job));
}

/** Adds batches of 1–12 random jobs, with pauses, until told to stop. */
async function enqueuer(index: number, factory: JobFactory): Promise<void> {
  for (let batch = 1; enqueuing; batch++) {
    const size = random.int(1, 12);
    const jobs = [];
    for (let i = 0; i < size; i++) {
      // Parents among the jobs enqueued already, never among the batch's own.
      jobs.push(factory.make(enqueued.filter((job) => job.kind !== "dependent")));
    }
    await enqueueBatch(`e${index}-${batch}`, jobs);
    await sleep(random.between(200, 1500));
  }
}

/** Job counts by state (`status --json`). */
async function stateCounts(): Promise<Record<string, number>> {
  return JSON.parse(await queuectl(["status", "--json"])).jobs;
}

const UNFINISHED = ["pending", "processing", "failed", "blocked"];

const pool = new WorkerPool({
  env,
  logDir: join(dir, "logs"),
  args: ["--count", String(SLOTS)],
});
let verdict: Verdict | undefined;
let problems: string[] = [];
let drainedMs = 0;
let faultsEndedAt = 0;
try {
  say(`chaos: store ${STORE}, seed ${SEED}, ${MINUTES} minute(s) of faults, in ${dir}`);
  for (
    const [key, value] of Object.entries({
      heartbeat_interval: String(HEARTBEAT_S),
      lease_heartbeats: String(LEASE_HEARTBEATS),
      kill_grace: "1",
      poll_interval: "0.5",
      backoff_base: "1.5",
      max_backoff: "4",
    })
  ) {
    await queuectl(["config", "set", key, value]);
  }
  await pool.start(WORKERS);
  const factory = new JobFactory(random, runDir, jobIdPrefix);
  const enqueuers = [1, 2].map((index) => enqueuer(index, factory));

  const kinds: FaultKind[] = ["kill9", "stop", "restart"];
  if (STORE === "postgres") kinds.push("backends");
  const faultsEnd = startedAt + MINUTES * 60_000;
  let nextProgress = Date.now() + 10_000;
  while (Date.now() < faultsEnd) {
    await sleep(random.between(2_000, 5_000));
    const kind = random.pick(kinds);
    const fault = kind === "kill9"
      ? await pool.kill9(random)
      : kind === "stop"
      ? pool.stop(random, Math.round(random.between(300, 4_000)))
      : kind === "restart"
      ? await pool.restart(random)
      : await pool.terminateBackends(serverUrl, schema);
    if (fault) say(fault.what);
    if (Date.now() >= nextProgress) {
      nextProgress = Date.now() + 10_000;
      say(`${enqueued.length} jobs enqueued; ${JSON.stringify(await stateCounts())}`);
    }
  }
  faultsEndedAt = Date.now();
  say("faults and enqueues stop; draining");
  enqueuing = false;
  await Promise.all(enqueuers);
  await pool.settle();

  const drainDeadline = Date.now() + DRAIN_DEADLINE_MS;
  for (;;) {
    const counts = await stateCounts();
    if (UNFINISHED.every((state) => (counts[state] ?? 0) === 0)) break;
    if (Date.now() > drainDeadline) {
      say(`not drained after ${DRAIN_DEADLINE_MS / 1000} s: ${JSON.stringify(counts)}`);
      break;
    }
    await sleep(1_000);
  }
  drainedMs = Date.now() - faultsEndedAt;
  await pool.stopAll(30_000);

  const listed = JSON.parse(await queuectl(["list", "--json", "--limit", "0"])) as {
    id: string;
    state: string;
  }[];
  const states = new Map(listed.map((job) => [job.id, job.state]));
  // A batch whose enqueue failed every time, yet is in the store, committed: judge it too.
  const jobs = [...enqueued, ...uncertain.filter((job) => states.has(job.id))];
  verdict = await verify({
    jobs,
    states,
    logFiles: pool.all.map((worker) => worker.logFile),
    jobIdPrefix,
  });
  problems = [
    ...violations(verdict),
    ...pool.problems,
    ...refused.filter((job) => states.has(job.id)).map((job) =>
      `${job.id}: its enqueue was refused, yet it is in the store`
    ),
  ];
} catch (error) {
  problems.push(`the soak itself failed: ${error instanceof Error ? error.stack : error}`);
} finally {
  await pool.killAll();
}

const durationS = Math.round((Date.now() - startedAt) / 1000);
const faultsByKind: Record<string, number> = {};
for (const fault of pool.faults) faultsByKind[fault.kind] = (faultsByKind[fault.kind] ?? 0) + 1;
const longStops = pool.faults.filter((fault) => (fault.stoppedMs ?? 0) > LEASE_MS).length;
const summary = [
  `chaos summary: store ${STORE}, seed ${SEED}, ${MINUTES} min of faults, ${durationS} s in all ` +
  `(drained ${Math.round(drainedMs / 1000)} s after the faults stopped)`,
];
if (verdict) {
  summary.push(
    `jobs: ${verdict.jobs} (${
      Object.entries(verdict.byKind).map(([kind, n]) => `${kind} ${n}`).join(", ")
    }); final: ${Object.entries(verdict.byState).map(([state, n]) => `${state} ${n}`).join(", ")}`,
    `runs: ${verdict.runs} started, ${verdict.unfinishedRuns} killed before their end; ` +
      `workers logged ${verdict.logCounts.rescued} rescue(s), ${verdict.logCounts.fenced} fenced ` +
      `finish(es), ${verdict.logCounts.released} release(s)`,
    `faults: ${pool.faults.length} (kill -9 ${faultsByKind.kill9 ?? 0}, SIGSTOP/SIGCONT ${
      faultsByKind.stop ?? 0
    } (${longStops} longer than the ${LEASE_MS / 1000} s lease), graceful restart ${
      faultsByKind.restart ?? 0
    }${STORE === "postgres" ? `, backend termination ${faultsByKind.backends ?? 0}` : ""}); ` +
      `${pool.all.length} worker processes in all`,
    `enqueues: ${enqueueFailures} call(s) failed and were tried again, ${uncertain.length} ` +
      `job(s) never confirmed, ${refused.length} dependent job(s) refused (parent dead already)`,
    `lost ${verdict.lost.length}, stuck ${verdict.stuck.length}, overlapping runs ${verdict.overlaps.length}, ` +
      `unexplained dead ${verdict.unexplainedDead.length}, unexpected ends ${verdict.unexpected.length}, ` +
      `"database is locked" ${verdict.lockedLines.length}, crashes ${verdict.crashLines.length}, ` +
      `orphans left ${verdict.orphans.length}`,
  );
}
console.log(summary.join("\n"));
await Deno.writeTextFile(join(dir, "summary.txt"), summary.join("\n") + "\n");
if (problems.length > 0) {
  console.log(`VIOLATIONS:\n${problems.join("\n")}`);
  console.log(`kept for a look: ${dir} (run files in runs/, worker logs in logs/)`);
  if (STORE === "postgres") console.log(`and the schema ${schema} on ${serverUrl}`);
  Deno.exit(1);
}
console.log("OK");
if (!flags.keep) {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  if (STORE === "postgres") {
    const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await sql.end({ timeout: 1 });
  }
}
