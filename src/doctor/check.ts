/**
 * One finding of `queuectl doctor`: a name, a status, what was found, and for anything not ok a
 * one-line fix.
 *
 * @module
 */

/** `ok`: nothing to do; `warn`: works, but look at it; `fail`: something will not work. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One finding. */
export interface Check {
  /** What was looked at, one word (`database`, `workers`, `sh`…). */
  name: string;
  status: CheckStatus;
  /** What was found, one line. */
  message: string;
  /** What to do about it, one line (warn and fail only). */
  fix?: string;
}

/** A check that found nothing wrong. */
export function ok(name: string, message: string): Check {
  return { name, status: "ok", message };
}

/** A check that found something to look at. */
export function warn(name: string, message: string, fix: string): Check {
  return { name, status: "warn", message, fix };
}

/** A check that found something that will not work. */
export function fail(name: string, message: string, fix: string): Check {
  return { name, status: "fail", message, fix };
}
