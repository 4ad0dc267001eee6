/**
 * Every reader is total: a stored row holding a value queuectl would never write (put there by
 * hand, by an older version or by a bug: a run time past the year 9999, text in a number column,
 * a negative attempt count, an unknown state, an env that is not JSON) shows as `"invalid"` in
 * that one field, and `list`, `list --json`, `info`, `info --json`, `status`, `status --json`,
 * the dashboard's `GET /api/jobs`, `GET /api/jobs/ID`, `GET /api/overview` and `/metrics` go on
 * answering, for that job and every other one. The bad values are written straight into the
 * database, one case at a time, and put back after.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type CliResult,
  makeSandbox,
  onEveryStore,
  readOrEmpty,
  type Sandbox,
  type StoreKind,
  TEST_STORE,
  updateEveryRow,
  waitFor,
} from "../helpers/cli.ts";
import { enqueue, startWorker, stopWorker, waitForState } from "../helpers/jobs.ts";
import { execSql, type RunningDashboard, withDashboard } from "../helpers/dashboard.ts";
import { postgresForTests } from "../helpers/postgres.ts";

type Value = string | number | null;

/** One bad value (or a few) written into one row, and where it must show as invalid. */
interface BadRowCase {
  /** What is wrong with the row. */
  intent: string;
  /** The job whose row (or whose runs' rows) is changed. */
  job: "done" | "waiting";
  table?: "jobs" | "job_runs";
  /** The columns to set, per store (a store's column types limit what it can hold). */
  values: (store: StoreKind) => Record<string, Value>;
  /** JSON paths (`runs.0.finished_at`) that must read "invalid" in `info --json` and the API. */
  invalid: string[];
  /** Whether `list`'s table shows the field (and so must print "invalid"). */
  inTable?: boolean;
  /** Whether `info`'s text leaves the field out (it shows most). */
  notInInfo?: boolean;
  /** Only on this store: the other one's column type cannot hold such a value. */
  only?: StoreKind;
  /** The state column's CHECK constraint must be bypassed to write this. */
  bypassCheck?: boolean;
}

/** A time far beyond what a JavaScript `Date` can show (±8.64e15 ms). */
const BEYOND_DATES = 9e15;

