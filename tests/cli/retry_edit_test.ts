/**
 * Re-running and editing jobs, end to end through the real CLI on SQLite and PostgreSQL
 * (`onEveryStore`): `retry` runs completed, dead and canceled jobs again with their history kept,
 * refuses unfinished ones, and by `--filter` lists first when more than one job matches; `edit`
 * changes a waiting job that a worker then runs as changed, refuses a running one, and a run time
 * moved earlier is picked up at once, not at the next poll.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore } from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type Json,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

onEveryStore.test("retry runs a completed, a dead and a canceled job again with their history kept, and refuses an unfinished one", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const log = join(sandbox.dir, "a.log");
  const flag = join(sandbox.dir, "flag");
  await enqueue(sandbox, ["--id", "a", "--", `echo ran >> ${q(log)}`]);
  await enqueue(sandbox, ["--id", "b", "--max-retries", "0", "--", `test -f ${q(flag)}`]);
  await enqueue(sandbox, ["--id", "c", "--run-at", "2099-01-01T00:00:00Z", "--", "true"]);
  await enqueue(sandbox, ["--id", "later", "--run-at", "2099-01-01T00:00:00Z", "--", "true"]);
  await sandbox.ok(["cancel", "c"]);
  const worker = await startWorker(sandbox);
  try {
    await waitForState(sandbox, "a", "completed");
    await waitForState(sandbox, "b", "dead");

    // Not finished: one line, exit 5, nothing changed (a and b stay as they are).
    const refused = await sandbox.run(["retry", "a", "later"]);
    assertExit(refused, 5, "retry of a pending job");
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /^queuectl: Cannot retry job "later": its state is "pending"/);
    assert.equal((await sandbox.info("a")).state, "completed");
    // dlq retry is as it was: dead jobs only.
    assertExit(await sandbox.run(["dlq", "retry", "a"]), 5, "dlq retry of a completed job");

    await Deno.writeTextFile(flag, "");
    const retried = await sandbox.run(["retry", "a", "b", "c"]);
    assertExit(retried, 0, "retry a b c");
    assert.equal(retried.stdout, "a\nb\nc\n");
    assert.match(retried.stderr, /Retried 3 job\(s\)/);
    for (const id of ["a", "b", "c"]) {
      const job = await waitForState(sandbox, id, "completed");
      assert.equal(job.attempts, 1, `${id} ran once more, attempts counted from 0`);
    }
    assert.equal(await Deno.readTextFile(log), "ran\nran\n");
    const a = await sandbox.info("a");
    assert.deepEqual(runsOf(a).map((run) => run.outcome), ["completed", "completed"]);
    assert.deepEqual(runsOf(await sandbox.info("b")).map((run) => run.outcome), [
      "failed",
      "completed",
    ]);
  } finally {
    await stopWorker(worker);
  }
});

onEveryStore.test("retry --filter lists the matching jobs unless --yes, retries a single match at once, and says when none match", async () => {
  await using sandbox = await makeSandbox();
  for (const id of ["i1", "i2"]) {
    await enqueue(sandbox, ["--id", id, "--queue", "images", "--max-retries", "0", "--", "false"]);
  }
  await enqueue(sandbox, ["--id", "t1", "--queue", "text", "--max-retries", "0", "--", "false"]);
  await enqueue(sandbox, ["--id", "ok", "--queue", "images", "--", "true"]);
  const worker = await startWorker(sandbox);
  try {
    for (const id of ["i1", "i2", "t1"]) await waitForState(sandbox, id, "dead");
    await waitForState(sandbox, "ok", "completed");
  } finally {
    await stopWorker(worker);
  }

  const filter = "state=dead,queue=images,since=1h";
  const dry = await sandbox.run(["retry", "--filter", filter]);
  assertExit(dry, 0, "retry --filter (dry run)");
  const lines = dry.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), ["i1", "i2", "2"]);
  assert.equal(lines[2], "2 jobs would be retried; run again with --yes");
  assert.equal((await sandbox.info("i1")).state, "dead", "a dry run changes nothing");

  const dryJson = JSON.parse(await sandbox.ok(["retry", "--filter", filter, "--json"])) as Json;
  assert.equal(dryJson.dry_run, true);
  assert.deepEqual((dryJson.jobs as Json[]).map((job) => job.id), ["i1", "i2"]);
  assert.deepEqual(dryJson.retried, []);

  const done = JSON.parse(
    await sandbox.ok(["retry", "--filter", filter, "--yes", "--json"]),
  ) as Json;
  assert.equal(done.dry_run, false);
  assert.deepEqual(done.retried, ["i1", "i2"]);
  assert.deepEqual((done.jobs as Json[]).map((job) => job.state), ["dead", "dead"]);
  for (const id of ["i1", "i2"]) assert.equal((await sandbox.info(id)).state, "pending");
  assert.equal((await sandbox.info("t1")).state, "dead", "another queue's job is left alone");
  assert.equal((await sandbox.info("ok")).state, "completed", "a completed job is not dead");

  // One match: retried at once. None: said so, exit 0.
  assert.equal(await sandbox.ok(["retry", "--filter", "queue=text"]), "t1\n");
  assert.equal((await sandbox.info("t1")).state, "pending");
  assert.equal(
    await sandbox.ok(["retry", "--filter", "state=dead"]),
    "No finished jobs match the filter.\n",
  );
});

onEveryStore.test("edit changes a waiting job that a worker then runs as changed, and refuses a running one", async () => {
  await using sandbox = await makeSandbox();
  const out = join(sandbox.dir, "out");
  await enqueue(sandbox, [
    "--id",
    "job",
    "--env",
    "KEEP=kept",
    "--run-at",
    "2099-01-01T00:00:00Z",
    "--",
    "echo old",
  ]);
  const edited = JSON.parse(
    await sandbox.ok([
      "edit",
      "job",
      "--command",
      `echo "$KEEP $MODE" > ${q(out)}`,
      "--env",
      "MODE=fast",
      "--priority",
      "7",
      "--json",
    ]),
  ) as Json;
  assert.equal(edited.state, "pending");
  assert.equal(edited.priority, 7);
  assert.deepEqual(edited.env, { KEEP: "kept", MODE: "fast" });
  assert.equal(edited.run_at, "2099-01-01T00:00:00.000Z", "not given: unchanged");

  // A worker that polls every 60 s: only the edit's wake-up can make it run the job soon.
  await configure(sandbox, { poll_interval: "60" });
  await enqueue(sandbox, ["--id", "busy", "--", "sleep 30"]);
  const worker = await startWorker(sandbox, ["--count", "2"]);
  try {
    await waitForState(sandbox, "busy", "processing");
    const refused = await sandbox.run(["edit", "busy", "--priority", "1"]);
    assertExit(refused, 5, "edit of a running job");
    assert.match(refused.stderr, /^queuectl: Cannot edit job "busy": its state is "processing"/);
    assert.equal((await sandbox.info("busy")).priority, 0);

    await new Promise((resolve) => setTimeout(resolve, 1000)); // the worker waits for its poll
    const started = Date.now();
    assert.equal(
      await sandbox.ok(["edit", "job", "--run-at", "2020-01-01T00:00:00Z"]),
      'Edited job "job" (pending)\n',
    );
    await waitForState(sandbox, "job", "completed", 20_000);
    assert.ok(Date.now() - started < 20_000, "picked up at once, not at the next poll");
    assert.equal(await Deno.readTextFile(out), "kept fast\n");
    await sandbox.ok(["cancel", "busy"]);
  } finally {
    await stopWorker(worker);
  }
});
