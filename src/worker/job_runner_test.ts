import assert from "node:assert/strict";
import { join } from "node:path";
import { ManualClock } from "../clock.ts";
import { defaultConfig, leaseDurationMs } from "../config.ts";
import { openStore, type Store } from "../store/mod.ts";
import { newJob as contractJob } from "../../tests/store/contract/harness.ts";
import { JobRunner } from "./job_runner.ts";

const clock = new ManualClock();
const newJob = (id: string) => contractJob(id, { command: "true", runAt: clock.now() });

/** Counts the store's claims and finishes, by method. */
function counted(store: Store): { store: Store; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count =
    <T extends unknown[], R>(name: string, call: (...args: T) => R) => (...args: T): R => {
      calls[name] = (calls[name] ?? 0) + 1;
      return call(...args);
    };
  return {
    calls,
    store: {
      ...store,
      jobClaim: count("jobClaim", store.jobClaim),
      jobFinish: count("jobFinish", store.jobFinish),
      jobFinishAndClaim: count("jobFinishAndClaim", store.jobFinishAndClaim),
    },
  };
}

async function withStore(body: (store: Store) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  try {
    await body(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function runner(store: Store, goesOn: () => boolean): JobRunner {
  const quiet = () => {};
  return new JobRunner({
    store,
    clock,
    workerId: "w",
    config: defaultConfig,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    env: {},
    claimNext: goesOn,
  });
}

Deno.test("JobRunner.runOnce() takes its next job with each finish: one store call per job", async () => {
  await withStore(async (plain) => {
    await plain.jobInsert({ jobs: [newJob("a"), newJob("b"), newJob("c")], now: clock.now() });
    const { store, calls } = counted(plain);
    const slot = runner(store, () => true);

    for (let ran = 0; ran < 3; ran++) assert.equal(await slot.runOnce(), true);
    // The last finish found nothing: the next runOnce does not look again.
    assert.equal(await slot.runOnce(), false);

    assert.deepEqual(calls, { jobClaim: 1, jobFinishAndClaim: 3 });
    for (const id of ["a", "b", "c"]) {
      assert.equal((await plain.jobGet({ id }))?.state, "completed");
    }
    // Once past that, it claims as usual.
    await plain.jobInsert({ jobs: [newJob("d")], now: clock.now() });
    assert.equal(await slot.runOnce(), true);
    assert.equal((await plain.jobGet({ id: "d" }))?.state, "completed");
  });
});

Deno.test("JobRunner.runOnce() gives back unstarted a job its finish claimed as a drain arrived", async () => {
  await withStore(async (plain) => {
    await plain.jobInsert({ jobs: [newJob("a"), newJob("b")], now: clock.now() });
    const { store, calls } = counted(plain);
    let running = true;
    const slot = runner(store, () => running);

    assert.equal(await slot.runOnce(), true);
    assert.equal(slot.holdsClaim, true, "the finish of a claimed b");
    running = false; // The drain.
    assert.equal(await slot.runOnce(), true);

    assert.equal(slot.holdsClaim, false);
    const b = await plain.jobGet({ id: "b" });
    assert.equal(b?.state, "pending");
    assert.equal(b?.attempts, 0, "the attempt is refunded");
    assert.deepEqual((await plain.jobRuns({ id: "b" })).map((run) => run.outcome), ["released"]);
    assert.deepEqual(calls, { jobClaim: 1, jobFinishAndClaim: 1, jobFinish: 1 });
  });
});

Deno.test("JobRunner.runOnce() gives back unstarted a job its own claim took as a drain arrived", async () => {
  await withStore(async (plain) => {
    await plain.jobInsert({ jobs: [newJob("a")], now: clock.now() });
    let running = true;
    // The drain arrives while the claim is on its way (a claim may wait on a busy queue).
    const store: Store = {
      ...plain,
      jobClaim: async (params) => {
        const job = await plain.jobClaim(params);
        running = false;
        return job;
      },
    };
    const slot = runner(store, () => running);

    assert.equal(await slot.runOnce(), true);

    const a = await plain.jobGet({ id: "a" });
    assert.equal(a?.state, "pending");
    assert.equal(a?.attempts, 0, "the attempt is refunded");
    assert.deepEqual((await plain.jobRuns({ id: "a" })).map((run) => run.outcome), ["released"]);
  });
});

Deno.test("JobRunner.runOnce() does not claim with a finish once the slot drains", async () => {
  await withStore(async (plain) => {
    await plain.jobInsert({ jobs: [newJob("a"), newJob("b")], now: clock.now() });
    const { store, calls } = counted(plain);
    const slot = runner(store, () => false);

    assert.equal(await slot.runOnce(), true);
    assert.equal(slot.holdsClaim, false);
    assert.equal((await plain.jobGet({ id: "b" }))?.state, "pending");
    assert.deepEqual(calls, { jobClaim: 1, jobFinish: 1 });
  });
});

Deno.test("JobRunner.runOnce() does not start a job whose lease ran out between its claim and its command", async () => {
  await withStore(async (plain) => {
    const dir = await Deno.makeTempDir();
    const marker = join(dir, "ran");
    await plain.jobInsert({
      jobs: [{ ...newJob("a"), command: `touch '${marker}'` }],
      now: clock.now(),
    });
    const leaseMs = leaseDurationMs(defaultConfig());
    // The slot's worker freezes right after its claim commits: its lease runs out, and another
    // worker rescues the job and runs it again under the next lease token.
    const frozen: Store = {
      ...plain,
      jobClaim: async (params) => {
        const job = (await plain.jobClaim(params))!;
        clock.advance(leaseMs + 1_000);
        const now = clock.now();
        assert.equal(
          await plain.jobFinish({
            id: job.id,
            leaseToken: job.leaseToken,
            leaseExpiredBefore: now,
            now,
            state: "pending",
            runAt: now,
            exitCode: null,
            error: "Rescued from a lost worker",
            outcome: "rescued",
            stdout: new Uint8Array(),
            stderr: new Uint8Array(),
            stdoutBytes: 0,
            stderrBytes: 0,
          }),
          true,
        );
        const rerun = await plain.jobClaim({ workerId: "w2", leaseMs, now });
        assert.equal(rerun?.leaseToken, job.leaseToken + 1);
        return job;
      },
    };
    try {
      assert.equal(await runner(frozen, () => true).runOnce(), true);
      assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "not started");
      const a = await plain.jobGet({ id: "a" });
      assert.equal(a?.state, "processing");
      assert.equal(a?.leaseOwner, "w2", "the rerun holds it, untouched");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