const CASES: BadRowCase[] = [
  {
    intent: "run_at far past the year 9999 (1e303 in SQLite, the bigint maximum in PostgreSQL)",
    job: "waiting",
    values: (store) => ({ run_at: store === "postgres" ? "9223372036854775807" : 1e303 }),
    invalid: ["run_at", "next_run_at"],
    inTable: true,
  },
  {
    intent: "run_at stored as infinity",
    job: "waiting",
    values: () => ({ run_at: Infinity }),
    invalid: ["run_at", "next_run_at"],
    inTable: true,
    only: "sqlite",
  },
  {
    intent: "run_at stored as text that is no number",
    job: "waiting",
    values: () => ({ run_at: "soon" }),
    invalid: ["run_at", "next_run_at"],
    inTable: true,
    only: "sqlite",
  },
  {
    // (After, not before: `list` shows only jobs created since 1970.)
    intent: "created_at after anything a Date can show",
    job: "done",
    values: () => ({ created_at: BEYOND_DATES }),
    invalid: ["created_at"],
  },
  {
    intent: "updated_at after anything a Date can show",
    job: "waiting",
    values: () => ({ updated_at: BEYOND_DATES }),
    invalid: ["updated_at"],
    inTable: true,
  },
  {
    intent: "started_at and finished_at out of range",
    job: "done",
    values: () => ({ started_at: BEYOND_DATES, finished_at: -BEYOND_DATES }),
    invalid: ["started_at", "finished_at"],
  },
  {
    intent: "cancel_requested_at and lease_expires_at out of range",
    job: "waiting",
    values: () => ({ cancel_requested_at: BEYOND_DATES, lease_expires_at: BEYOND_DATES }),
    invalid: ["cancel_requested_at", "lease_expires_at"],
    notInInfo: true,
  },
  {
    intent: "a run whose finished_at is out of range",
    job: "done",
    table: "job_runs",
    values: () => ({ finished_at: BEYOND_DATES }),
    invalid: ["runs.0.finished_at"],
  },
  {
    intent: "a run with a negative byte count",
    job: "done",
    table: "job_runs",
    values: () => ({ stdout_bytes: -1 }),
    invalid: ["runs.0.stdout_bytes"],
    notInInfo: true,
  },
  {
    intent: "a negative attempt count",
    job: "done",
    values: () => ({ attempts: -3 }),
    invalid: ["attempts"],
    inTable: true,
  },
  {
    intent: "a negative max_retries",
    job: "waiting",
    values: () => ({ max_retries: -5 }),
    invalid: ["max_retries"],
    inTable: true,
  },
  {
    intent: "a priority that is not an integer",
    job: "waiting",
    values: () => ({ priority: 1.5 }),
    invalid: ["priority"],
    inTable: true,
    only: "sqlite",
  },
  {
    intent: "a negative timeout",
    job: "waiting",
    values: () => ({ timeout_seconds: -1 }),
    invalid: ["timeout"],
  },
  {
    intent: "a timeout that is NaN (JSON would have shown null: the config's default)",
    job: "waiting",
    values: (store) => ({ timeout_seconds: store === "postgres" ? "NaN" : "n/a" }),
    invalid: ["timeout"],
  },
  {
    intent: "an infinite backoff_base (JSON would have shown null: the config's default)",
    job: "waiting",
    values: (store) => ({ backoff_base: store === "postgres" ? "Infinity" : Infinity }),
    invalid: ["backoff_base"],
  },
  {
    intent: "an exit code stored as text",
    job: "done",
    values: () => ({ exit_code: "zero" }),
    invalid: ["exit_code"],
    only: "sqlite",
  },
  {
    intent: "a state no version of queuectl has",
    job: "waiting",
    values: () => ({ state: "exploded" }),
    invalid: ["state"],
    bypassCheck: true,
  },
  {
    intent: "an env that is not JSON",
    job: "done",
    values: () => ({ env: "{not json" }),
    invalid: ["env"],
  },
  {
    intent: "an env that is a JSON array",
    job: "done",
    values: () => ({ env: '["A=1"]' }),
    invalid: ["env"],
  },
  {
    intent: "an env with a value that is not a string",
    job: "done",
    values: () => ({ env: '{"A":1}' }),
    invalid: ["env"],
  },
  {
    intent: "a retry_on that is not JSON",
    job: "done",
    values: () => ({ retry_on: "[75," }),
    invalid: ["retry_on"],
  },
  {
    intent: "a no_retry_on holding an exit code over 255",
    job: "waiting",
    values: () => ({ no_retry_on: "[2, 300]" }),
    invalid: ["no_retry_on"],
  },
  {
    intent: "an on_finish_when that is not JSON",
    job: "waiting",
    values: () => ({ on_finish: "./hook.sh", on_finish_when: "[dead" }),
    invalid: ["on_finish_when"],
  },
  {
    intent: "an on_finish_when naming a state that is not final",
    job: "done",
    values: () => ({ on_finish: "./hook.sh", on_finish_when: '["failed"]' }),
    invalid: ["on_finish_when"],
  },
  {
    intent: "a unique_policy no version writes",
    job: "done",
    values: () => ({ unique_key: "k", unique_policy: "merge" }),
    invalid: ["unique_policy"],
  },
  {
    intent: "a negative debounce cap",
    job: "waiting",
    values: () => ({ unique_key: "k2", unique_policy: "debounce", debounce_max_ms: -5 }),
    invalid: ["debounce_max"],
  },
];

onEveryStore.test(
  'a stored value out of range shows as "invalid" in its field and breaks no reader',
  async (t) => {
    await using sandbox = await makeSandbox();
    await seed(sandbox);
    await withDashboard(sandbox, [], async (dashboard) => {
      for (const badCase of CASES) {
        await t.step({
          name: badCase.intent,
          ignore: badCase.only !== undefined && badCase.only !== TEST_STORE,
          fn: () => checkCase(sandbox, dashboard, badCase),
        });
      }
    });
  },
);

/** A completed job with a run and an env ("done"), and a pending one ("waiting"). */
async function seed(sandbox: Sandbox): Promise<void> {
  await sandbox.ok(["config", "set", "poll_interval", "0.1"]);
  await sandbox.ok(["enqueue", '{"id":"done","command":"echo done","env":{"A":"1"}}']);
  const worker = sandbox.spawnWorker();
  await waitFor("the seed job to complete", async () => (await sandbox.status()).jobs.completed);
  worker.kill("SIGTERM");
  assert.equal((await worker.finished()).code, 0);
  await sandbox.ok(["enqueue", '{"id":"waiting","command":"echo later","queue":"q"}']);
}

