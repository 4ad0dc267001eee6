/**
 * User-facing errors. Each carries the process exit code that `main.ts` maps it to; anything
 * that is not a `QueuectlError` is a bug and keeps its stack trace.
 *
 * | code | meaning                                                        |
 * |------|----------------------------------------------------------------|
 * | 0    | success                                                        |
 * | 1    | a failure that is not one of the below                         |
 * | 2    | usage: bad flag, bad argument, bad JSON, bad config value      |
 * | 3    | not found: no job / worker with that id                        |
 * | 4    | store unavailable: cannot open, create, read or write the database |
 * | 5    | conflict: the id exists already, or the job is in the wrong state |
 * | 124  | timeout: `wait` or `worker stop` gave up (as `timeout(1)`)        |
 *
 * @module
 */
import type { JobState } from "./job.ts";

/** Exit codes, one per family of user-facing error. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  storeUnavailable: 4,
  conflict: 5,
  timeout: 124,
} as const;

/** The base class of every error that is the user's to fix, not a bug. */
export class QueuectlError extends Error {
  /** The exit code the CLI ends with when this error stops it. */
  readonly exitCode: number;
  /** An error with `message` (one line, sentence case) and the CLI's exit code for it. */
  constructor(message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A bad flag, argument, JSON document or value. */
export class UsageError extends QueuectlError {
  /** An error with `message`: one line, sentence case, quoting the values at fault. */
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The named job, worker or key does not exist. */
export class NotFoundError extends QueuectlError {
  /** An error with `message`: one line, sentence case, quoting the values at fault. */
  constructor(message: string) {
    super(message, ExitCode.notFound);
  }
}

/**
 * The database cannot be opened, created, read or written (its disk full, an I/O error), or is
 * not a queuectl database.
 */
export class StoreUnavailableError extends QueuectlError {
  /** An error with `message`: one line, sentence case, quoting the values at fault. */
  constructor(message: string) {
    super(message, ExitCode.storeUnavailable);
  }
}

/** The request clashes with what is stored: a duplicate id, a job in the wrong state. */
export class ConflictError extends QueuectlError {
  /** An error with `message`: one line, sentence case, quoting the values at fault. */
  constructor(message: string) {
    super(message, ExitCode.conflict);
  }
}

/**
 * Waiting for jobs to finish took longer than its timeout. `unfinished` lists the jobs still
 * not in a final state when it gave up, with the state each was in.
 */
export class WaitTimeoutError extends QueuectlError {
  /** The jobs not finished when it gave up, with their states then. */
  readonly unfinished: { id: string; state: JobState }[];
  /** The error of a wait that gave up after `timeoutMs` with `unfinished` jobs. */
  constructor(timeoutMs: number, unfinished: { id: string; state: JobState }[]) {
    const shown = unfinished.slice(0, 5).map((job) => `"${job.id}" ${job.state}`).join(", ") +
      (unfinished.length > 5 ? ", …" : "");
    super(
      `Timed out after ${timeoutMs / 1000} s: ${unfinished.length} job(s) not finished (${shown})`,
      ExitCode.timeout,
    );
    this.unfinished = unfinished;
  }
}

/** Renders any thrown value as one line, for messages that quote an underlying cause. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
