/**
 * The library client: `Queue`, the shapes it takes and returns, and the errors it throws. The
 * repository's `mod.ts` re-exports all of it.
 *
 * @module
 */
export {
  type EnqueuedJob,
  Queue,
  type QueueOptions,
  type WaitOptions,
  type WaitResult,
} from "./queue.ts";
export type { JobInput } from "./job_input.ts";
export type {
  EnqueuedJobJson,
  JobInfoJson,
  JobJson,
  PausedQueueJson,
  QueueJson,
  RunJson,
  StatusJson,
  WorkerJson,
} from "../json_contract.ts";
export type { JobState } from "../job.ts";
export {
  ConflictError,
  NotFoundError,
  QueuectlError,
  StoreUnavailableError,
  UsageError,
  WaitTimeoutError,
} from "../errors.ts";