async function checkCase(
  sandbox: Sandbox,
  dashboard: RunningDashboard,
  badCase: BadRowCase,
): Promise<void> {
  const table = badCase.table ?? "jobs";
  const values = badCase.values(sandbox.store);
  const before = await readColumns(sandbox, table, badCase.job, Object.keys(values));
  await writeColumns(sandbox, table, badCase.job, values, badCase.bypassCheck);
  try {
    await checkReaders(sandbox, dashboard, badCase);
  } finally {
    await writeColumns(sandbox, table, badCase.job, before, badCase.bypassCheck);
  }
}

async function checkReaders(
  sandbox: Sandbox,
  dashboard: RunningDashboard,
  badCase: BadRowCase,
): Promise<void> {
  const id = badCase.job;
  const other = id === "done" ? "waiting" : "done";
  const listed = badCase.invalid.filter((path) => !path.includes("."));
  const unknownState = badCase.invalid.includes("state");

  // The CLI: its readers at once (each a process start; they only read).
  const [listRun, listJsonRun, infoRun, infoJsonRun, statusRun, statusJsonRun] = await Promise.all(
    [
      ["list"],
      ["list", "--json"],
      ["info", id],
      ["info", id, "--json"],
      ["status"],
      ["status", "--json"],
    ].map((args) => sandbox.run(args)),
  );
  const list = readerOutput(listRun, "list");
  if (badCase.inTable && !unknownState) {
    assert.match(rowOf(list, id), /\binvalid\b/, `list shows the bad field as invalid:\n${list}`);
  }
  assert.doesNotMatch(rowOf(list, other), /\binvalid\b/, `the other job's row is untouched`);

  const listJson = JSON.parse(readerOutput(listJsonRun, "list --json"));
  if (!unknownState) checkJob(findJob(listJson, id), id, listed, "list --json");
  checkJob(findJob(listJson, other), other, [], "list --json (the other job)");

  const info = readerOutput(infoRun, `info ${id}`);
  if (!badCase.notInInfo) {
    assert.match(info, /\binvalid\b/, `info shows the bad field as invalid:\n${info}`);
  }
  const infoJson = JSON.parse(readerOutput(infoJsonRun, "info --json"));
  checkJob(infoJson, id, badCase.invalid, "info --json");

  const status = readerOutput(statusRun, "status");
  const statusJson = JSON.parse(readerOutput(statusJsonRun, "status --json"));
  if (unknownState) {
    assert.match(
      status,
      /^invalid\s+1$/m,
      `status counts the unknown state as invalid:\n${status}`,
    );
    assert.equal(statusJson.jobs.invalid, 1, JSON.stringify(statusJson));
  }

  // The dashboard's API and /metrics.
  const jobs = await dashboard.get("/api/jobs?limit=500");
  assert.equal(jobs.status, 200, `GET /api/jobs: ${jobs.text}`);
  if (!unknownState) checkJob(findJob(jobs.json.jobs, id), id, listed, "GET /api/jobs");
  const detail = await dashboard.get(`/api/jobs/${id}`);
  assert.equal(detail.status, 200, `GET /api/jobs/${id}: ${detail.text}`);
  checkJob(detail.json, id, badCase.invalid, `GET /api/jobs/${id}`);
  const overview = await dashboard.get("/api/overview");
  assert.equal(overview.status, 200, `GET /api/overview: ${overview.text}`);
  const metrics = await dashboard.get("/metrics");
  assert.equal(metrics.status, 200, `GET /metrics: ${metrics.text}`);
  for (const line of metrics.text.trimEnd().split("\n")) {
    assert.match(
      line,
      /^(# (HELP|TYPE) .+|[a-z_]+(\{[a-z]+="[^"\\\n]*"(,[a-z]+="[^"\\\n]*")*\})? \S+)$/,
      `a /metrics line: ${line}`,
    );
  }
  if (unknownState) {
    assert.match(metrics.text, /^queuectl_jobs\{queue="q",state="invalid"\} 1$/m, metrics.text);
  }
}

/** Checks that a reader exited 0 with nothing on stderr; returns its stdout. */
function readerOutput(result: CliResult, what: string): string {
  const shown = `--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
  assert.equal(result.code, 0, `${what} exited ${result.code}\n${shown}`);
  assert.equal(result.stderr, "", `${what} wrote to stderr\n${shown}`);
  return result.stdout;
}

/** The table row of job `id`. */
function rowOf(table: string, id: string): string {
  const row = table.split("\n").find((line) => line.startsWith(`${id} `));
  assert.ok(row !== undefined, `a row for "${id}" in:\n${table}`);
  return row;
}

// deno-lint-ignore no-explicit-any
function findJob(jobs: any[], id: string): Record<string, unknown> {
  const job = jobs.find((job) => job.id === id);
  assert.ok(job, `job "${id}" in ${JSON.stringify(jobs.map((job) => job.id))}`);
  return job;
}

/** `paths` read "invalid"; every other field of the job reads as a valid value of its kind. */
function checkJob(job: Record<string, unknown>, id: string, paths: string[], what: string): void {
  const shown = `${what}: ${JSON.stringify(job)}`;
  assert.equal(job.id, id, shown);
  for (const path of paths) assert.equal(at(job, path), "invalid", `${path} in ${shown}`);
  const fields = Object.entries(job).filter(([name]) => !paths.includes(name));
  for (const [name, value] of fields) {
    if (/_at$/.test(name) && value !== null) {
      assert.ok(!Number.isNaN(Date.parse(String(value))), `${name} in ${shown}`);
    } else assert.notEqual(value, "invalid", `${name} in ${shown}`);
  }
}

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce(
    (inner: unknown, part) => (inner as Record<string, unknown>)?.[part],
    value,
  );
}

// --- writing straight into the database ---------------------------------------------------------

/** The WHERE clause that picks the rows of job `$1`/`?` in `table` (its runs: by its seq). */
function rowsOfJob(sandbox: Sandbox, table: string): string {
  const jobs = sandbox.store === "postgres" ? `"${sandbox.schema}".jobs` : "jobs";
  const param = sandbox.store === "postgres" ? "$1" : "?";
  return table === "jobs"
    ? `id = ${param}`
    : `job_seq = (SELECT seq FROM ${jobs} WHERE id = ${param})`;
}

async function readColumns(
  sandbox: Sandbox,
  table: string,
  id: string,
  columns: string[],
): Promise<Record<string, Value>> {
  if (sandbox.store === "postgres") {
    // As text: a bigint or a double comes back exactly as it was.
    const casts = columns.map((name) => `"${name}"::text AS "${name}"`).join(", ");
    const [row] = await (await server()).query(
      `SELECT ${casts} FROM "${sandbox.schema}"."${table}" WHERE ${rowsOfJob(sandbox, table)}`,
      [id],
    );
    return row as Record<string, Value>;
  }
  const db = new DatabaseSync(sandbox.db);
  try {
    const list = columns.map((name) => `"${name}"`).join(", ");
    return db.prepare(`SELECT ${list} FROM "${table}" WHERE ${rowsOfJob(sandbox, table)}`)
      .get(id) as Record<string, Value>;
  } finally {
    db.close();
  }
}

async function writeColumns(
  sandbox: Sandbox,
  table: string,
  id: string,
  values: Record<string, Value>,
  bypassCheck = false,
): Promise<void> {
  const names = Object.keys(values);
  if (sandbox.store === "postgres") {
    const pg = await server();
    if (bypassCheck) {
      // As an older or hand-made schema without the check would let it in.
      await pg.query(
        `ALTER TABLE "${sandbox.schema}"."${table}" DROP CONSTRAINT IF EXISTS jobs_state_check`,
      );
    }
    const set = names.map((name, index) => `"${name}" = $${index + 2}`).join(", ");
    const rows = await pg.query(
      `WITH changed AS (UPDATE "${sandbox.schema}"."${table}" SET ${set}
         WHERE ${rowsOfJob(sandbox, table)} RETURNING 1)
       SELECT count(*)::int AS count FROM changed`,
      [id, ...Object.values(values)],
    );
    assert.ok(Number(rows[0].count) > 0, `no row of ${table} for job "${id}"`);
    return;
  }
  const db = new DatabaseSync(sandbox.db);
  try {
    if (bypassCheck) db.exec("PRAGMA ignore_check_constraints = ON");
    const set = names.map((name) => `"${name}" = ?`).join(", ");
    // The job's id is the last parameter here: SQLite numbers "?" in order.
    const where = rowsOfJob(sandbox, table);
    const changed = db.prepare(`UPDATE "${table}" SET ${set} WHERE ${where}`)
      .run(...Object.values(values), id).changes;
    assert.ok(Number(changed) > 0, `no row of ${table} for job "${id}"`);
  } finally {
    db.close();
  }
}

async function server() {
  const pg = await postgresForTests();
  assert.ok(pg, "a PostgreSQL server");
  return pg;
}

onEveryStore.test("a job whose env cannot be read is made dead, not run, and does not block the queue", async () => {
  await using sandbox = await makeSandbox();
  const marker = join(sandbox.dir, "ran");
  await sandbox.ok(["enqueue", "--id", "poisoned", "--", `touch ${marker}`]);
  assert.equal(await updateEveryRow(sandbox, "jobs", { env: "{not json" }), 1);
  await sandbox.ok(["enqueue", "--id", "next", "--", "echo next"]);
  const worker = await startWorker(sandbox, ["--count", "1"]);
  const dead = await waitForState(sandbox, "poisoned", "dead");
  assert.match(String(dead.last_error), /Not run: its stored env cannot be read/);
  await waitForState(sandbox, "next", "completed");
  assert.equal(await readOrEmpty(marker), "", "the poisoned job's command never ran");
  await stopWorker(worker);
});

onEveryStore.test("a queue whose stored exit-code lists or pause end cannot be read shows them as invalid in queue list, the API and status", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["queue", "set-retry", "broken", "--retry-on", "75"]);
  await sandbox.ok(["queue", "pause", "broken", "--for", "1h"]);
  await sandbox.ok(["enqueue", "--queue", "fine", "--", "true"]);
  const bad = sandbox.store === "postgres"
    ? { retry_on: "{not json", no_retry_on: "[-1]", paused_until: "9223372036854775807" }
    : { retry_on: "{not json", no_retry_on: "[-1]", paused_until: 1e303 };
  assert.equal(await updateEveryRow(sandbox, "queues", bad), 2);
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Record<
    string,
    unknown
  >[];
  const broken = queues.find((queue) => queue.name === "broken")!;
  assert.deepEqual(
    [broken.retry_on, broken.no_retry_on, broken.paused, broken.paused_until],
    ["invalid", "invalid", true, "invalid"],
  );
  assert.match(await sandbox.ok(["queue", "list"]), /broken .*invalid/);
  const status = JSON.parse(await sandbox.ok(["status", "--json"]));
  assert.deepEqual(status.paused_queues, [{ name: "broken", paused_until: "invalid" }]);
  await sandbox.ok(["status"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    const overview = await dashboard.get("/api/overview");
    assert.equal(overview.status, 200);
    const shown = (overview.json as { queues: Record<string, unknown>[] }).queues
      .find((queue) => queue.name === "broken");
    assert.equal(shown?.retry_on, "invalid");
    assert.equal((await dashboard.get("/api/queues")).status, 200);
    assert.equal((await dashboard.get("/metrics")).status, 200);
  });
});

onEveryStore.test("a batch whose stored times or outcome cannot be read shows them as invalid in batch list, batch info, the API and wait --batch", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok([
    "enqueue",
    "--batch",
    "broken",
    "--on-complete",
    "echo ok",
    "--id",
    "b1",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  await sandbox.ok(["cancel", "b1"]);
  const bad = sandbox.store === "postgres"
    ? { settled_at: "9223372036854775807", created_at: "-9223372036854775808", outcome: "weird" }
    : { settled_at: 1e303, created_at: "never", outcome: "weird" };
  assert.equal(await updateEveryRow(sandbox, "batches", bad), 1);
  const shown = JSON.parse(await sandbox.ok(["batch", "info", "broken", "--json"]));
  assert.deepEqual(
    [shown.status, shown.created_at, shown.settled_at],
    ["invalid", "invalid", "invalid"],
  );
  assert.match(await sandbox.ok(["batch", "info", "broken"]), /\nsettled +invalid\n/);
  assert.match(await sandbox.ok(["batch", "list"]), /broken +invalid/);
  assert.equal(JSON.parse(await sandbox.ok(["batch", "list", "--json"]))[0].status, "invalid");
  const waited = await sandbox.run(["wait", "--batch", "broken"]);
  assert.equal(waited.code, 1, waited.stderr);
  await withDashboard(sandbox, [], async (dashboard) => {
    const list = await dashboard.get("/api/batches");
    assert.equal(list.status, 200, list.text);
    assert.equal((list.json as Record<string, unknown>[])[0].settled_at, "invalid");
    assert.equal((await dashboard.get("/api/batches/broken")).status, 200);
  });
});

onEveryStore.test("a batch's callback whose env cannot be read does not stop the batch from settling", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok([
    "enqueue",
    "--batch",
    "b",
    "--on-failure",
    "echo oops",
    "--id",
    "b1",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  const batch = JSON.parse(await sandbox.ok(["batch", "info", "b", "--json"]));
  await execSql(
    sandbox,
    (table) =>
      `UPDATE ${table("jobs")} SET env = '{not json' WHERE id = '${batch.on_failure.job_id}'`,
  );
  await sandbox.ok(["cancel", "b1"]);
  const settled = JSON.parse(await sandbox.ok(["batch", "info", "b", "--json"]));
  assert.equal(settled.status, "failed");
  assert.equal(settled.on_failure.state, "pending");
  assert.equal((await sandbox.info(batch.on_failure.job_id)).env, "invalid");
});

onEveryStore.test("a schedule whose job template cannot be read shows as invalid, never fires, and stops no other schedule", async () => {
  await using sandbox = await makeSandbox();
  const seconds = { env: { QUEUECTL_TEST_CRON_SECONDS: "1" } };
  await sandbox.ok(["schedule", "add", "broken", "* * * * * *", "--", "true"], seconds);
  assert.equal(await updateEveryRow(sandbox, "schedules", { job: "{not json" }), 1);
  await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "echo tick"], seconds);
  const listed = await sandbox.ok(["schedule", "list"]);
  assert.match(listed, /broken .* invalid\n/);
  const json = JSON.parse(await sandbox.ok(["schedule", "list", "--json"]));
  assert.equal(json.find((s: Record<string, unknown>) => s.name === "broken").job, "invalid");
  const worker = await startWorker(sandbox, ["--count", "1"]);
  await waitFor("the good schedule to fire", async () => {
    const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
    return jobs.some((job) => String(job.id).startsWith("tick-"));
  });
  const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
  assert.ok(!jobs.some((job) => String(job.id).startsWith("broken-")), JSON.stringify(jobs));
  await stopWorker(worker);
});

onEveryStore.test("a queue whose stored rate or group limit is out of range shows them as invalid in queue list, info, the API and status", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["queue", "set-rate", "broken", "5/1s"]);
  await sandbox.ok(["queue", "set-group-concurrency", "broken", "2"]);
  const waiting = await enqueue(sandbox, [
    "--queue",
    "broken",
    "--group-key",
    "k",
    "--",
    "true",
  ]);
  assert.equal(
    await updateEveryRow(sandbox, "queues", {
      rate_limit: 0,
      rate_period_ms: -5,
      group_concurrency: -1,
    }),
    1,
  );
  const [broken] = JSON.parse(await sandbox.ok(["queue", "list", "--json"]));
  assert.deepEqual(
    [broken.rate, broken.rate_limited_until, broken.group_concurrency],
    ["invalid", null, "invalid"],
  );
  assert.match(await sandbox.ok(["queue", "list"]), /broken .*invalid\s+invalid\n/);
  assert.deepEqual(JSON.parse(await sandbox.ok(["status", "--json"])).rate_limited_queues, []);
  await sandbox.ok(["status"]);
  assert.match(await sandbox.ok(["info", waiting]), /group key\s+k\n/);
  await withDashboard(sandbox, [], async (dashboard) => {
    const overview = await dashboard.get("/api/overview");
    assert.equal(overview.status, 200);
    const shown = (overview.json as { queues: Record<string, unknown>[] }).queues[0];
    assert.deepEqual([shown.rate, shown.group_concurrency], ["invalid", "invalid"]);
    assert.equal((await dashboard.get("/metrics")).status, 200);
  });
});
