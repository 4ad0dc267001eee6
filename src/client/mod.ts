/**
 * The library client: `Queue`, the shapes it takes and returns, and the errors it throws. The
 * repository's `mod.ts` re-exports all of it.
 *
 * @module
 */
export {
  type BatchOptions,
  type EnqueuedJob,
  Queue,
  type QueueOptions,
  type RetryRequest,
  type WaitOptions,
  type WaitResult,
} from "./queue.ts";
export type { JobInput } from "./job_input.ts";
export type {
  BatchCallbackJson,
  BatchJson,
  EnqueuedJobJson,
  JobInfoJson,
  JobJson,
  PausedQueueJson,
  QueueJson,
  RateLimitedQueueJson,
  RetryJson,
  RunJson,
  StatusJson,
  WorkerJson,
} from "../json_contract.ts";
export type { JobState } from "../job.ts";
export type { RetryFilterInput } from "../retry_finished.ts";
export {
  ConflictError,
  NotFoundError,
  QueuectlError,
  StoreUnavailableError,
  UsageError,
  WaitTimeoutError,
} from "../errors.ts";
