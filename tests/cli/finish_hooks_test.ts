/**
 * Finish hooks end to end, through the real CLI and a worker process: a job's own `on_finish`
 * (filtered by `on_finish_when`) and the `on_dead` config, run as jobs of their own with the
 * finished job's variables; a webhook that fails twice and then answers 200, retried by the
 * normal backoff. On SQLite and PostgreSQL (`onEveryStore`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, readOrEmpty, waitFor } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  type Json,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

/** The jobs of `list --json`, by id. */
async function jobsById(sandbox: { ok(args: string[]): Promise<string> }) {
  const jobs = JSON.parse(await sandbox.ok(["list", "--json", "--limit", "0"])) as Json[];
  return new Map(jobs.map((job) => [String(job.id), job]));
}

onEveryStore.test("a job's on_finish and the on_dead config run as jobs with the ended job's variables, once each", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const out = join(sandbox.dir, "hooks.out");
  const record = (tag: string) =>
    `echo "${tag} $QUEUECTL_JOB_ID $QUEUECTL_JOB_STATE [$QUEUECTL_JOB_EXIT_CODE] $QUEUECTL_JOB_QUEUE" >> ${
      q(out)
    }`;
  await sandbox.ok(["config", "set", "on_dead", record("global")]);
  const failing = await enqueue(sandbox, [
    "--id",
    "failing",
    "--max-retries",
    "0",
    "--queue",
    "etl",
    "--on-finish",
    record("own"),
    "--",
    "exit 7",
  ]);
  // Fires on completed only: its cancel below adds no hook job of its own.
  const canceled = await enqueue(sandbox, [
    "--id",
    "canceled",
    "--delay",
    "1h",
    "--on-finish-when",
    "completed",
    "--on-finish",
    record("never"),
    "--",
    "true",
  ]);
  const completed = await enqueue(sandbox, [
    "--id",
    "completed",
    "--on-finish-when",
    "completed,dead",
    "--on-finish",
    record("own"),
    "--",
    "true",
  ]);
  const info = await sandbox.info(completed);
  assert.deepEqual([info.on_finish, info.on_finish_when, info.hook_for], [
    record("own"),
    ["completed", "dead"],
    null,
  ]);
  await sandbox.ok(["cancel", canceled]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, failing, "dead");
  await waitForState(sandbox, completed, "completed");
  const lines = await waitFor("three hook lines", async () => {
    const text = await readOrEmpty(out);
    return text.trim().split("\n").length >= 3 ? text : undefined;
  });
  await stopWorker(worker);
  assert.deepEqual(lines.trim().split("\n").sort(), [
    "global failing dead [7] etl",
    "own completed completed [0] default",
    "own failing dead [7] etl",
  ]);
  // Exactly three hook jobs, each marked with the job it reports; none fires hooks of its own.
  const jobs = await jobsById(sandbox);
  const hooks = [...jobs.values()].filter((job) => job.hook_for !== null);
  assert.deepEqual(hooks.map((job) => [job.hook_for, job.state, job.queue]).sort(), [
    ["completed", "completed", "default"],
    ["failing", "completed", "etl"],
    ["failing", "completed", "etl"],
  ]);
  assert.equal(jobs.size, 6, "three jobs and three hook jobs, no hook of a hook");
  const text = await sandbox.ok(["info", String(hooks[0].id)]);
  assert.match(text, /^hook for +job (completed|failing)$/m);
  assert.match(
    await sandbox.ok(["info", completed]),
    /^on finish +echo .* \(on completed, dead\)$/m,
  );
});

onEveryStore.test("a webhook hook POSTs the job's JSON, and a failing endpoint is retried until it answers 2xx", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2", backoff_base: "1", max_retries: "3" });
  const bodies: Json[] = [];
  const headers: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.json());
    headers.push(request.headers.get("x-queuectl-job-state"));
    return bodies.length <= 2
      ? new Response("not yet", { status: 503 })
      : new Response("thanks", { status: 200 });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/hook`;
    const job = await enqueue(sandbox, ["--max-retries", "0", "--on-finish", url, "--", "exit 4"]);
    const worker = await startWorker(sandbox);
    await waitForState(sandbox, job, "dead");
    const hook = await waitFor("the hook job to complete", async () => {
      const found = [...(await jobsById(sandbox)).values()].find((row) => row.hook_for === job);
      return found?.state === "completed" ? found : undefined;
    });
    await stopWorker(worker);
    assert.equal(bodies.length, 3, "two 503 answers, then 200");
    for (const body of bodies) {
      assert.equal(body.id, job);
      assert.equal(body.state, "dead");
      assert.equal(body.exit_code, 4);
      assert.ok(Array.isArray(body.runs), "the shape of info --json, runs included");
    }
    assert.deepEqual(headers, ["dead", "dead", "dead"]);
    const detail = await sandbox.info(String(hook.id));
    const runs = runsOf(detail);
    assert.deepEqual(runs.map((run) => run.outcome), ["failed", "failed", "completed"]);
    assert.match(
      String(runs[0].error),
      /^Webhook POST to http:\/\/127\.0\.0\.1:\d+\/hook answered 503/,
    );
    assert.equal(runs[2].stdout, "thanks");
  } finally {
    await server.shutdown();
  }
});

onEveryStore.test("a cancel wakes idle workers for the hook it adds (no wait for the poll)", async () => {
  await using sandbox = await makeSandbox();
  // A poll far longer than the test's deadline: only a wake-up can start the hook in time.
  await configure(sandbox, { poll_interval: "600" });
  const out = join(sandbox.dir, "hook.out");
  const waiting = await enqueue(sandbox, [
    "--delay",
    "1h",
    "--on-finish",
    `echo "$QUEUECTL_JOB_STATE" > ${q(out)}`,
    "--",
    "true",
  ]);
  const worker = await startWorker(sandbox);
  await sandbox.ok(["cancel", waiting]);
  await waitFor(
    "the hook of the canceled job to run",
    async () => (await readOrEmpty(out)) === "canceled\n",
    20_000,
  );
  await stopWorker(worker);
});
