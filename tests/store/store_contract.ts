/**
 * The store contract: one suite, run against every `Store` implementation. Each test checks what
 * `src/store/store.ts` documents, through the `Store` interface only (no SQL, no file paths), so a
 * PostgreSQL store can call `storeContract` with its own factory.
 *
 * The tests live in `contract/`, one module per part of the interface; this module composes them.
 * Times are fixed numbers (a `ManualClock`'s start); nothing sleeps. The only waiting is in the
 * `workSubscribe` tests, which poll with a deadline for a best-effort callback.
 *
 * @module
 */
import { batchesContract } from "./contract/batches.ts";
import { cancelContract } from "./contract/cancel.ts";
import { claimsContract } from "./contract/claims.ts";
import { dependenciesContract } from "./contract/dependencies.ts";
import { finishContract } from "./contract/finish.ts";
import { finishAndClaimContract } from "./contract/finish_and_claim.ts";
import { finishHooksContract } from "./contract/finish_hooks.ts";
import type { StoreFixture } from "./contract/harness.ts";
import { jobEditContract } from "./contract/job_edit.ts";
import { jobsContract } from "./contract/jobs.ts";
import { leasesContract } from "./contract/leases.ts";
import { outputContract } from "./contract/output.ts";
import { queuesContract } from "./contract/queues.ts";
import { queueLimitsContract } from "./contract/queue_limits.ts";
import { queueSettingsContract } from "./contract/queue_settings.ts";
import { schedulesContract } from "./contract/schedules.ts";
import { statsContract } from "./contract/stats.ts";
import { subscribeContract } from "./contract/subscribe.ts";
import { uniqueContract } from "./contract/unique.ts";
import { uniquePolicyContract } from "./contract/unique_policy.ts";
import { workersContract } from "./contract/workers.ts";

export type { StoreFixture };

/**
 * Registers the whole contract suite with `Deno.test`, each test named `"<name>: …"`; with
 * `ignore`, registers it as ignored (a missing server shows in the summary, never as a pass).
 */
export function storeContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
  options: { ignore?: boolean } = {},
): void {
  function test(title: string, body: (fixture: StoreFixture) => Promise<void>): void {
    Deno.test(`${name}: ${title}`, { ignore: options.ignore ?? false }, async () => {
      const fixture = await makeStore();
      try {
        await body(fixture);
      } finally {
        await fixture.cleanup();
      }
    });
  }

  jobsContract(test);
  claimsContract(test);
  queuesContract(test);
  queueSettingsContract(test);
  queueLimitsContract(test);
  finishContract(test);
  finishAndClaimContract(test);
  cancelContract(test);
  finishHooksContract(test);
  outputContract(test);
  leasesContract(test);
  jobEditContract(test);
  workersContract(test);
  subscribeContract(test);
  dependenciesContract(test);
  uniqueContract(test);
  batchesContract(test);
  uniquePolicyContract(test);
  schedulesContract(test);
  statsContract(test);
}
