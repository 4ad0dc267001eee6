/**
 * The library client (`mod.ts`) on real stores, next to the real CLI: a job enqueued by the
 * library wakes an idle `queuectl worker start` and runs; `status()`, `job()` and `wait()` agree
 * with `status --json`, `info --json` and `wait`; bad jobs, taken ids and unknown parents are
 * refused with the CLI's errors and store nothing; `wait()` gives up on its timeout and on an
 * abort signal. Every store-backed test runs on SQLite and, when a server answers, PostgreSQL
 * (a fresh schema each; `QUEUECTL_REQUIRE_POSTGRES=1` turns a missing server into a failure).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ConflictError,
  type JobInput,
  NotFoundError,
  Queue,
  StoreUnavailableError,
  UsageError,
  WaitTimeoutError,
  type WorkerJson,
} from "../../mod.ts";
import { makeSandbox, type Sandbox, snapshotDatabase, type StoreKind } from "../helpers/cli.ts";
import { assertExit, configure, enqueue, startWorker, stopWorker } from "../helpers/jobs.ts";
import { postgresForTests } from "../helpers/postgres.ts";

const STORES: { kind: StoreKind; available: boolean }[] = [
  { kind: "sqlite", available: true },
  { kind: "postgres", available: (await postgresForTests()) !== undefined },
];

/**
 * Registers `body` once per store (ignored where the store is missing), with a sandbox of its
 * own and a `Queue` opened on it, closed before the sandbox goes.
 */
function onEachStore(name: string, body: (queue: Queue, sandbox: Sandbox) => Promise<void>) {
  for (const { kind, available } of STORES) {
    (available ? Deno.test : Deno.test.ignore)(`${name} (${kind})`, async () => {
      await using sandbox = await makeSandbox(kind);
      await using queue = await Queue.open({ db: sandbox.db });
      await body(queue, sandbox);
    });
  }
}

/** Workers without their heartbeat, which moves on its own between two reads. */
function withoutHeartbeats(workers: WorkerJson[] | Record<string, unknown>[]) {
  return workers.map(({ heartbeat_at: _heartbeat, ...worker }) => worker);
}

// --- a round trip through a real worker ---------------------------------------------------------

onEachStore(
  "a job enqueued by the library wakes an idle worker and runs; wait(), status() and job() agree with the CLI",
  async (queue, sandbox) => {
    // Idle workers look by themselves only once a minute: a run within the wait's 20 s proves
    // that the library's enqueue woke the worker, as the CLI's does.
    await configure(sandbox, { poll_interval: "60" });
    const worker = await startWorker(sandbox, ["--count", "2"]);
    // A first job through the CLI: once it completed, the worker is up, watching, and idle.
    await enqueue(sandbox, ["--id", "warm-up", "--", "true"]);
    assert.equal((await queue.wait("warm-up", { timeoutMs: 20_000 })).ok, true);

    const done = await queue.enqueue({ id: "lib-ok", command: "echo from the library" });
    const dies = await queue.enqueue({ id: "lib-dies", command: "exit 3", max_retries: 0 });
    const finished = await queue.wait([done.id, dies.id, done.id], { timeoutMs: 20_000 });
    assert.equal(finished.ok, false, "one job is dead, so not every job completed");
    assert.deepEqual(finished.jobs.map((job) => [job.id, job.state, job.exit_code]), [
      ["lib-ok", "completed", 0],
      ["lib-dies", "dead", 3],
    ]);
    assertExit(await sandbox.run(["wait", "lib-ok", "lib-dies"]), 1, "queuectl wait of the same");
    assert.equal((await queue.wait("lib-ok")).ok, true);

    const info = await queue.job("lib-ok");
    assert.deepEqual(info, await sandbox.info("lib-ok"));
    assert.equal(info?.runs[0].stdout, "from the library\n");
    assert.deepEqual(await queue.job("lib-dies"), await sandbox.info("lib-dies"));

    const [mine, theirs] = [await queue.status(), await sandbox.status()];
    assert.deepEqual(mine.jobs, theirs.jobs);
    assert.deepEqual(mine.jobs, { ...zeroCounts(), completed: 2, dead: 1 });
    assert.deepEqual(withoutHeartbeats(mine.workers), withoutHeartbeats(theirs.workers));
    assert.equal(mine.workers[0].pid, worker.handle.pid);

    await stopWorker(worker);
    assert.deepEqual(await queue.status(), await sandbox.status());
    assert.deepEqual((await queue.status()).workers, []);
  },
);

