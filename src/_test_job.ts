/**
 * A stored job for unit tests: pending in `default` since `TEST_NOW`, every other field empty;
 * `fields` override.
 *
 * @module
 */
import type { Job } from "./job.ts";

/** The time the jobs of `testJob` were made, changed and are due. */
export const TEST_NOW: number = Date.UTC(2026, 0, 1);

/** A job as a store would hand it over, with `fields` changed. */
export function testJob(fields: Partial<Job> = {}): Job {
  return {
    id: "j1",
    command: "true",
    state: "pending",
    attempts: 0,
    maxRetries: 3,
    priority: 0,
    queue: "default",
    timeoutSeconds: null,
    backoffBase: null,
    shell: null,
    cwd: "/tmp",
    env: null,
    cancelRequestedAt: null,
    uniqueKey: null,
    uniquePolicy: null,
    debounceMaxMs: null,
    runAt: TEST_NOW,
    createdAt: TEST_NOW,
    updatedAt: TEST_NOW,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    lastError: null,
    leaseOwner: null,
    leaseToken: 0,
    leaseExpiresAt: null,
    pgid: null,
    pgidStartTime: null,
    retryOn: null,
    onFinish: null,
    onFinishWhen: null,
    hookFor: null,
    noRetryOn: null,
    batch: null,
    groupKey: null,
    ...fields,
  };
}
