/**
 * Store contract: Worker processes and config overrides.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  claim,
  type ContractTest,
  finishOf,
  newJob,
  rescueOf,
  sortById,
  T0,
  workerProcess,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function workersContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // Worker processes

  test("workerRegister() adds a worker that workerList() returns; registering again replaces it", async ({ store }) => {
    assert.deepEqual(await store.workerList(), []);
    const w1 = workerProcess("w1");
    await store.workerRegister(w1);
    assert.deepEqual(await store.workerList(), [{ ...w1, jobIds: [] }]);
    const w2 = workerProcess("w2", { host: "host-b", pid: 2002, pidStartTime: null });
    await store.workerRegister(w2);
    assert.deepEqual(sortById(await store.workerList()), [
      { ...w1, jobIds: [] },
      { ...w2, jobIds: [] },
    ]);
    const w1Again = workerProcess("w1", {
      pid: 3003,
      pidStartTime: "999",
      concurrency: 8,
      startedAt: T0 + 50,
      heartbeatAt: T0 + 50,
    });
    await store.workerRegister(w1Again);
    assert.deepEqual(sortById(await store.workerList()), [
      { ...w1Again, jobIds: [] },
      { ...w2, jobIds: [] },
    ]);
  });

  test("workerList() gives each worker the ids of the processing jobs it holds", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    await store.workerRegister(workerProcess("w3"));
    await store.jobInsert({
      jobs: ["j1", "j2", "j3", "j4", "j5"].map((id) => newJob(id)),
      now: T0,
    });
    await claim(store, "w1", T0); // j1
    const j2 = await claim(store, "w2", T0);
    await claim(store, "w1", T0); // j3
    const j4 = await claim(store, "w2", T0);
    assert.equal(await store.jobFinish(finishOf(j2, T0 + 1, "completed")), true);
    assert.equal(await store.jobFinish(rescueOf(j4, T0 + 1, T0 + 1e6)), true);
    const jobIds = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, [...worker.jobIds].sort()]),
    );
    assert.deepEqual(jobIds, { w1: ["j1", "j3"], w2: [], w3: [] });
  });

  test("workerHeartbeat() records the beat and returns the stop request; undefined for an unknown id", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    assert.deepEqual(await store.workerHeartbeat({ id: "w1", now: T0 + 1000 }), {
      stopRequested: null,
    });
    const [listed] = await store.workerList();
    assert.equal(listed.heartbeatAt, T0 + 1000);
    assert.equal(listed.startedAt, T0);
    assert.equal(await store.workerHeartbeat({ id: "ghost", now: T0 + 1000 }), undefined);
    assert.deepEqual((await store.workerList()).map((worker) => worker.id), ["w1"]);
    await store.workerRequestStop({ ids: ["w1"], mode: "drain" });
    assert.deepEqual(await store.workerHeartbeat({ id: "w1", now: T0 + 2000 }), {
      stopRequested: "drain",
    });
    assert.equal((await store.workerList())[0].heartbeatAt, T0 + 2000);
  });

  test("workerRequestStop() asks the named workers and returns their ids", async ({ store }) => {
    for (const id of ["w1", "w2", "w3"]) await store.workerRegister(workerProcess(id));
    const asked = await store.workerRequestStop({ ids: ["w1", "w2", "ghost"], mode: "drain" });
    assert.deepEqual([...asked].sort(), ["w1", "w2"]);
    assert.deepEqual(
      (await store.workerHeartbeat({ id: "w1", now: T0 + 1 }))?.stopRequested,
      "drain",
    );
    assert.deepEqual(
      (await store.workerHeartbeat({ id: "w2", now: T0 + 1 }))?.stopRequested,
      "drain",
    );
    assert.deepEqual((await store.workerHeartbeat({ id: "w3", now: T0 + 1 }))?.stopRequested, null);
    const stops = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, worker.stopRequested]),
    );
    assert.deepEqual(stops, { w1: "drain", w2: "drain", w3: null });
    assert.deepEqual(await store.workerRequestStop({ ids: ["ghost"], mode: "now" }), []);
    assert.deepEqual(await store.workerRequestStop({ ids: [], mode: "now" }), []);
  });

  test("workerRequestStop() upgrades 'drain' to 'now' but never downgrades 'now' to 'drain'", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    assert.deepEqual(await store.workerRequestStop({ ids: ["w1"], mode: "drain" }), ["w1"]);
    assert.deepEqual(await store.workerRequestStop({ ids: ["w1"], mode: "now" }), ["w1"]);
    assert.equal((await store.workerHeartbeat({ id: "w1", now: T0 + 1 }))?.stopRequested, "now");
    const asked = await store.workerRequestStop({ ids: ["w1", "w2"], mode: "drain" });
    assert.deepEqual([...asked].sort(), ["w1", "w2"]);
    assert.equal((await store.workerHeartbeat({ id: "w1", now: T0 + 2 }))?.stopRequested, "now");
    assert.equal((await store.workerHeartbeat({ id: "w2", now: T0 + 2 }))?.stopRequested, "drain");
    const stops = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, worker.stopRequested]),
    );
    assert.deepEqual(stops, { w1: "now", w2: "drain" });
  });

  test("workerDeregister() removes the worker; its heartbeat then returns undefined", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    await store.workerDeregister({ id: "w1" });
    assert.deepEqual((await store.workerList()).map((worker) => worker.id), ["w2"]);
    assert.equal(await store.workerHeartbeat({ id: "w1", now: T0 + 1 }), undefined);
    assert.deepEqual(await store.workerHeartbeat({ id: "w2", now: T0 + 1 }), {
      stopRequested: null,
    });
    await store.workerDeregister({ id: "w1" }); // Already gone: no error.
    await store.workerDeregister({ id: "w2" });
    assert.deepEqual(await store.workerList(), []);
  });

  // ---------------------------------------------------------------------------------------------
  // Config overrides

  test("configSet() stores overrides that configOverrides() returns, replacing an old value", async ({ store, openAnother }) => {
    assert.deepEqual(await store.configOverrides(), {});
    await store.configSet({ key: "max_retries", value: "5" });
    await store.configSet({ key: "backoff_base", value: "2.5" });
    assert.deepEqual(await store.configOverrides(), { max_retries: "5", backoff_base: "2.5" });
    await store.configSet({ key: "max_retries", value: "7" });
    assert.deepEqual(await store.configOverrides(), { max_retries: "7", backoff_base: "2.5" });
    const other = await openAnother();
    assert.deepEqual(await other.configOverrides(), { max_retries: "7", backoff_base: "2.5" });
  });

  test("configUnset() removes an override and returns false when there is none", async ({ store }) => {
    await store.configSet({ key: "max_retries", value: "5" });
    await store.configSet({ key: "job_timeout", value: "60" });
    assert.equal(await store.configUnset({ key: "max_retries" }), true);
    assert.deepEqual(await store.configOverrides(), { job_timeout: "60" });
    assert.equal(await store.configUnset({ key: "max_retries" }), false);
    assert.equal(await store.configUnset({ key: "never_set" }), false);
    assert.deepEqual(await store.configOverrides(), { job_timeout: "60" });
    assert.equal(await store.configUnset({ key: "job_timeout" }), true);
    assert.deepEqual(await store.configOverrides(), {});
  });
}