function zeroCounts(): Record<string, number> {
  const states = ["pending", "processing", "completed", "failed", "dead", "canceled", "blocked"];
  return Object.fromEntries(states.map((state) => [state, 0]));
}

// --- enqueue ------------------------------------------------------------------------------------

onEachStore(
  "enqueue() stores the job `queuectl info --json` shows, as the same JSON does through the CLI",
  async (queue, sandbox) => {
    const spec = {
      command: "./deploy.sh --fast",
      queue: "deploy",
      priority: 7,
      max_retries: 2,
      timeout: 600,
      backoff_base: 3,
      cwd: "sub",
      env: { TARGET: "prod" },
    };
    const runAt = "2030-01-02T03:04:05.000Z";
    const job = await queue.enqueue({
      ...spec,
      id: "lib",
      run_at: new Date(runAt),
      unique_key: "deploy-prod",
    });
    const { existing, unique_outcome, replaced_id, ...fields } = job;
    assert.deepEqual([existing, unique_outcome, replaced_id], [false, "added", null]);
    assert.equal(fields.cwd, join(Deno.cwd(), "sub"), "a relative cwd resolves as the CLI's does");
    assert.equal(fields.run_at, runAt);
    const info = await sandbox.info("lib");
    assert.deepEqual(info, { ...fields, after: [], parents: [], children: [], runs: [] });
    assert.deepEqual(await queue.job("lib"), info);

    const viaCli = JSON.parse(
      await sandbox.ok([
        "enqueue",
        "--json",
        JSON.stringify({ ...spec, id: "cli", run_at: runAt, unique_key: "deploy-cli" }),
      ]),
    );
    // Every field the same but those that must differ.
    const differing = { id: "", created_at: "", updated_at: "", unique_key: "" };
    assert.deepEqual({ ...viaCli, ...differing }, { ...job, ...differing });
  },
);

onEachStore(
  "enqueue() of a unique key an unfinished job holds returns that job and adds nothing",
  async (queue, sandbox) => {
    const first = await queue.enqueue({ command: "./reindex.sh", unique_key: "reindex" });
    const before = await snapshotDatabase(sandbox);
    const second = await queue.enqueue({ command: "./other.sh", unique_key: "reindex" });
    assert.deepEqual(second, { ...first, existing: true, unique_outcome: "kept" });
    assert.equal(first.unique_outcome, "added");
    assert.equal(await snapshotDatabase(sandbox), before);
  },
);

onEachStore(
  "enqueue() with unique_policy replace cancels the waiting holder, and debounce pushes it",
  async (queue) => {
    const old = await queue.enqueue({
      id: "old",
      command: "./deploy.sh 1",
      unique_key: "deploy",
      delay: "1h",
    });
    const fresh = await queue.enqueue({
      id: "new",
      command: "./deploy.sh 2",
      unique_key: "deploy",
      unique_policy: "replace",
      delay: "1h",
    });
    assert.deepEqual(
      [fresh.id, fresh.existing, fresh.unique_outcome, fresh.replaced_id, fresh.unique_policy],
      ["new", false, "replaced", "old", "replace"],
    );
    const replaced = await queue.job(old.id);
    assert.deepEqual([replaced?.state, replaced?.last_error], [
      "canceled",
      'Replaced by job "new"',
    ]);
    const pushed = await queue.enqueue({
      command: "./deploy.sh 3",
      unique_key: "deploy",
      unique_policy: "debounce",
      debounce_max: "2h",
      delay: "90m",
    });
    assert.deepEqual([pushed.id, pushed.existing, pushed.unique_outcome, pushed.command], [
      "new",
      true,
      "debounced",
      "./deploy.sh 3",
    ]);
    assert.ok(Date.parse(pushed.run_at) > Date.parse(fresh.run_at), "pushed later");
    await assert.rejects(
      () => queue.enqueue({ command: "true", unique_policy: "replace" }),
      /needs a unique key/,
    );
  },
);

