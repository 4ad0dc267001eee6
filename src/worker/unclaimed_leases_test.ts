import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../store/mod.ts";
import { UnclaimedLeases } from "./unclaimed_leases.ts";

const NOW = 1_767_225_600_000;
const newJob = (id: string) => ({
  id,
  command: "true",
  maxRetries: 3,
  timeoutSeconds: null,
  runAt: NOW,
  priority: 0,
  queue: "default",
  backoffBase: null,
  cwd: null,
  env: null,
  after: [],
  uniqueKey: null,
  shell: null,
});

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
