/**
 * Store contract: finish hooks. Whichever method makes a job final (a run's finish, a finish
 * under a cancel request, a rescue to dead, a cancel of a waiting job, the cancel of the jobs
 * waiting on one that failed), the same transaction adds one hook job per hook that fires: the
 * job's own `onFinish` (filtered by `onFinishWhen`) and the `on_<state>` config. Hook jobs fire
 * no hooks themselves.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Job } from "../../../src/job.ts";
import type { Store } from "../../../src/store/mod.ts";
import { defaultConfig } from "../../../src/config.ts";
import { claimId, type ContractTest, finishOf, LEASE_MS, newJob, rescueOf, T0 } from "./harness.ts";

/** Every hook job, oldest first. */
async function hookJobs(store: Store): Promise<Job[]> {
  return (await store.jobList({})).filter((job) => job.hookFor !== null);
}

/** The hook jobs as [hookFor, command, state of the ended job] triples, sorted. */
async function hooksFired(store: Store): Promise<string[][]> {
  return (await hookJobs(store))
    .map((hook) => [hook.hookFor!, hook.command, hook.env?.QUEUECTL_JOB_STATE ?? "?"])
    .sort();
}

/** Registers the tests of this part of the contract. */
export function finishHooksContract(test: ContractTest): void {
  test("jobFinish() adds a hook job for the outcomes on_finish_when names (every one when null), with the ended job's variables", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("done", {
          onFinish: "./notify.sh",
          queue: "etl",
          priority: 5,
          cwd: "/srv/app",
          shell: "bash",
          command: "make all",
        }),
        newJob("dead", { maxRetries: 0, onFinish: "./page.sh", onFinishWhen: ["dead"] }),
        newJob("not-on-completed", { onFinish: "./page.sh", onFinishWhen: ["dead", "canceled"] }),
        newJob("no-hook"),
      ],
      now: T0,
    });
    // "done" (priority 5) first: its hook job, of the same priority, would be claimed first.
    const done = await claimId(store, "done", T0 + 1);
    assert.equal(await store.jobFinish(finishOf(done, T0 + 2, "completed")), true);
    const hooks = await hookJobs(store);
    assert.deepEqual(hooks.map((hook) => hook.hookFor), ["done"]);
    const [onDone] = hooks;
    // Claimable like any job.
    assert.equal((await claimId(store, onDone.id, T0 + 2)).hookFor, "done");
    const dead = await claimId(store, "dead", T0 + 3);
    assert.equal(await store.jobFinish(finishOf(dead, T0 + 4, "dead", { exitCode: 7 })), true);
    const other = await claimId(store, "not-on-completed", T0 + 5);
    assert.equal(await store.jobFinish(finishOf(other, T0 + 6, "completed")), true);
    const plain = await claimId(store, "no-hook", T0 + 7);
    assert.equal(await store.jobFinish(finishOf(plain, T0 + 8, "completed")), true);
    const onDead = (await hookJobs(store)).find((hook) => hook.hookFor === "dead")!;
    assert.equal((await hookJobs(store)).length, 2, "no hook for the others");
    assert.match(onDone.id, /^hook-[0-9a-f]{16}$/);
    assert.notEqual(onDone.id, onDead.id);
    assert.deepEqual(
      {
        command: onDone.command,
        state: hooks[0].state,
        queue: onDone.queue,
        priority: onDone.priority,
        cwd: onDone.cwd,
        shell: onDone.shell,
        runAt: onDone.runAt,
        createdAt: onDone.createdAt,
        attempts: hooks[0].attempts,
        maxRetries: onDone.maxRetries,
        onFinish: onDone.onFinish,
        uniqueKey: onDone.uniqueKey,
      },
      {
        command: "./notify.sh",
        state: "pending",
        queue: "etl",
        priority: 5,
        cwd: "/srv/app",
        shell: "bash",
        runAt: T0 + 2,
        createdAt: T0 + 2,
        attempts: 0,
        // The config's default: a hook is retried like any job, whatever its job's own limit.
        maxRetries: defaultConfig().maxRetries,
        onFinish: null,
        uniqueKey: null,
      },
    );
    assert.deepEqual(onDone.env, {
      QUEUECTL_JOB_ID: "done",
      QUEUECTL_JOB_STATE: "completed",
      QUEUECTL_JOB_EXIT_CODE: "0",
      QUEUECTL_JOB_QUEUE: "etl",
      QUEUECTL_JOB_COMMAND: "make all",
      QUEUECTL_JOB_ERROR: "",
    });
    assert.deepEqual(onDead.env, {
      QUEUECTL_JOB_ID: "dead",
      QUEUECTL_JOB_STATE: "dead",
      QUEUECTL_JOB_EXIT_CODE: "7",
      QUEUECTL_JOB_QUEUE: "default",
      QUEUECTL_JOB_COMMAND: "echo dead",
      QUEUECTL_JOB_ERROR: "Exited with code 1",
    });
  });

  test("jobFinish() of a run to be retried adds no hook job; the end after the retries adds one", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("flaky", { onFinish: "./hook.sh" })], now: T0 });
    const first = await claimId(store, "flaky", T0);
    assert.equal(await store.jobFinish(finishOf(first, T0 + 1, "failed", { runAt: T0 + 2 })), true);
    const second = await claimId(store, "flaky", T0 + 2);
    // A lost worker's job goes back to failed: not an end either.
    assert.equal(await store.jobFinish(rescueOf(second, T0 + 3, T0 + 4)), true);
    assert.deepEqual(await hookJobs(store), []);
    const third = await claimId(store, "flaky", T0 + 4);
    assert.equal(await store.jobFinish(finishOf(third, T0 + 5, "dead")), true);
    assert.deepEqual(await hooksFired(store), [["flaky", "./hook.sh", "dead"]]);
  });

  test("a fenced-off jobFinish() adds no hook job, so a job's end adds its hooks exactly once", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("once", { onFinish: "./hook.sh" })], now: T0 });
    const job = await claimId(store, "once", T0);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 1, "completed")), true);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 2, "completed")), false);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 2, "dead")), false);
    assert.deepEqual(await hooksFired(store), [["once", "./hook.sh", "completed"]]);
  });

  test("a job run again after its end (jobRetryFinished, jobRetryDead) adds its hook at each end", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("again", { maxRetries: 0, onFinish: "./hook.sh" })],
      now: T0,
    });
    // Its hook jobs are due first (they were due at its end): run them out of the way.
    const runHooks = async (now: number) => {
      for (const hook of await hookJobs(store)) {
        if (hook.state !== "pending") continue;
        const claimed = await claimId(store, hook.id, now);
        assert.equal(await store.jobFinish(finishOf(claimed, now, "completed")), true);
      }
    };
    const first = await claimId(store, "again", T0);
    assert.equal(await store.jobFinish(finishOf(first, T0 + 1, "dead")), true);
    assert.deepEqual(await store.jobRetryDead({ ids: ["again"], now: T0 + 2 }), ["again"]);
    assert.equal((await hookJobs(store)).length, 1, "coming back is no end");
    await runHooks(T0 + 3);
    const second = await claimId(store, "again", T0 + 3);
    assert.equal(await store.jobFinish(finishOf(second, T0 + 4, "completed")), true);
    assert.deepEqual(await store.jobRetryFinished({ ids: ["again"], now: T0 + 5 }), ["again"]);
    await runHooks(T0 + 6);
    const third = await claimId(store, "again", T0 + 6);
    assert.equal(await store.jobFinish(finishOf(third, T0 + 7, "dead")), true);
    assert.deepEqual(
      (await hookJobs(store)).map((hook) => hook.env?.QUEUECTL_JOB_STATE),
      ["dead", "completed", "dead"],
    );
  });

  test("a rescue that ends a job dead (leaseExpiredBefore) adds its dead hook", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("lost", { onFinish: "./hook.sh" })], now: T0 });
    const job = await claimId(store, "lost", T0);
    const expired = T0 + LEASE_MS + 1;
    const rescue = {
      ...rescueOf(job, expired, expired),
      state: "dead" as const,
      runAt: undefined,
      leaseExpiredBefore: expired,
    };
    assert.equal(await store.jobFinish(rescue), true);
    const [hook] = await hookJobs(store);
    assert.deepEqual(
      [hook.hookFor, hook.env?.QUEUECTL_JOB_STATE, hook.env?.QUEUECTL_JOB_EXIT_CODE],
      [
        "lost",
        "dead",
        "",
      ],
    );
  });

  test("jobCancel() adds the canceled hook of each waiting job it cancels and of the jobs waiting on them", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("parent", { runAt: T0 + 1e6, onFinish: "./parent.sh" }),
        newJob("child", { after: ["parent"], onFinish: "./child.sh", onFinishWhen: ["canceled"] }),
        newJob("child-on-dead", {
          after: ["parent"],
          onFinish: "./never.sh",
          onFinishWhen: ["dead"],
        }),
        newJob("running", { onFinish: "./running.sh" }),
      ],
      now: T0,
    });
    const running = await claimId(store, "running", T0 + 1);
    const result = await store.jobCancel({ ids: ["parent", "running"], now: T0 + 2 });
    assert.deepEqual(result, { canceled: ["parent"], stopping: ["running"] });
    assert.deepEqual(await hooksFired(store), [
      ["child", "./child.sh", "canceled"],
      ["parent", "./parent.sh", "canceled"],
    ]);
    const childHook = (await hookJobs(store)).find((hook) => hook.hookFor === "child")!;
    assert.match(childHook.env!.QUEUECTL_JOB_ERROR, /^Canceled: job "parent"/);
    // The running job ends canceled when its run ends: its hook comes then, once.
    assert.equal(
      await store.jobFinish(finishOf(running, T0 + 3, "failed", { runAt: T0 + 9 })),
      true,
    );
    assert.equal((await store.jobGet({ id: "running" }))?.state, "canceled");
    assert.deepEqual((await hooksFired(store)).map(([id]) => id), ["child", "parent", "running"]);
  });

  test("a job that fails dead cancels the jobs waiting on it, and each adds its canceled hook", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("build", { maxRetries: 0 }),
        newJob("test", { after: ["build"], onFinish: "./test-hook.sh" }),
        newJob("deploy", { after: ["test"], onFinish: "./deploy-hook.sh" }),
      ],
      now: T0,
    });
    const build = await claimId(store, "build", T0);
    assert.equal(await store.jobFinish(finishOf(build, T0 + 1, "dead")), true);
    assert.deepEqual(await hooksFired(store), [
      ["deploy", "./deploy-hook.sh", "canceled"],
      ["test", "./test-hook.sh", "canceled"],
    ]);
  });

  test("the on_<state> config adds a hook job to every job ending in that state, after the job's own", async ({ store }) => {
    await store.configSet({ key: "on_dead", value: "https://hooks.example.com/dead" });
    await store.configSet({ key: "on_canceled", value: "./canceled.sh" });
    await store.configSet({ key: "max_retries", value: "7" });
    await store.jobInsert({
      jobs: [
        newJob("own-and-global", { maxRetries: 0, onFinish: "./own.sh" }),
        newJob("global-only", { maxRetries: 0 }),
        newJob("completes"),
        newJob("canceled", { runAt: T0 + 1e6, cwd: "/srv", shell: "bash" }),
      ],
      now: T0,
    });
    for (const id of ["own-and-global", "global-only"]) {
      const job = await claimId(store, id, T0);
      assert.equal(await store.jobFinish(finishOf(job, T0 + 1, "dead")), true);
    }
    const completes = await claimId(store, "completes", T0 + 2);
    assert.equal(await store.jobFinish(finishOf(completes, T0 + 3, "completed")), true);
    await store.jobCancel({ ids: ["canceled"], now: T0 + 4 });
    const hooks = await hookJobs(store);
    assert.deepEqual(hooks.map((hook) => [hook.hookFor, hook.command]), [
      ["own-and-global", "./own.sh"],
      ["own-and-global", "https://hooks.example.com/dead"],
      ["global-only", "https://hooks.example.com/dead"],
      ["canceled", "./canceled.sh"],
    ]);
    // A global hook runs where the worker does, in the config's shell; max_retries: the config's.
    const global = hooks.at(-1)!;
    assert.deepEqual([global.cwd, global.shell, global.maxRetries], [null, null, 7]);

    // Unset: no hook any more.
    await store.configUnset({ key: "on_dead" });
    await store.jobInsert({ jobs: [newJob("after-unset", { maxRetries: 0 })], now: T0 + 5 });
    const late = await claimId(store, "after-unset", T0 + 5);
    assert.equal(await store.jobFinish(finishOf(late, T0 + 6, "dead")), true);
    assert.equal((await hookJobs(store)).length, 4);
  });

  test("a hook job's own end adds no hook job, whatever the config says", async ({ store }) => {
    await store.configSet({ key: "on_dead", value: "./on-dead.sh" });
    await store.configSet({ key: "on_completed", value: "./on-completed.sh" });
    await store.jobInsert({ jobs: [newJob("job", { maxRetries: 0 })], now: T0 });
    const job = await claimId(store, "job", T0);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 1, "dead")), true);
    const [hook] = await hookJobs(store);
    const claimed = await claimId(store, hook.id, T0 + 2);
    assert.equal(await store.jobFinish(finishOf(claimed, T0 + 3, "dead")), true);
    assert.deepEqual(await hooksFired(store), [["job", "./on-dead.sh", "dead"]]);
  });

  test("a stored max_retries config that cannot be read gives hook jobs the default, and the finish still succeeds", async ({ store }) => {
    await store.configSet({ key: "on_completed", value: "./hook.sh" });
    await store.configSet({ key: "max_retries", value: "many" });
    await store.jobInsert({ jobs: [newJob("job")], now: T0 });
    const job = await claimId(store, "job", T0);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 1, "completed")), true);
    const [hook] = await hookJobs(store);
    assert.equal(hook.maxRetries, defaultConfig().maxRetries);
  });
}
