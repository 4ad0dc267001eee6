/**
 * PostgreSQL only: a claim that finds a limited queue held by another transaction (its row
 * locked, as every claimer of a limited queue locks it) looks again once that transaction can
 * have ended, instead of reporting no job (migration 10's `busy`, see postgres/claims.ts). The
 * holder here is a transaction of the test's own, so the timing is the test's.
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openStore } from "../../src/store/mod.ts";
import { postgresForTests } from "../helpers/postgres.ts";
import { LEASE_MS, newJob, T0 } from "./contract/harness.ts";

const server = await postgresForTests();
const test = server ? Deno.test : Deno.test.ignore;

/**
 * A schema with the store's tables, a store on it, and a plain connection whose transactions
 * play another claimer's.
 */
async function setUp() {
  const schema = await server!.createSchemaName();
  const store = await openStore({ kind: "postgres", url: server!.urlFor(schema) });
  const other = postgres(server!.url, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: schema },
  });
  return {
    schema,
    store,
    /**
     * Locks queue `name` in a transaction of `other` until `release` resolves; `ended` settles
     * when that transaction has (wrapped: an async function would wait for a promise it returns).
     */
    async hold(name: string, release: Promise<void>): Promise<{ ended: Promise<unknown> }> {
      let locked!: () => void;
      const held = new Promise<void>((resolve) => locked = resolve);
      const done = other.begin(async (tx) => {
        await tx`SELECT 1 FROM queues WHERE name = ${name} FOR NO KEY UPDATE`;
        locked();
        await release;
      });
      await held;
      return { ended: done };
    },
    async [Symbol.asyncDispose]() {
      await store.close();
      await other.end({ timeout: 1 });
      await server!.dropSchema(schema);
    },
  };
}

test("a claim that finds a limited queue held by another transaction takes its job once that transaction ends", async () => {
  await using fixture = await setUp();
  const { store } = fixture;
  await store.queueSetConcurrency({ name: "deploy", concurrency: 2 });
  await store.jobInsert({ jobs: [newJob("d1", { queue: "deploy" })], now: T0 });
  let release!: () => void;
  const holder = await fixture.hold("deploy", new Promise((resolve) => release = resolve));
  // Released once the claim has made its first try; it then finds the queue free.
  setTimeout(release, 30);
  const job = await store.jobClaim({ workerId: "w", leaseMs: LEASE_MS, now: T0 });
  await holder.ended;
  assert.equal(job?.id, "d1");
});

test("claim_next_job() is busy only for a held limited queue that has a due job", async () => {
  await using fixture = await setUp();
  const { store, schema } = fixture;
  await store.queueSetConcurrency({ name: "deploy", concurrency: 2 });
  await store.queueSetConcurrency({ name: "empty", concurrency: 2 });
  await store.jobInsert({ jobs: [newJob("d1", { queue: "deploy" })], now: T0 });
  const busy = async () => {
    const probe = postgres(server!.url, {
      max: 1,
      onnotice: () => {},
      connection: { search_path: schema },
    });
    try {
      const [row] = await probe`SELECT busy, (next).id FROM claim_next_job('w', ${LEASE_MS},
        ${T0}, NULL)`;
      return row;
    } finally {
      await probe.end({ timeout: 1 });
    }
  };

  let release!: () => void;
  let holder = await fixture.hold("empty", new Promise((resolve) => release = resolve));
  assert.deepEqual({ ...await busy() }, { busy: false, id: "d1" }, "a free queue's job is taken");
  release();
  await holder.ended;
  // d1 now runs; a second job waits in deploy, which the other transaction holds.
  await store.jobInsert({ jobs: [newJob("d2", { queue: "deploy" })], now: T0 });
  holder = await fixture.hold("deploy", new Promise((resolve) => release = resolve));
  assert.deepEqual({ ...await busy() }, { busy: true, id: null });
  release();
  await holder.ended;
  // Held with no due job: not busy.
  await store.queueSetConcurrency({ name: "deploy", concurrency: 3 });
  const d2 = await store.jobClaim({ workerId: "w", leaseMs: LEASE_MS, now: T0 });
  assert.equal(d2?.id, "d2");
  holder = await fixture.hold("deploy", new Promise((resolve) => release = resolve));
  assert.deepEqual({ ...await busy() }, { busy: false, id: null });
  release();
  await holder.ended;
});