onEachStore(
  "enqueue() takes a command line, and fields given as undefined as not given",
  async (queue) => {
    const job = await queue.enqueue("echo 'a b' && true");
    assert.equal(job.command, "echo 'a b' && true");
    assert.match(job.id, /^[0-9a-z]{16}$/, "a generated id");
    const defaults = await queue.enqueue({ command: "true", id: undefined, priority: undefined });
    assert.deepEqual([defaults.priority, defaults.queue, defaults.state], [
      0,
      "default",
      "pending",
    ]);
  },
);

/** Jobs the CLI's JSON form refuses, each with why; the library must refuse them too. */
const BAD_JOBS: { why: string; job: unknown; message: RegExp }[] = [
  { why: "an empty command", job: "  ", message: /command/ },
  { why: "no command", job: { id: "x" }, message: /Missing command/ },
  { why: "not an object", job: null, message: /expected an object/ },
  { why: "a misspelt field", job: { command: "true", prio: 1 }, message: /Unknown field "prio"/ },
  { why: "a fractional priority", job: { command: "true", priority: 1.5 }, message: /priority/ },
  {
    why: "a time without a zone",
    job: { command: "true", run_at: "2030-01-01T00:00" },
    message: /run_at/,
  },
  { why: "an invalid Date", job: { command: "true", run_at: new Date(NaN) }, message: /run_at/ },
  {
    why: "both a time and a delay",
    job: { command: "true", run_at: new Date(), delay: "5m" },
    message: /not both/,
  },
  { why: "a bad delay", job: { command: "true", delay: "soon" }, message: /delay/ },
  {
    why: "queuectl's own variables",
    job: { command: "true", env: { QUEUECTL_DB: "x" } },
    message: /QUEUECTL_/,
  },
  { why: "an id with a space", job: { command: "true", id: "a b" }, message: /Invalid job id/ },
  { why: "an empty cwd", job: { command: "true", cwd: "" }, message: /cwd/ },
  { why: "an after that is no id", job: { command: "true", after: ["a b"] }, message: /after/ },
];

onEachStore(
  "enqueue() refuses a bad job with UsageError and stores nothing",
  async (queue, sandbox) => {
    const before = await snapshotDatabase(sandbox);
    for (const { why, job, message } of BAD_JOBS) {
      await assert.rejects(queue.enqueue(job as JobInput), (error) => {
        assert.ok(error instanceof UsageError, `${why}: ${error}`);
        assert.match(error.message, message, why);
        assert.equal(error.exitCode, 2);
        return true;
      });
    }
    assert.equal(await snapshotDatabase(sandbox), before);
  },
);

onEachStore(
  "enqueue() refuses a taken id with ConflictError and an unknown parent with NotFoundError, storing nothing",
  async (queue, sandbox) => {
    await queue.enqueue({ id: "taken", command: "true" });
    const before = await snapshotDatabase(sandbox);
    await assert.rejects(queue.enqueue({ id: "taken", command: "false" }), ConflictError);
    await assert.rejects(queue.enqueue({ command: "true", after: ["ghost"] }), NotFoundError);
    assert.equal(await snapshotDatabase(sandbox), before);
  },
);

