import assert from "node:assert/strict";
import { join } from "node:path";
import { ManualClock } from "../clock.ts";
import { type Config, configFromOverrides, leaseDurationMs } from "../config.ts";
import { openStore, type StopMode, type Store } from "../store/mod.ts";
import { Heartbeat, PURGE_EVERY_MS } from "./heartbeat.ts";
import { type HeldLease, leaseKey } from "./unclaimed_leases.ts";
import { postgresForTests } from "../../tests/helpers/postgres.ts";
import { newJob as contractJob } from "../../tests/store/contract/harness.ts";

const WORKER = "host-a-1-beef";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A heartbeat of worker process `WORKER` on a fresh SQLite store, and what it told whom. */
async function withHeartbeat(
  body: (fixture: {
    store: Store;
    clock: ManualClock;
    heartbeat: Heartbeat;
    /** What the slots run: the test adds and removes runs. */
    running: HeldLease[];
    /** Whether a slot has a claim pending (claimed, run-start not yet seen): the test sets it. */
    claims: { pending: boolean };
    told: { configs: Config[]; lost: HeldLease[]; canceled: HeldLease[]; stops: StopMode[] };
    registrations: () => number;
    /** Adds a job and claims it for `WORKER` (or `workerId`); returns its lease. */
    claimJob(id: string, workerId?: string): Promise<HeldLease>;
  }) => Promise<void>,
  storeWrapper: (store: Store, running: HeldLease[]) => Store = (store) => store,
): Promise<void> {
  const { store: real, cleanup } = await openTestStore();
  try {
    const clock = new ManualClock();
    const running: HeldLease[] = [];
    const claims = { pending: false };
    const store = storeWrapper(real, running);
    let registrations = 0;
    const register = async () => {
      registrations++;
      await real.workerRegister({
        id: WORKER,
        host: "host-a",
        pid: 1,
        pidStartTime: null,
        concurrency: 2,
        startedAt: clock.now(),
        heartbeatAt: clock.now(),
        stopRequested: null,
      });
    };
    await register();
    registrations = 0;
    const told = {
      configs: [] as Config[],
      lost: [] as HeldLease[],
      canceled: [] as HeldLease[],
      stops: [] as StopMode[],
    };
    const heartbeat = new Heartbeat({
      store,
      clock,
      workerId: WORKER,
      config: configFromOverrides(await real.configOverrides()),
      slots: {
        running: () => [...running],
        claimsPending: () => claims.pending,
        configChanged: (config) => told.configs.push(config),
        leaseLost: (lease) => told.lost.push(lease),
        cancel: (lease) => told.canceled.push(lease),
      },
      register,
      stop: (mode) => told.stops.push(mode),
      // Another host: the rescuer goes by leases only, never by this test's pids.
      rescuer: { host: "host-b", log: quiet },
      log: quiet,
      stopProcess: () => Promise.resolve(),
    });
    const claimJob = async (id: string, workerId = WORKER) => {
      await real.jobInsert({ jobs: [newJob(id, clock.now())], now: clock.now() });
      const job = await real.jobClaim({ workerId, leaseMs: 15_000, now: clock.now() });
      assert.equal(job?.id, id);
      return { id, leaseToken: job.leaseToken };
    };
    await body({
      store: real,
      clock,
      heartbeat,
      running,
      claims,
      told,
      registrations: () => registrations,
      claimJob,
    });
  } finally {
    await real.close();
    await cleanup();
  }
}

/**
 * A fresh store: SQLite in a temporary directory, or with `QUEUECTL_TEST_STORE=postgres` a
 * schema of its own on the test server.
 */
