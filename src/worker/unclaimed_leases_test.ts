import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../store/mod.ts";
import { newJob as contractJob } from "../../tests/store/contract/harness.ts";
import { UnclaimedLeases } from "./unclaimed_leases.ts";

const NOW = 1_767_225_600_000;
const newJob = (id: string) => contractJob(id, { command: "true", runAt: NOW });

Deno.test("UnclaimedLeases releases a lease no slot ran at two heartbeats in a row, refunding the attempt", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  try {
    await store.jobInsert({ jobs: [newJob("lost"), newJob("running")], now: NOW });
    // Two claims whose answers reached nobody, as if the connection dropped after the commit.
    const lost = await store.jobClaim({ workerId: "w", leaseMs: 60_000, now: NOW });
    const running = await store.jobClaim({ workerId: "w", leaseMs: 60_000, now: NOW });
    assert.ok(lost && running);
    const warnings: string[] = [];
    const stopped: string[] = [];
    const unclaimed = new UnclaimedLeases(store, {
      log: { warn: (message) => warnings.push(message) },
      stopProcess: (job) => Promise.resolve(void stopped.push(job.id)),
    });
    const lease = { id: lost.id, leaseToken: lost.leaseToken };

    await unclaimed.release([lease], NOW + 1);
    assert.equal((await store.jobGet({ id: "lost" }))?.state, "processing", "not at first sight");
    await unclaimed.release([lease], NOW + 2);

    const released = await store.jobGet({ id: "lost" });
    assert.equal(released?.state, "pending");
    assert.equal(released?.attempts, 0);
    assert.equal(released?.leaseOwner, null);
    assert.deepEqual((await store.jobRuns({ id: "lost" })).map((run) => run.outcome), [
      "released",
    ]);
    assert.equal((await store.jobGet({ id: "running" }))?.state, "processing");
    assert.deepEqual(stopped, ["lost"], "its command is stopped first, if it still runs");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /Released job "lost"/);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UnclaimedLeases leaves a lease that a slot took up by the next heartbeat", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  try {
    await store.jobInsert({ jobs: [newJob("fresh")], now: NOW });
    const fresh = await store.jobClaim({ workerId: "w", leaseMs: 60_000, now: NOW });
    assert.ok(fresh);
    const unclaimed = new UnclaimedLeases(store, {
      log: { warn: () => {} },
      stopProcess: () => Promise.resolve(),
    });
    await unclaimed.release([{ id: fresh.id, leaseToken: fresh.leaseToken }], NOW + 1);
    await unclaimed.release([], NOW + 2); // Its slot reported it running by now.
    await unclaimed.release([{ id: fresh.id, leaseToken: fresh.leaseToken }], NOW + 3);
    assert.equal((await store.jobGet({ id: "fresh" }))?.state, "processing");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UnclaimedLeases counts no heartbeat at which a slot had a claim pending (its lease may be that claim's, on its way)", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  try {
    await store.jobInsert({ jobs: [newJob("slow")], now: NOW });
    // Claimed by a slot that a loaded machine keeps from reporting it for several heartbeats:
    // releasing it then let the slot start it after the job was claimed again (two runs at once).
    const slow = await store.jobClaim({ workerId: "w", leaseMs: 60_000, now: NOW });
    assert.ok(slow);
    const stopped: string[] = [];
    const unclaimed = new UnclaimedLeases(store, {
      log: { warn: () => {} },
      stopProcess: (job) => Promise.resolve(void stopped.push(job.id)),
    });
    const lease = [{ id: slow.id, leaseToken: slow.leaseToken }];
    for (let beat = 1; beat <= 3; beat++) {
      await unclaimed.release(lease, NOW + beat, { claimsPending: true });
    }
    assert.equal((await store.jobGet({ id: "slow" }))?.state, "processing");
    assert.deepEqual(stopped, []);
    // Claims settled and still nobody runs it: the answer was lost; two such beats give it back.
    await unclaimed.release(lease, NOW + 4);
    assert.equal((await store.jobGet({ id: "slow" }))?.state, "processing", "not at first sight");
    await unclaimed.release(lease, NOW + 5, { claimsPending: true });
    await unclaimed.release(lease, NOW + 6);
    assert.equal((await store.jobGet({ id: "slow" }))?.state, "pending");
    assert.deepEqual(stopped, ["slow"]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