onEachStore(
  "enqueueMany() adds every job in order, or none when one is bad",
  async (queue, sandbox) => {
    await queue.enqueue({ id: "taken", command: "true" });
    const before = await snapshotDatabase(sandbox);
    await assert.rejects(
      queue.enqueueMany(["echo one", { command: "echo two", priority: "high" } as never]),
      (error) =>
        error instanceof UsageError && /^Job at index 1: Invalid priority/.test(error.message),
    );
    await assert.rejects(
      queue.enqueueMany([{ id: "new", command: "true" }, { id: "taken", command: "true" }]),
      ConflictError,
    );
    await assert.rejects(
      queue.enqueueMany([{ id: "a", command: "true", after: "b" }, {
        id: "b",
        command: "true",
        after: "a",
      }]),
      (error) => error instanceof UsageError && /circle/.test(error.message),
    );
    assert.equal(await snapshotDatabase(sandbox), before);

    assert.deepEqual(await queue.enqueueMany([]), []);
    const jobs = await queue.enqueueMany([
      { id: "fetch", command: "./fetch.sh" },
      { id: "import", command: "./import.sh", after: ["fetch", "taken"] },
      "./report.sh",
    ]);
    assert.deepEqual(jobs.map((job) => [job.state, job.existing]), [
      ["pending", false],
      ["blocked", false],
      ["pending", false],
    ]);
    assert.deepEqual(jobs.slice(0, 2).map((job) => job.id), ["fetch", "import"]);
    assert.deepEqual((await queue.job("import"))?.after.toSorted(), ["fetch", "taken"]);
    assert.deepEqual((await sandbox.status()).jobs, { ...zeroCounts(), pending: 3, blocked: 1 });
  },
);

// --- job and wait -------------------------------------------------------------------------------

onEachStore(
  "job() is undefined for an unknown id and refuses a string that is no id",
  async (queue) => {
    assert.equal(await queue.job("no-such-job"), undefined);
    await assert.rejects(queue.job("not an id"), UsageError);
  },
);

onEachStore(
  "wait() gives up after timeoutMs with WaitTimeoutError naming the unfinished jobs",
  async (queue) => {
    await queue.enqueue({ id: "later", command: "true", delay: "1h" });
    const started = Date.now();
    await assert.rejects(queue.wait(["later"], { timeoutMs: 300, pollIntervalMs: 50 }), (error) => {
      assert.ok(error instanceof WaitTimeoutError, String(error));
      assert.deepEqual(error.unfinished, [{ id: "later", state: "pending" }]);
      assert.equal(error.exitCode, 124);
      assert.match(
        error.message,
        /^Timed out after 0\.3 s: 1 job\(s\) not finished \("later" pending\)$/,
      );
      return true;
    });
    assert.ok(Date.now() - started >= 300, "it waited the whole timeout");
    await assert.rejects(queue.wait("later", { timeoutMs: 0 }), WaitTimeoutError);
  },
);

onEachStore(
  "wait() reports canceled jobs as not ok, as `queuectl wait` exits 1, and knows unknown ids",
  async (queue, sandbox) => {
    await queue.enqueue({ id: "dropped", command: "true", delay: "1h" });
    await sandbox.ok(["cancel", "dropped"]);
    const result = await queue.wait("dropped", { timeoutMs: 5_000 });
    assert.equal(result.ok, false);
    const { after: _, parents: _p, children: _c, runs: _r, ...job } = await sandbox.info("dropped");
    assert.deepEqual(result.jobs, [job]);
    assertExit(await sandbox.run(["wait", "dropped"]), 1, "queuectl wait dropped");
    await assert.rejects(queue.wait(["dropped", "no-such-job"]), NotFoundError);
    await assert.rejects(queue.wait("not an id"), UsageError);
    await assert.rejects(queue.wait("dropped", { timeoutMs: -1 }), UsageError);
    await assert.rejects(queue.wait("dropped", { pollIntervalMs: 0 }), UsageError);
    assert.deepEqual(await queue.wait([]), { ok: true, jobs: [] });
  },
);

