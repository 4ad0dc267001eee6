/**
 * Store contract: dependencies between jobs (`after`): the `blocked` state at insert, refused
 * parents, release when the last parent completes, cascading cancel when a parent ends dead or
 * canceled, and `jobDependencies`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../../src/errors.ts";
import type { NewJob, Store } from "../../../src/store/mod.ts";
import {
  added,
  claim,
  claimAll,
  claimId,
  type ContractTest,
  finishOf,
  ids,
  LEASE_MS,
  newJob,
  rescueOf,
  snapshot,
  sortById,
  stateCounts,
  statesOf,
  T0,
  waitFor,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function dependenciesContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobInsert with `after`

  test("jobInsert() adds a job pending when every parent completed, blocked while any has not", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("done"),
        newJob("running"),
        newJob("retrying", { maxRetries: 3 }),
        newJob("waiting", { runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    const done = await claimId(store, "done", T0);
    assert.equal(await store.jobFinish(finishOf(done, T0 + 1, "completed")), true);
    await claimId(store, "running", T0 + 1);
    const retrying = await claimId(store, "retrying", T0 + 1);
    assert.equal(
      await store.jobFinish(finishOf(retrying, T0 + 2, "failed", { runAt: T0 + 1e6 })),
      true,
    );

    const children: NewJob[] = [
      newJob("after-done", { after: ["done"] }),
      newJob("after-done-and-waiting", { after: ["done", "waiting"] }),
      newJob("after-running", { after: ["running"] }),
      newJob("after-retrying", { after: ["retrying"] }),
      newJob("after-waiting", { after: ["waiting"], queue: "deploy" }),
    ];
    const results = await store.jobInsert({ jobs: children, now: T0 + 10 });
    assert.deepEqual(results, [
      added(children[0], T0 + 10, "pending"),
      added(children[1], T0 + 10, "blocked"),
      added(children[2], T0 + 10, "blocked"),
      added(children[3], T0 + 10, "blocked"),
      added(children[4], T0 + 10, "blocked"),
    ]);
    for (const { job } of results) {
      assert.deepEqual(await store.jobGet({ id: job.id }), job, job.id);
    }
    // A job waiting on a blocked job is blocked too.
    const grandchild = newJob("after-blocked", { after: ["after-waiting"] });
    assert.deepEqual(await store.jobInsert({ jobs: [grandchild], now: T0 + 11 }), [
      added(grandchild, T0 + 11, "blocked"),
    ]);

    assert.deepEqual(
      await store.jobCountByState(),
      stateCounts({ blocked: 5, pending: 2, processing: 1, completed: 1, failed: 1 }),
    );
    assert.deepEqual(ids(await store.jobList({ states: ["blocked"] })), [
      "after-done-and-waiting",
      "after-running",
      "after-retrying",
      "after-waiting",
      "after-blocked",
    ]);
    assert.deepEqual(
      (await store.queueList()).map((queue) => [queue.name, queue.counts]),
      [
        [
          "default",
          stateCounts({ blocked: 4, pending: 2, processing: 1, completed: 1, failed: 1 }),
        ],
        ["deploy", stateCounts({ blocked: 1 })],
      ],
    );
  });

  test("jobInsert() adds a job blocked when its parent comes earlier or later in the same batch", async ({ store }) => {
    const batch: NewJob[] = [
      newJob("load", { after: ["transform"] }), // Its parent comes later in the batch.
      newJob("extract"),
      newJob("transform", { after: ["extract"] }), // Its parent came earlier.
      newJob("report", { after: ["load", "extract"] }),
    ];
    assert.deepEqual(await store.jobInsert({ jobs: batch, now: T0 }), [
      added(batch[0], T0, "blocked"),
      added(batch[1], T0, "pending"),
      added(batch[2], T0, "blocked"),
      added(batch[3], T0, "blocked"),
    ]);
    assert.deepEqual(await store.jobDependencies({ id: "load" }), {
      parents: [{ id: "transform", state: "blocked" }],
      children: [{ id: "report", state: "blocked" }],
    });
    assert.deepEqual(
      sortById((await store.jobDependencies({ id: "report" })).parents),
      [{ id: "extract", state: "pending" }, { id: "load", state: "blocked" }],
    );
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9), ["extract"]);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ blocked: 3, processing: 1 }));
  });

  test("jobInsert() with an unknown parent throws NotFoundError naming it and adds nothing", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("kept"), newJob("kept-child", { after: ["kept"] })],
      now: T0,
    });
    const before = {
      jobs: await store.jobList({}),
      counts: await store.jobCountByState(),
      queues: await store.queueList(),
    };
    await assert.rejects(
      store.jobInsert({
        jobs: [
          newJob("fresh", { queue: "new-queue" }),
          newJob("orphan", { after: ["kept", "ghost"] }),
          newJob("fresh-child", { after: ["fresh"] }),
        ],
        now: T0 + 1,
      }),
      (error: unknown) => {
        assert.ok(error instanceof NotFoundError, `expected NotFoundError, got ${error}`);
        assert.match(error.message, /ghost/);
        return true;
      },
    );
    assert.deepEqual(
      {
        jobs: await store.jobList({}),
        counts: await store.jobCountByState(),
        queues: await store.queueList(),
      },
      before,
    );
    for (const id of ["fresh", "orphan", "fresh-child"]) {
      assert.equal(await store.jobGet({ id }), undefined, id);
    }
    assert.deepEqual(await store.jobDependencies({ id: "kept" }), {
      parents: [],
      children: [{ id: "kept-child", state: "blocked" }],
    });
    assert.deepEqual(await store.jobDependencies({ id: "orphan" }), { parents: [], children: [] });

    // Nothing of the refused batch lingers: the same ids go in once the parent is dropped.
    const retried = [newJob("fresh"), newJob("orphan", { after: ["kept"] })];
    assert.deepEqual(await store.jobInsert({ jobs: retried, now: T0 + 2 }), [
      added(retried[0], T0 + 2, "pending"),
      added(retried[1], T0 + 2, "blocked"),
    ]);
  });

  test("jobInsert() with a dead or canceled parent throws ConflictError naming it and adds nothing", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("died", { maxRetries: 0 }),
        newJob("dropped", { runAt: T0 + 1e6 }),
        newJob("orphaned", { after: ["dropped"] }), // Canceled with its parent.
        newJob("healthy", { runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    const died = await claimId(store, "died", T0);
    assert.equal(await store.jobFinish(finishOf(died, T0 + 1, "dead")), true);
    assert.deepEqual(await store.jobCancel({ ids: ["dropped"], now: T0 + 2 }), {
      canceled: ["dropped"],
      stopping: [],
    });
    assert.deepEqual(await statesOf(store, ["died", "dropped", "orphaned", "healthy"]), {
      died: "dead",
      dropped: "canceled",
      orphaned: "canceled",
      healthy: "pending",
    });
    const before = { jobs: await store.jobList({}), counts: await store.jobCountByState() };

    for (const parent of ["died", "dropped", "orphaned"]) {
      await assert.rejects(
        store.jobInsert({
          jobs: [
            newJob("fine"),
            newJob("fine-child", { after: ["healthy"] }),
            newJob("doomed", { after: ["healthy", parent] }),
          ],
          now: T0 + 10,
        }),
        (error: unknown) => {
          assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
          assert.match(error.message, new RegExp(`"${parent}"`));
          return true;
        },
        parent,
      );
      assert.deepEqual(
        { jobs: await store.jobList({}), counts: await store.jobCountByState() },
        before,
        `nothing was added with the ${parent} parent`,
      );
      assert.equal(await store.jobGet({ id: "fine" }), undefined, parent);
      assert.deepEqual(await store.jobDependencies({ id: "healthy" }), {
        parents: [],
        children: [],
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // jobFinish: release

  test("jobFinish() of a completed parent releases a child only once its last parent completed", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("p1", { priority: 2 }),
        newJob("p2", { priority: 1 }),
        newJob("child", { after: ["p1", "p2"] }),
        newJob("grandchild", { after: ["child"] }),
      ],
      now: T0,
    });
    const p1 = await claimId(store, "p1", T0);
    const p2 = await claimId(store, "p2", T0);
    assert.equal(await store.jobFinish(finishOf(p1, T0 + 10, "completed")), true);
    assert.deepEqual(await statesOf(store, ["p1", "p2", "child", "grandchild"]), {
      p1: "completed",
      p2: "processing",
      child: "blocked",
      grandchild: "blocked",
    });
    assert.equal(
      await store.jobClaim({ workerId: "w9", leaseMs: LEASE_MS, now: T0 + 1e9 }),
      undefined,
      "a child with a parent still running is not due",
    );

    assert.equal(await store.jobFinish(finishOf(p2, T0 + 20, "completed")), true);
    const child = await store.jobGet({ id: "child" });
    assert.ok(child);
    assert.equal(child.state, "pending");
    assert.equal(child.attempts, 0);
    assert.equal(child.leaseToken, 0);
    assert.equal(child.startedAt, null);
    assert.equal(child.finishedAt, null);
    assert.equal(child.lastError, null);
    assert.equal((await store.jobGet({ id: "grandchild" }))?.state, "blocked");
    assert.deepEqual(
      await store.jobCountByState(),
      stateCounts({ completed: 2, pending: 1, blocked: 1 }),
    );

    const running = await claimId(store, "child", T0 + 20);
    assert.equal(running.attempts, 1);
    assert.equal((await store.jobGet({ id: "grandchild" }))?.state, "blocked");
    assert.equal(await store.jobFinish(finishOf(running, T0 + 30, "completed")), true);
    assert.equal((await store.jobGet({ id: "grandchild" }))?.state, "pending");
    assert.equal((await claimId(store, "grandchild", T0 + 30)).attempts, 1);
  });

  test("jobFinish() of a parent that will run again (failed, released, rescued with retries left) leaves its children blocked", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("parent", { maxRetries: 3 }), newJob("child", { after: ["parent"] })],
      now: T0,
    });
    const first = await claimId(store, "parent", T0);
    assert.equal(await store.jobFinish(finishOf(first, T0 + 1, "failed", { runAt: T0 + 5 })), true);
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "failed",
      child: "blocked",
    });

    const second = await claimId(store, "parent", T0 + 5);
    assert.equal(
      await store.jobFinish(
        finishOf(second, T0 + 6, "pending", {
          runAt: T0 + 7,
          exitCode: null,
          outcome: "released",
          refundAttempt: true,
        }),
      ),
      true,
    );
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "pending",
      child: "blocked",
    });

    const third = await claimId(store, "parent", T0 + 7);
    assert.equal(await store.jobFinish(rescueOf(third, T0 + 8, T0 + 9)), true);
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "failed",
      child: "blocked",
    });
    assert.deepEqual(await claimAll(store, "w9", T0 + 8), [], "the child is not due");

    const fourth = await claimId(store, "parent", T0 + 9);
    assert.equal(await store.jobFinish(finishOf(fourth, T0 + 10, "completed")), true);
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "completed",
      child: "pending",
    });
  });

  test("jobClaim() never takes a blocked job, whatever its priority, queue or run time", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("gate", { runAt: T0 + 1e6 }),
        newJob("urgent", { after: ["gate"], priority: 1000, queue: "deploy", runAt: T0 - 1000 }),
        newJob("urgent-default", { after: ["gate"], priority: 1000, runAt: T0 - 1000 }),
      ],
      now: T0,
    });
    const before = await Promise.all(["urgent", "urgent-default"].map((id) => snapshot(store, id)));
    assert.deepEqual(await claimAll(store, "w1", T0), []);
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9, ["deploy"]), []);
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9), ["gate"]);
    assert.deepEqual(
      await Promise.all(["urgent", "urgent-default"].map((id) => snapshot(store, id))),
      before,
      "the blocked jobs are untouched: no attempt, no lease",
    );
  });

  // ---------------------------------------------------------------------------------------------
  // Cascading cancel

  test("jobFinish() of a dead parent cancels its waiting descendants over three generations, naming it", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("extract", { maxRetries: 0 }),
        newJob("transform", { after: ["extract"] }),
        newJob("load", { after: ["transform"] }),
        newJob("other", { runAt: T0 + 1e6 }),
        newJob("audit", { after: ["extract", "other"] }), // Waits on another parent too.
        newJob("sidecar", { after: ["other"] }), // Waits on another parent only.
        newJob("solo", { runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    const untouched = ["other", "sidecar", "solo"];
    const before = await Promise.all(untouched.map((id) => snapshot(store, id)));
    const extract = await claimId(store, "extract", T0);
    assert.equal(await store.jobFinish(finishOf(extract, T0 + 10, "dead")), true);

    const dead = await store.jobGet({ id: "extract" });
    assert.equal(dead?.state, "dead");
    assert.equal(dead?.lastError, "Exited with code 1", "the dead job keeps its own error");
    await assertCanceledBecauseOf(store, ["transform", "load", "audit"], "extract", T0 + 10);
    assert.deepEqual(await Promise.all(untouched.map((id) => snapshot(store, id))), before);
    assert.deepEqual(
      await store.jobCountByState(),
      stateCounts({ dead: 1, canceled: 3, pending: 2, blocked: 1 }),
    );

    // The canceled jobs never run; the other parent completing does not revive "audit".
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e6), ["other", "solo"]);
    const other = await store.jobGet({ id: "other" });
    assert.ok(other);
    assert.equal(await store.jobFinish(finishOf(other, T0 + 1e6 + 1, "completed")), true);
    assert.deepEqual(await statesOf(store, ["audit", "sidecar", "transform", "load"]), {
      audit: "canceled",
      sidecar: "pending",
      transform: "canceled",
      load: "canceled",
    });
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9), ["sidecar"]);
  });

  test("jobCancel() of a pending, failed or blocked job cancels its waiting descendants, naming it", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("extract", { runAt: T0 + 1e6 }), // pending
        newJob("transform", { after: ["extract"] }),
        newJob("load", { after: ["transform"] }),
        newJob("fetch", { maxRetries: 3 }), // failed, below
        newJob("parse", { after: ["fetch"] }),
        newJob("index", { after: ["parse"] }),
        newJob("seed", { runAt: T0 + 1e6 }),
        newJob("sprout", { after: ["seed"] }), // blocked, canceled below
        newJob("bloom", { after: ["sprout"] }),
        newJob("fruit", { after: ["bloom"] }),
        newJob("bystander", { runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    const fetch = await claimId(store, "fetch", T0);
    assert.equal(
      await store.jobFinish(finishOf(fetch, T0 + 1, "failed", { runAt: T0 + 1e6 })),
      true,
    );
    const untouched = ["seed", "bystander"];
    const before = await Promise.all(untouched.map((id) => snapshot(store, id)));

    const result = await store.jobCancel({ ids: ["extract", "fetch", "sprout"], now: T0 + 50 });
    assert.deepEqual([...result.canceled].sort(), ["extract", "fetch", "sprout"]);
    assert.deepEqual(result.stopping, []);
    for (const id of ["extract", "fetch", "sprout"]) {
      const job = await store.jobGet({ id });
      assert.equal(job?.state, "canceled", id);
      assert.equal(job?.finishedAt, T0 + 50, id);
    }
    await assertCanceledBecauseOf(store, ["transform", "load"], "extract", T0 + 50);
    await assertCanceledBecauseOf(store, ["parse", "index"], "fetch", T0 + 50);
    await assertCanceledBecauseOf(store, ["bloom", "fruit"], "sprout", T0 + 50);
    assert.deepEqual(await Promise.all(untouched.map((id) => snapshot(store, id))), before);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ canceled: 9, pending: 2 }));
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9), ["seed", "bystander"]);
  });

  test("jobFinish() of a run with a cancel request cancels its waiting descendants once it ends, naming it", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("extract", { maxRetries: 3 }),
        newJob("transform", { after: ["extract"] }),
        newJob("load", { after: ["transform"] }),
        newJob("publish"),
        newJob("notify", { after: ["publish"] }),
      ],
      now: T0,
    });
    const extract = await claimId(store, "extract", T0);
    const publish = await claimId(store, "publish", T0);
    const result = await store.jobCancel({ ids: ["extract", "publish"], now: T0 + 5 });
    assert.deepEqual(result.canceled, []);
    assert.deepEqual([...result.stopping].sort(), ["extract", "publish"]);
    // The runs may still complete: their children wait.
    assert.deepEqual(await statesOf(store, ["transform", "load", "notify"]), {
      transform: "blocked",
      load: "blocked",
      notify: "blocked",
    });

    assert.equal(
      await store.jobFinish(
        finishOf(extract, T0 + 10, "failed", { runAt: T0 + 100, exitCode: 143 }),
      ),
      true,
    );
    assert.equal((await store.jobGet({ id: "extract" }))?.state, "canceled");
    await assertCanceledBecauseOf(store, ["transform", "load"], "extract", T0 + 10);
    assert.equal((await store.jobGet({ id: "notify" }))?.state, "blocked");

    // A run asked to cancel that completed anyway releases its children.
    assert.equal(await store.jobFinish(finishOf(publish, T0 + 11, "completed")), true);
    assert.deepEqual(await statesOf(store, ["publish", "notify"]), {
      publish: "completed",
      notify: "pending",
    });
    assert.deepEqual(await claimAll(store, "w1", T0 + 1e9), ["notify"]);
  });

  test("jobFinish() of a rescue that ends dead cancels its waiting descendants, naming it", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("extract", { maxRetries: 0 }),
        newJob("transform", { after: ["extract"] }),
        newJob("load", { after: ["transform"] }),
        newJob("fetch", { maxRetries: 1 }),
        newJob("parse", { after: ["fetch"] }),
      ],
      now: T0,
    });
    const extract = await claimId(store, "extract", T0);
    const fetch = await claimId(store, "fetch", T0);
    const expired = T0 + LEASE_MS + 1;
    assert.deepEqual(ids(await store.jobListRescuable({ now: expired, owners: [] })).sort(), [
      "extract",
      "fetch",
    ]);

    // No retries left: the rescue ends it dead.
    assert.equal(
      await store.jobFinish({
        ...rescueOf(extract, expired, expired),
        state: "dead",
        leaseExpiredBefore: expired,
      }),
      true,
    );
    assert.equal((await store.jobGet({ id: "extract" }))?.state, "dead");
    await assertCanceledBecauseOf(store, ["transform", "load"], "extract", expired);

    // Retries left: the rescue ends it failed, and its child keeps waiting.
    assert.equal(
      await store.jobFinish({ ...rescueOf(fetch, expired, expired), leaseExpiredBefore: expired }),
      true,
    );
    assert.deepEqual(await statesOf(store, ["fetch", "parse"]), {
      fetch: "failed",
      parse: "blocked",
    });
  });

  // ---------------------------------------------------------------------------------------------
  // jobDependencies

  test("jobDependencies() lists a job's parents and children with their current states", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("a"),
        newJob("b", { runAt: T0 + 1e6 }),
        newJob("c", { after: ["a", "b"] }),
        newJob("d", { after: ["c"] }),
        newJob("e", { after: ["a"] }),
        newJob("f"),
      ],
      now: T0,
    });
    const deps = async (id: string) => {
      const { parents, children } = await store.jobDependencies({ id });
      return { parents: sortById(parents), children: sortById(children) };
    };
    assert.deepEqual(await deps("a"), {
      parents: [],
      children: [{ id: "c", state: "blocked" }, { id: "e", state: "blocked" }],
    });
    assert.deepEqual(await deps("c"), {
      parents: [{ id: "a", state: "pending" }, { id: "b", state: "pending" }],
      children: [{ id: "d", state: "blocked" }],
    });
    assert.deepEqual(await deps("d"), { parents: [{ id: "c", state: "blocked" }], children: [] });
    assert.deepEqual(await deps("e"), { parents: [{ id: "a", state: "pending" }], children: [] });
    assert.deepEqual(await deps("f"), { parents: [], children: [] });
    assert.deepEqual(await deps("ghost"), { parents: [], children: [] });

    const a = await claimId(store, "a", T0);
    assert.equal(await store.jobFinish(finishOf(a, T0 + 1, "completed")), true);
    assert.deepEqual(await deps("a"), {
      parents: [],
      children: [{ id: "c", state: "blocked" }, { id: "e", state: "pending" }],
    });
    assert.deepEqual(await deps("c"), {
      parents: [{ id: "a", state: "completed" }, { id: "b", state: "pending" }],
      children: [{ id: "d", state: "blocked" }],
    });
    assert.deepEqual(await store.jobCancel({ ids: ["b"], now: T0 + 2 }), {
      canceled: ["b"],
      stopping: [],
    });
    assert.deepEqual(await deps("c"), {
      parents: [{ id: "a", state: "completed" }, { id: "b", state: "canceled" }],
      children: [{ id: "d", state: "canceled" }],
    });
  });

  // ---------------------------------------------------------------------------------------------
  // workSubscribe

  test("workSubscribe() calls onWork after another connection's jobFinish releases a blocked child", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.jobInsert({
      jobs: [newJob("parent"), newJob("child", { after: ["parent"] })],
      now: T0,
    });
    const parent = await claim(other, "w1", T0);
    assert.equal(parent.id, "parent");
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.equal(await other.jobFinish(finishOf(parent, T0 + 1, "completed")), true);
      await waitFor("onWork after a finish released a blocked child", () => calls > 0);
    } finally {
      unsubscribe();
    }
    assert.equal((await claim(store, "w2", T0 + 1)).id, "child");
  });
}

/**
 * Each of `jobIds` was canceled at `now` because `parent` (a job it waited on, directly or not)
 * ended dead or canceled: its last error names `parent`, and it never ran.
 */
async function assertCanceledBecauseOf(
  store: Store,
  jobIds: string[],
  parent: string,
  now: number,
): Promise<void> {
  for (const id of jobIds) {
    const job = await store.jobGet({ id });
    assert.ok(job, id);
    assert.equal(job.state, "canceled", id);
    assert.equal(job.finishedAt, now, id);
    assert.ok(
      job.lastError?.includes(parent),
      `${id}'s last error should name "${parent}": ${JSON.stringify(job.lastError)}`,
    );
    assert.equal(job.attempts, 0, id);
    assert.equal(job.leaseOwner, null, id);
    assert.deepEqual(await store.jobRuns({ id }), [], `${id} never ran`);
  }
}
