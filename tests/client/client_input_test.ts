/**
 * The library client refuses the hostile input the CLI refuses, with a `UsageError`, and stores
 * nothing: a command too long to be started, a lone surrogate, a delay of 10^300 seconds, a run
 * time past 9999, and inherited keys, including a `__proto__` own property that would otherwise
 * hand the job an inherited `command`. On SQLite and, when a server answers, PostgreSQL.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type JobInput, Queue, UsageError } from "../../mod.ts";
import { makeSandbox, snapshotDatabase, type StoreKind } from "../helpers/cli.ts";
import { postgresForTests } from "../helpers/postgres.ts";

/** The longest command accepted, in UTF-8 bytes (`MAX_COMMAND_BYTES` of `src/job_spec.ts`). */
const MAX_COMMAND_BYTES = 127 * 1024;

const STORES: { kind: StoreKind; available: boolean }[] = [
  { kind: "sqlite", available: true },
  { kind: "postgres", available: (await postgresForTests()) !== undefined },
];

/** One bad job for `Queue.enqueue` and what the error must say. */
const CASES: { intent: string; job: () => string | JobInput; message: RegExp }[] = [
  {
    intent: "a command line one byte over the limit",
    job: () => "x".repeat(MAX_COMMAND_BYTES + 1),
    message: new RegExp(`command.* ${MAX_COMMAND_BYTES + 1} bytes.*at most ${MAX_COMMAND_BYTES}`),
  },
  {
    intent: "a command of three-byte characters over the limit in bytes only",
    job: () => ({ command: "€".repeat(Math.floor(MAX_COMMAND_BYTES / 3) + 1) }),
    message: /command.*bytes/,
  },
  {
    intent: "a command line with a lone surrogate",
    job: () => "echo \ud800",
    message: /command.*surrogate/,
  },
  {
    intent: "both retry_on and no_retry_on",
    job: () => ({ command: "true", retry_on: [75], no_retry_on: [2] }),
    message: /"retry_on" or "no_retry_on", not both/,
  },
  {
    intent: "an exit code over 255 in no_retry_on",
    job: () => ({ command: "true", no_retry_on: [256] }),
    message: /no_retry_on: 256 is not an exit code/,
  },
  {
    intent: "an on_finish that is empty",
    job: () => ({ command: "true", on_finish: "" }),
    message: /on_finish: it is empty/,
  },
  {
    intent: "an on_finish_when outcome that is not final",
    job: () => ({
      command: "true",
      on_finish: "./hook.sh",
      on_finish_when: ["failed" as "dead"],
    }),
    message: /on_finish_when: "failed" is not an outcome/,
  },
  {
    intent: "a delay of 1e300 seconds",
    job: () => ({ command: "true", delay: 1e300 }),
    message: /delay.*100 years/,
  },
  {
    intent: "a run_at Date before 1970",
    job: () => ({ command: "true", run_at: new Date(Date.UTC(1969, 11, 31)) }),
    message: /run_at.*1970/,
  },
  {
    intent: "a constructor field",
    job: () => ({ command: "true", constructor: 1 }) as unknown as JobInput,
    message: /Unknown field "constructor"/,
  },
  {
    intent: "a __proto__ own property carrying a command (as JSON.parse makes it)",
    job: () => JSON.parse('{"__proto__":{"command":"echo inherited"}}'),
    message: /__proto__|command/,
  },
  {
    intent: "a __proto__ own property next to a command",
    job: () => JSON.parse('{"command":"true","__proto__":{"priority":5}}'),
    message: /Unknown field "__proto__"/,
  },
];

for (const { kind, available } of STORES) {
  (available ? Deno.test : Deno.test.ignore)(
    `Queue.enqueue() refuses hostile input with a UsageError and stores nothing (${kind})`,
    async (t) => {
      await using sandbox = await makeSandbox(kind);
      await using queue = await Queue.open({ db: sandbox.db });
      await queue.enqueue({ id: "existing", command: "true" });
      for (const { intent, job, message } of CASES) {
        await t.step(intent, async () => {
          const before = await snapshotDatabase(sandbox);
          await assert.rejects(() => queue.enqueue(job()), (error: unknown) => {
            assert.ok(error instanceof UsageError, `a UsageError, got ${error}`);
            assert.match(error.message, message);
            return true;
          });
          await assert.rejects(() => queue.enqueueMany([job()]), UsageError);
          assert.equal(await snapshotDatabase(sandbox), before, "the database changed");
        });
      }
    },
  );
}