onEachStore(
  "wait() stops when its signal aborts, rejecting with the signal's reason",
  async (queue) => {
    await queue.enqueue({ id: "later", command: "true", delay: "1h" });
    const gone = new Error("no longer needed");
    await assert.rejects(
      queue.wait("later", { signal: AbortSignal.abort(gone) }),
      (error) => error === gone,
    );

    const controller = new AbortController();
    const waiting = queue.wait("later", { signal: controller.signal });
    controller.abort(gone);
    await assert.rejects(waiting, (error) => error === gone);

    // The abort ends the pause between two looks too, not only the next look.
    const started = Date.now();
    await assert.rejects(
      queue.wait("later", { signal: AbortSignal.timeout(200), pollIntervalMs: 60_000 }),
      (error) => error instanceof DOMException && error.name === "TimeoutError",
    );
    assert.ok(Date.now() - started < 30_000, "the pause between looks was cut short");
  },
);

// --- opening and closing ------------------------------------------------------------------------

Deno.test("Queue.open() takes QUEUECTL_DB, then the default path, as the CLI does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  const saved = {
    QUEUECTL_DB: Deno.env.get("QUEUECTL_DB"),
    XDG_DATA_HOME: Deno.env.get("XDG_DATA_HOME"),
  };
  try {
    Deno.env.set("QUEUECTL_DB", join(dir, "from-env.db"));
    Deno.env.set("XDG_DATA_HOME", join(dir, "data"));
    await using fromEnv = await Queue.open();
    assert.equal(fromEnv.location, join(dir, "from-env.db"));
    await using fromOption = await Queue.open({ db: join(dir, "given.db") });
    assert.equal(fromOption.location, join(dir, "given.db"));
    Deno.env.delete("QUEUECTL_DB");
    await using byDefault = await Queue.open();
    assert.equal(byDefault.location, join(dir, "data", "queuectl", "queue.db"));
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Queue.open() refuses what the CLI refuses: UsageError for no location, StoreUnavailableError for a stranger's file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  try {
    await assert.rejects(Queue.open({ db: "" }), UsageError);
    await assert.rejects(Queue.open({ db: "mysql://db/jobs" }), UsageError);
    const stranger = join(dir, "notes.txt");
    await Deno.writeTextFile(stranger, "not a database\n".repeat(100));
    await assert.rejects(Queue.open({ db: stranger }), StoreUnavailableError);
    assert.equal(await Deno.readTextFile(stranger), "not a database\n".repeat(100));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a closed Queue refuses further calls; closing twice, or at the end of `await using`, is fine", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  try {
    let escaped: Queue;
    {
      await using queue = await Queue.open({ db: join(dir, "queue.db") });
      escaped = queue;
      await queue.enqueue("true");
    }
    await assert.rejects(escaped.status(), /closed/);
    await escaped.close();
    const queue = await Queue.open({ db: join(dir, "queue.db") });
    await queue.close();
    await queue.close();
    await assert.rejects(queue.enqueue("true"), /closed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Queue keeps a job's retry_on, and pauses and resumes queues as the CLI does", async () => {
  await using sandbox = await makeSandbox("sqlite");
  await using queue = await Queue.open({ db: sandbox.db });
  const job = await queue.enqueue({ command: "true", queue: "sync", retry_on: [111, 75] });
  assert.deepEqual([job.retry_on, job.no_retry_on], [[75, 111], null]);
  await queue.pauseQueue("sync", { until: new Date(Date.now() + 3_600_000) });
  const [sync] = await queue.queues();
  assert.equal(sync.paused, true);
  assert.equal(typeof sync.paused_until, "string");
  assert.deepEqual((await queue.status()).paused_queues.map((paused) => paused.name), ["sync"]);
  await assert.rejects(() => queue.pauseQueue("sync", { for: "soon" }), UsageError);
  await queue.resumeQueue("sync");
  assert.equal((await queue.queues())[0].paused, false);
});

