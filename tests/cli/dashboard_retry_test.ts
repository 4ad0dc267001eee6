/**
 * `POST /api/jobs/retry` by filter, on every store: a dry run unless `"dry_run": false` when more
 * than one job matches (one match is retried, as `queuectl retry --filter` without `--yes`),
 * `"dry_run": true` only lists, and the answer has the shape of `queuectl retry --json`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";
import { enqueueFile, execSql, withDashboard } from "../helpers/dashboard.ts";
import { startWorker, stopWorker, waitForState } from "../helpers/jobs.ts";

type JobJson = { id: string; state: string };
const ids = (jobs: JobJson[]) => jobs.map((job) => job.id).sort();

onEveryStore.test("dashboard API: retry by filter is a dry run for more than one match unless dry_run is false, and answers as retry --json", async () => {
  await using sandbox = await makeSandbox();
  await enqueueFile(sandbox, [
    { id: "img-1", queue: "images", command: "exit 3", max_retries: 0 },
    { id: "img-2", queue: "images", command: "exit 3", max_retries: 0 },
    { id: "img-ok", queue: "images", command: "true" },
    { id: "old-1", queue: "images", command: "exit 3", max_retries: 0 },
    { id: "mail-1", queue: "mail", command: "exit 3", max_retries: 0 },
  ]);
  const worker = await startWorker(sandbox, ["--count", "2"]);
  try {
    for (const id of ["img-1", "img-2", "old-1", "mail-1"]) {
      await waitForState(sandbox, id, "dead");
    }
    await waitForState(sandbox, "img-ok", "completed");
  } finally {
    await stopWorker(worker);
  }
  // old-1 was enqueued two hours ago, so since=1h leaves it out.
  await execSql(
    sandbox,
    (table) => `UPDATE ${table("jobs")} SET created_at = created_at - 7200000 WHERE id = 'old-1'`,
  );
  await withDashboard(sandbox, [], async (dashboard) => {
    const filter = { state: "dead", queue: "images", since: "1h" };
    const before = await snapshotDatabase(sandbox);
    const look = await dashboard.post("/api/jobs/retry", { filter });
    assert.equal(look.status, 200, look.text);
    assert.equal(look.json.dry_run, true, "two match, no dry_run: only listed");
    assert.deepEqual(ids(look.json.jobs), ["img-1", "img-2"]);
    assert.deepEqual([look.json.retried, look.json.kept], [[], []]);
    const cli = await sandbox.ok([
      "retry",
      "--filter",
      "state=dead,queue=images,since=1h",
      "--json",
    ]);
    assert.deepEqual(Object.keys(look.json).sort(), Object.keys(JSON.parse(cli)).sort());
    const forced = await dashboard.post("/api/jobs/retry", {
      filter: { queue: "mail" },
      dry_run: true,
    });
    assert.equal(forced.status, 200, forced.text);
    assert.equal(forced.json.dry_run, true, "dry_run: true lists even one match");
    assert.deepEqual(ids(forced.json.jobs), ["mail-1"]);
    assert.equal(await snapshotDatabase(sandbox), before, "a dry run changes nothing");

    const done = await dashboard.post("/api/jobs/retry", { filter, dry_run: false });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.dry_run, false);
    assert.deepEqual(done.json.retried.sort(), ["img-1", "img-2"]);
    assert.deepEqual(done.json.jobs.map((job: JobJson) => job.state), ["dead", "dead"]);
    for (const id of ["img-1", "img-2"]) assert.equal((await sandbox.info(id)).state, "pending");
    for (const id of ["old-1", "mail-1"]) assert.equal((await sandbox.info(id)).state, "dead");
    assert.equal((await sandbox.info("img-ok")).state, "completed", "state=dead only");

    const one = await dashboard.post("/api/jobs/retry", { filter: { queue: "mail" } });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual([one.json.dry_run, one.json.retried], [false, ["mail-1"]], "one: retried");
    const none = await dashboard.post("/api/jobs/retry", { filter: { queue: "mail" } });
    assert.deepEqual(none.json, { dry_run: false, jobs: [], retried: [], kept: [] });
  });
});