async function openTestStore(): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (Deno.env.get("QUEUECTL_TEST_STORE") === "postgres") {
    const postgres = await postgresForTests();
    if (postgres) {
      const schema = await postgres.createSchemaName();
      const store = await openStore({ kind: "postgres", url: postgres.urlFor(schema) });
      return { store, cleanup: () => postgres.dropSchema(schema) };
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "queuectl-heartbeat-" });
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  return { store, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** A job of `true`, due at `now`. */
function newJob(id: string, now: number) {
  return contractJob(id, { command: "true", runAt: now });
}

const finished = {
  exitCode: 0,
  error: null,
  stdout: new Uint8Array(),
  stderr: new Uint8Array(),
  stdoutBytes: 0,
  stderrBytes: 0,
} as const;

Deno.test("Heartbeat.runOnce() renews the leases of running jobs to now + one lease", async () => {
  await withHeartbeat(async ({ store, clock, heartbeat, running, claimJob }) => {
    running.push(await claimJob("a"));
    clock.advance(10_000);
    const beat = await heartbeat.runOnce();
    assert.deepEqual(beat.lost, []);
    const job = await store.jobGet({ id: "a" });
    assert.equal(job?.state, "processing");
    assert.equal(job?.leaseExpiresAt, clock.now() + leaseDurationMs(heartbeat.config));
    const [worker] = await store.workerList();
    assert.equal(worker.heartbeatAt, clock.now());
  });
});

Deno.test("Heartbeat.runOnce() reloads the config and hands it to the slots", async () => {
  await withHeartbeat(async ({ store, heartbeat, told }) => {
    await store.configSet({ key: "kill_grace", value: "7" });
    await heartbeat.runOnce();
    assert.equal(heartbeat.config.killGrace, 7);
    assert.equal(told.configs.at(-1)?.killGrace, 7);
  });
});

Deno.test("Heartbeat.runOnce() purges per retention once a minute, and at once when it changes", async () => {
  await withHeartbeat(async ({ store, clock, heartbeat, claimJob }) => {
    const complete = async (id: string) => {
      const lease = await claimJob(id);
      assert.ok(
        await store.jobFinish({
          ...lease,
          ...finished,
          now: clock.now(),
          state: "completed",
          outcome: "completed",
        }),
      );
    };
    await store.configSet({ key: "retention", value: "60" });
    await complete("old");
    clock.advance(1_000);
    await complete("young");
    clock.advance(60_000);
    // First beat: the setting changed (from none), so it purges: "old" is 61 s old, "young" 60 s.
    assert.equal((await heartbeat.runOnce()).purged, 1);
    assert.equal(await store.jobGet({ id: "old" }), undefined);
    clock.advance(30_000);
    // "young" is past the retention now, but the last purge was 30 s ago: not due.
    assert.equal((await heartbeat.runOnce()).purged, null);
    assert.ok(await store.jobGet({ id: "young" }));
    clock.advance(PURGE_EVERY_MS - 30_000);
    assert.equal((await heartbeat.runOnce()).purged, 1);
    assert.equal(await store.jobGet({ id: "young" }), undefined);
    // A changed setting applies at the next beat, due or not.
    await complete("recent");
    clock.advance(20_000);
    await store.configSet({ key: "retention", value: "10" });
    assert.equal((await heartbeat.runOnce()).purged, 1);
    // And retention 0 keeps everything.
    await store.configSet({ key: "retention", value: "0" });
    await complete("kept");
    clock.advance(10 * PURGE_EVERY_MS);
    assert.equal((await heartbeat.runOnce()).purged, null);
  });
});

Deno.test("Heartbeat.runOnce() tells a slot its lease was lost when its job was rescued elsewhere", async () => {
  await withHeartbeat(async ({ store, clock, heartbeat, running, told, claimJob }) => {
    const lease = await claimJob("a");
    running.push(lease);
    // The job is taken away (as a rescuer elsewhere does) and claimed by another process.
    assert.ok(
      await store.jobFinish({
        ...lease,
        ...finished,
        exitCode: null,
        now: clock.now(),
        state: "failed",
        outcome: "rescued",
        runAt: clock.now(),
      }),
    );
    await store.jobClaim({ workerId: "other", leaseMs: 15_000, now: clock.now() });
    const beat = await heartbeat.runOnce();
    assert.deepEqual(beat.lost, [lease]);
    assert.deepEqual(told.lost, [lease]);
  });
});

Deno.test("Heartbeat.runOnce() does not take a job claimed during the renewal for a lost lease", async () => {
  let claimedDuringRenewal: HeldLease | undefined;
  await withHeartbeat(
    async ({ store, heartbeat, told }) => {
      await heartbeat.runOnce();
      assert.ok(claimedDuringRenewal);
      assert.deepEqual(told.lost, []);
      await heartbeat.runOnce(); // And at the next beat, it is renewed like any other.
      assert.deepEqual(told.lost, []);
      const job = await store.jobGet({ id: "late" });
      assert.equal(job?.state, "processing");
      assert.equal(job?.leaseToken, claimedDuringRenewal.leaseToken);
    },
    (store, running) =>
      new Proxy(store, {
        get(target, name, receiver) {
          if (name !== "leaseExtend") return Reflect.get(target, name, receiver);
          // The renewal answers what it held before a slot claims "late" and says so.
          return async (params: Parameters<Store["leaseExtend"]>[0]) => {
            const held = await target.leaseExtend(params);
            if (!claimedDuringRenewal) {
              await target.jobInsert({ jobs: [newJob("late", params.now)], now: params.now });
              const job = await target.jobClaim({
                workerId: params.workerId,
                leaseMs: params.leaseMs,
                now: params.now,
              });
              assert.ok(job);
              claimedDuringRenewal = { id: job.id, leaseToken: job.leaseToken };
              running.push(claimedDuringRenewal);
            }
            return held;
          };
        },
      }),
  );
});

Deno.test("Heartbeat.runOnce() releases a lease no slot runs at the second beat that finds it", async () => {
  await withHeartbeat(async ({ store, heartbeat, claimJob }) => {
    await claimJob("orphan"); // Claimed, but no slot says it runs it (its answer was lost).
    await heartbeat.runOnce();
    assert.equal((await store.jobGet({ id: "orphan" }))?.state, "processing");
    await heartbeat.runOnce();
    const job = await store.jobGet({ id: "orphan" });
    assert.equal(job?.state, "pending");
    assert.equal(job?.attempts, 0);
  });
});

Deno.test("Heartbeat.runOnce() releases no lease at a beat where a slot's claim is pending (it may be that claim's)", async () => {
  await withHeartbeat(async ({ store, heartbeat, claimJob, claims }) => {
    await claimJob("slow"); // Claimed by a slot a loaded machine keeps from saying so.
    claims.pending = true;
    for (let beat = 0; beat < 3; beat++) await heartbeat.runOnce();
    assert.equal((await store.jobGet({ id: "slow" }))?.state, "processing");
    claims.pending = false; // Settled, and no slot runs it: its answer was lost.
    await heartbeat.runOnce();
    await heartbeat.runOnce();
    assert.equal((await store.jobGet({ id: "slow" }))?.state, "pending");
  });
});

Deno.test("Heartbeat.runOnce() registers again a worker process whose row vanished", async () => {
  await withHeartbeat(async ({ store, heartbeat, registrations }) => {
    assert.equal((await heartbeat.runOnce()).reregistered, false);
    assert.equal(registrations(), 0);
    await store.workerDeregister({ id: WORKER });
    assert.equal((await heartbeat.runOnce()).reregistered, true);
    assert.equal(registrations(), 1);
    assert.deepEqual((await store.workerList()).map((worker) => worker.id), [WORKER]);
  });
});

Deno.test("Heartbeat.runOnce() passes on a stop request and relays cancels of running jobs", async () => {
  await withHeartbeat(async ({ store, clock, heartbeat, running, told, claimJob }) => {
    const lease = await claimJob("a");
    running.push(lease);
    await store.jobCancel({ ids: ["a"], now: clock.now() });
    await store.workerRequestStop({ ids: [WORKER], mode: "drain" });
    const beat = await heartbeat.runOnce();
    assert.equal(beat.stopRequested, "drain");
    assert.deepEqual(told.stops, ["drain"]);
    assert.deepEqual(told.canceled.map(leaseKey), [leaseKey(lease)]);
  });
});

Deno.test("Heartbeat.runOnce() rescues the jobs of a worker that stopped renewing its lease", async () => {
  await withHeartbeat(async ({ store, clock, heartbeat, claimJob }) => {
    await claimJob("stranded", "silent-worker");
    clock.advance(15_001);
    assert.deepEqual((await heartbeat.runOnce()).rescued, ["stranded"]);
    assert.equal((await store.jobGet({ id: "stranded" }))?.state, "failed");
  });
});