onEachStore(
  "Queue.enqueue() takes on_finish and on_finish_when, and the job's end adds its hook job",
  async (queue, sandbox) => {
    const job = await queue.enqueue({
      id: "nightly",
      command: "true",
      on_finish: "https://hooks.example.com/q",
      on_finish_when: ["canceled", "dead"],
    });
    assert.deepEqual([job.on_finish, job.on_finish_when, job.hook_for], [
      "https://hooks.example.com/q",
      ["dead", "canceled"],
      null,
    ]);
    await sandbox.ok(["cancel", "nightly"]);
    const listed = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
    const hooks = listed.filter((row) => row.hook_for === "nightly");
    assert.deepEqual(hooks.map((hook) => [hook.command, hook.state]), [
      ["https://hooks.example.com/q", "pending"],
    ]);
  },
);

onEachStore(
  "Queue sets and removes rate and group limits as the CLI does, keeps group_key, and refuses bad ones",
  async (queue) => {
    await queue.setQueueRate("api", "5/1m");
    await queue.setGroupConcurrency("api", 2);
    const job = await queue.enqueue({ command: "true", queue: "api", group_key: "tenant-1" });
    assert.equal(job.group_key, "tenant-1");
    assert.equal((await queue.job(job.id))?.group_key, "tenant-1");
    const [api] = await queue.queues();
    assert.deepEqual([api.rate, api.rate_limited_until, api.group_concurrency], ["5/1m", null, 2]);
    assert.deepEqual((await queue.status()).rate_limited_queues, []);
    await assert.rejects(() => queue.setQueueRate("api", "0/1s"), UsageError);
    await assert.rejects(() => queue.setGroupConcurrency("api", 0), UsageError);
    await assert.rejects(() => queue.enqueue({ command: "true", group_key: "" }), UsageError);
    assert.deepEqual((await queue.queues())[0].rate, "5/1m", "a refused rate changed nothing");
    await queue.setQueueRate("api", null);
    await queue.setGroupConcurrency("api", null);
    const [cleared] = await queue.queues();
    assert.deepEqual([cleared.rate, cleared.group_concurrency], [null, null]);
  },
);

onEachStore(
  "Queue.retry() runs finished jobs again, all or none; Queue.edit() changes a waiting job and refuses a finished one",
  async (queue, sandbox) => {
    await queue.enqueue({ id: "d", command: "false", max_retries: 0 });
    await queue.enqueue({ id: "w", command: "echo old", run_at: "2099-01-01T00:00:00Z" });
    const worker = await startWorker(sandbox);
    try {
      await queue.wait("d");
    } finally {
      await stopWorker(worker);
    }
    await assert.rejects(queue.retry(["d", "w"]), ConflictError);
    await assert.rejects(queue.retry(["d", "ghost"]), NotFoundError);
    await assert.rejects(queue.retry([]), UsageError);
    assert.equal((await queue.job("d"))?.state, "dead", "all or none");
    const answer = await queue.retry(["d"]);
    assert.deepEqual([answer.dry_run, answer.retried, answer.kept], [false, ["d"], []]);
    assert.equal(answer.jobs[0].state, "dead", "jobs: as they were");
    const retried = await queue.job("d");
    assert.equal(retried?.state, "pending");
    assert.equal(retried?.attempts, 0);
    assert.equal(retried?.runs.length, 1, "its history is kept");

    const edited = await queue.edit("w", { command: "echo new", env: { A: "1" }, priority: 3 });
    assert.equal(edited.command, "echo new");
    assert.deepEqual(edited.env, { A: "1" });
    assert.equal(edited.priority, 3);
    await assert.rejects(queue.edit("w", {}), UsageError);
    await assert.rejects(queue.edit("w", { priority: 0.5 }), UsageError);
    await assert.rejects(queue.edit("w", { run_at: "tomorrow" }), UsageError);
    await assert.rejects(queue.edit("ghost", { priority: 1 }), NotFoundError);
    assert.equal((await queue.job("w"))?.priority, 3);
    await sandbox.ok(["cancel", "w"]);
    await assert.rejects(queue.edit("w", { priority: 1 }), ConflictError);
  },
);

