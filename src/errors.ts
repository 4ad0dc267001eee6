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
 * | 4    | store unavailable: cannot open, create or read the database    |
 * | 5    | conflict: the id exists already, or the job is in the wrong state |
 *
 * @module
 */

/** Exit codes, one per family of user-facing error. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  storeUnavailable: 4,
  conflict: 5,
} as const;

/** The base class of every error that is the user's to fix, not a bug. */
export class QueuectlError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A bad flag, argument, JSON document or value. */
export class UsageError extends QueuectlError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The named job, worker or key does not exist. */
export class NotFoundError extends QueuectlError {
  constructor(message: string) {
    super(message, ExitCode.notFound);
  }
}

/** The database cannot be opened, created, read or is not a queuectl database. */
export class StoreUnavailableError extends QueuectlError {
  constructor(message: string) {
    super(message, ExitCode.storeUnavailable);
  }
}

/** The request clashes with what is stored: a duplicate id, a job in the wrong state. */
export class ConflictError extends QueuectlError {
  constructor(message: string) {
    super(message, ExitCode.conflict);
  }
}

/** Renders any thrown value as one line, for messages that quote an underlying cause. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
