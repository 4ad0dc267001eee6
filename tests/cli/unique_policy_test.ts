/**
 * Unique-key policies end to end through the real CLI on SQLite and PostgreSQL
 * (`onEveryStore`): ten debounced enqueues make one run of the latest command, pushed; a replace
 * cancels the waiting holder and only the new command runs; a running holder is never replaced
 * or pushed; `--debounce-max` caps the push; `enqueue --file` says what happened.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, readOrEmpty } from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type Json,
  ms,
  q,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

onEveryStore.test("ten debounced enqueues of one key make one job, pushed, that runs the latest command once", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const log = join(sandbox.dir, "runs.log");
  const key = ["--unique", "build", "--unique-policy", "debounce", "--delay", "2s"];
  const first = await enqueue(sandbox, [...key, "--", `echo 1 >> ${q(log)}`]);
  const firstRunAt = ms((await sandbox.info(first)).run_at);
  for (let n = 2; n <= 10; n++) {
    const result = await sandbox.run(["enqueue", ...key, "--", `echo ${n} >> ${q(log)}`]);
    assertExit(result, 0, `debounced enqueue ${n}`);
    assert.equal(result.stdout, `${first}\n`, "the holder's id, as for any held key");
    assert.match(
      result.stderr,
      new RegExp(
        `^Job "${first}" \\(pending\\) holds unique key "build": debounced, due at \\S+Z\\n$`,
      ),
    );
  }
  const json = JSON.parse(
    await sandbox.ok(["enqueue", ...key, "--json", "--", `echo 11 >> ${q(log)}`]),
  ) as Json;
  assert.deepEqual(
    [json.id, json.existing, json.unique_outcome, json.replaced_id, json.unique_policy],
    [first, true, "debounced", null, "debounce"],
  );
  const holder = await sandbox.info(first);
  assert.equal(holder.command, `echo 11 >> ${q(log)}`);
  assert.ok(ms(holder.run_at) > firstRunAt, "run_at pushed");
  assert.equal((await sandbox.status()).jobs.pending, 1, "one job for eleven enqueues");

  const worker = await startWorker(sandbox);
  try {
    await waitForState(sandbox, first, "completed");
    assert.equal(await Deno.readTextFile(log), "11\n", "one run, of the latest command");
    const text = await sandbox.ok(["info", first]);
    assert.match(text, /^unique key +build \(debounce\)$/m);
  } finally {
    await stopWorker(worker);
  }
});

onEveryStore.test("replace cancels the waiting holder, and only the new command runs", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const log = join(sandbox.dir, "runs.log");
  await enqueue(sandbox, [
    "--id",
    "old",
    "--unique",
    "deploy",
    "--delay",
    "1h",
    "--",
    `echo old >> ${q(log)}`,
  ]);
  await enqueue(sandbox, ["--id", "child", "--after", "old", "--", `echo child >> ${q(log)}`]);
  const result = await sandbox.run([
    "enqueue",
    "--id",
    "new",
    "--unique",
    "deploy",
    "--unique-policy",
    "replace",
    "--",
    `echo new >> ${q(log)}`,
  ]);
  assertExit(result, 0, "enqueue --unique-policy replace");
  assert.equal(result.stdout, "new\n");
  assert.equal(
    result.stderr,
    'Job "new" replaced job "old", which held unique key "deploy" (canceled)\n',
  );
  const old = await sandbox.info("old");
  assert.deepEqual([old.state, old.last_error], ["canceled", 'Replaced by job "new"']);
  const worker = await startWorker(sandbox);
  try {
    await waitForState(sandbox, "child", "completed");
    assert.equal(await Deno.readTextFile(log), "new\nchild\n", "the child waited on the new job");
    assert.equal((await sandbox.info("old")).state, "canceled");
  } finally {
    await stopWorker(worker);
  }
});

onEveryStore.test("a running holder is neither replaced nor debounced: nothing is added, and it says why", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const release = join(sandbox.dir, "release");
  const log = join(sandbox.dir, "runs.log");
  await enqueue(sandbox, [
    "--id",
    "long",
    "--unique",
    "sync",
    "--",
    `echo long >> ${q(log)}; while [ ! -f ${q(release)} ]; do sleep 0.05; done`,
  ]);
  const worker = await startWorker(sandbox);
  try {
    await waitForState(sandbox, "long", "processing");
    for (const [policy, word] of [["replace", "replaced"], ["debounce", "debounced"]]) {
      const result = await sandbox.run([
        "enqueue",
        "--unique",
        "sync",
        "--unique-policy",
        policy,
        "--json",
        "--",
        `echo ${policy} >> ${q(log)}`,
      ]);
      assertExit(result, 0, `enqueue --unique-policy ${policy}`);
      const json = JSON.parse(result.stdout) as Json;
      assert.deepEqual([json.id, json.state, json.existing, json.unique_outcome], [
        "long",
        "processing",
        true,
        "kept",
      ]);
      assert.equal(
        result.stderr,
        `Job "long" (processing) holds unique key "sync": not added again (a running job is not ${word})\n`,
      );
    }
    await Deno.writeTextFile(release, "");
    await waitForState(sandbox, "long", "completed");
    assert.deepEqual((await sandbox.status()).jobs.pending ?? 0, 0);
    assert.equal(await readOrEmpty(log), "long\n");
  } finally {
    await stopWorker(worker);
  }
});

onEveryStore.test("--debounce-max caps the push at the holder's enqueue time + max", async () => {
  await using sandbox = await makeSandbox();
  const id = await enqueue(sandbox, ["--unique", "w", "--delay", "1m", "--", "true"]);
  const created = ms((await sandbox.info(id)).created_at);
  const flags = ["--unique", "w", "--unique-policy", "debounce", "--debounce-max", "5m"];
  assert.equal(await enqueue(sandbox, [...flags, "--delay", "3m", "--", "true"]), id);
  const pushed = ms((await sandbox.info(id)).run_at);
  assert.ok(pushed - created >= 3 * 60_000 && pushed - created < 5 * 60_000, "pushed, uncapped");
  assert.equal(await enqueue(sandbox, [...flags, "--delay", "1h", "--", "true"]), id);
  assert.equal(ms((await sandbox.info(id)).run_at) - created, 5 * 60_000, "capped");
  assert.equal(await enqueue(sandbox, [...flags, "--delay", "1s", "--", "true"]), id);
  assert.equal(ms((await sandbox.info(id)).run_at) - created, 5 * 60_000, "never earlier");
});

onEveryStore.test("enqueue --file applies each line's policy and sums up what happened", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "held-a", "--unique", "a", "--delay", "1h", "--", "true"]);
  await enqueue(sandbox, ["--id", "held-b", "--unique", "b", "--delay", "1h", "--", "true"]);
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(
    file,
    [
      { id: "j1", command: "echo a", unique_key: "a", unique_policy: "debounce", delay: "2h" },
      { id: "j2", command: "echo b", unique_key: "b", unique_policy: "replace" },
      { id: "j3", command: "echo c", unique_key: "c" },
    ].map((line) => JSON.stringify(line)).join("\n") + "\n",
  );
  const result = await sandbox.run(["enqueue", "--file", file]);
  assertExit(result, 0, "enqueue --file");
  assert.equal(result.stdout, "held-a\nj2\nj3\n");
  assert.equal(
    result.stderr,
    'Job "held-a" (pending) holds unique key "a": debounced, due at ' +
      `${(await sandbox.info("held-a")).run_at}\n` +
      'Job "j2" replaced job "held-b", which held unique key "b" (canceled)\n' +
      "Enqueued 2 job(s), 1 of them in place of a waiting job; debounced 1 waiting job(s)\n",
  );
  assert.equal((await sandbox.info("held-b")).state, "canceled");
});

onEveryStore.test("enqueuers in separate processes replacing and debouncing one key at once leave one waiting job, and none fails", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "seed", "--unique", "k", "--delay", "1h", "--", "true"]);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, n) =>
      sandbox.run([
        "enqueue",
        "--id",
        `p${n}`,
        "--unique",
        "k",
        "--unique-policy",
        n % 2 === 0 ? "replace" : "debounce",
        "--delay",
        "1h",
        "--json",
        "--",
        `echo ${n}`,
      ])),
  );
  results.forEach((result, n) => assertExit(result, 0, `enqueuer ${n}`));
  const answers = results.map((result) => JSON.parse(result.stdout) as Json);
  const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Json[];
  const waiting = jobs.filter((job) => job.state === "pending");
  assert.equal(
    waiting.length,
    1,
    `one waiting job: ${JSON.stringify(jobs.map((job) => [job.id, job.state]))}`,
  );
  const replaces = answers.filter((_, n) => n % 2 === 0);
  assert.ok(replaces.every((answer) => answer.unique_outcome === "replaced"));
  assert.ok(
    answers.filter((_, n) => n % 2 === 1).every((answer) => answer.unique_outcome === "debounced"),
  );
  assert.equal(jobs.length, 1 + replaces.length, "the seed and one job per replace");
  assert.deepEqual(
    replaces.map((answer) => answer.replaced_id).sort(),
    jobs.filter((job) => job.state === "canceled").map((job) => job.id).sort(),
    "each replace canceled a different job",
  );
});