onEachStore(
  "Queue.retry({ filter }) lists more than one match unless dry_run is false, and refuses a bad or empty filter",
  async (queue, sandbox) => {
    for (const id of ["a-1", "a-2", "b-1"]) {
      await queue.enqueue({
        id,
        queue: id.startsWith("a") ? "a" : "b",
        command: "false",
        max_retries: 0,
      });
    }
    const worker = await startWorker(sandbox);
    try {
      await queue.wait(["a-1", "a-2", "b-1"]);
    } finally {
      await stopWorker(worker);
    }
    const before = await snapshotDatabase(sandbox);
    for (
      const filter of [{}, { state: "pending" }, { state: "zombie" }, { since: "soon" }, {
        queue: "a b",
      }]
    ) {
      await assert.rejects(queue.retry({ filter }), UsageError, JSON.stringify(filter));
    }
    const look = await queue.retry({ filter: { state: "dead", queue: "a" } });
    assert.equal(look.dry_run, true, "two match: a dry run by default");
    assert.deepEqual(look.jobs.map((job) => job.id).sort(), ["a-1", "a-2"]);
    assert.deepEqual(look.retried, []);
    const forced = await queue.retry({ filter: { queue: "b" }, dry_run: true });
    assert.equal(forced.dry_run, true, "dry_run: true lists even one match");
    assert.equal(await snapshotDatabase(sandbox), before, "nothing changed");

    const one = await queue.retry({ filter: { queue: "b" } });
    assert.deepEqual([one.dry_run, one.retried], [false, ["b-1"]], "one match: retried");
    const done = await queue.retry({ filter: { state: ["dead"], queue: ["a"] }, dry_run: false });
    assert.deepEqual(done.retried.sort(), ["a-1", "a-2"]);
    assert.equal((await queue.job("a-1"))?.state, "pending");
  },
);

onEachStore(
  "enqueueMany() with a batch runs its on-complete job once it settled; batches(), batch() and waitForBatch() agree with the CLI",
  async (queue, sandbox) => {
    // Idle workers look by themselves only once a minute: the callback runs within the wait
    // because the settle woke them.
    await configure(sandbox, { poll_interval: "60" });
    const marker = join(sandbox.dir, "published");
    const worker = await startWorker(sandbox, ["--count", "2"]);
    await queue.enqueueMany(["true", { command: "true", id: "two" }], {
      batch: "thumbs",
      onComplete: `echo "$QUEUECTL_BATCH_COMPLETED" > '${marker}'`,
      onFailure: "exit 1",
    });
    assert.equal((await queue.job("two"))?.batch, "thumbs");
    const { ok, jobs } = await queue.waitForBatch("thumbs", { timeoutMs: 20_000 });
    assert.ok(ok);
    assert.equal(jobs.length, 2);
    const callback = (await queue.batch("thumbs"))!.on_complete!;
    await queue.wait(callback.job_id, { timeoutMs: 20_000 });
    await stopWorker(worker);
    assert.equal(await Deno.readTextFile(marker), "2\n");
    const batch = await queue.batch("thumbs");
    assert.equal(batch?.status, "completed");
    assert.equal(batch?.on_failure?.state, "canceled");
    assert.deepEqual(
      batch,
      JSON.parse(await sandbox.ok(["batch", "info", "thumbs", "--json"])),
      "the CLI shows the same batch",
    );
    assert.deepEqual(await queue.batches(), [batch]);
    assert.equal(await queue.batch("ghost"), undefined);
    await assert.rejects(queue.waitForBatch("ghost"), NotFoundError);
    await assert.rejects(queue.enqueueMany(["true"], { batch: "thumbs" }), ConflictError);
    await assert.rejects(queue.enqueueMany(["true"], { batch: "a b" }), UsageError);
  },
);
