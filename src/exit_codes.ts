/**
 * Lists of exit codes (`retry_on`, `no_retry_on`): their checks as a user gives them, and how a
 * store keeps them (a JSON array in a text column) and reads them back without ever throwing.
 * The policy that uses them is `afterFailure()` in `worker/backoff.ts`.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** Most exit codes one list may hold. */
export const MAX_EXIT_CODES = 64;

/**
 * Exit codes as stored: a list, null when not set, or `"invalid"` when the stored value is not a
 * JSON array of 1 to 64 integers from 0 to 255 (a row edited by hand): shown as `"invalid"`, and
 * ignored by the retry policy.
 */
export type StoredExitCodes = readonly number[] | null | "invalid";

/** The two lists of a job or a queue. */
export interface ExitCodeLists {
  /** Only these exit codes are retried. */
  retryOn: StoredExitCodes;
  /** These exit codes are never retried. */
  noRetryOn: StoredExitCodes;
}

function isExitCode(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 255;
}

/**
 * Checks a list of exit codes as given in JSON: an array of 1 to 64 integers from 0 to 255.
 * Returns them sorted, each once.
 *
 * @example
 * ```ts
 * import { validateExitCodes } from "./exit_codes.ts";
 * console.assert(validateExitCodes([111, 75, 75]).join() === "75,111");
 * ```
 */
export function validateExitCodes(value: unknown, where = "retry_on"): number[] {
  if (!Array.isArray(value)) {
    throw new UsageError(
      `Invalid ${where}: expected an array of exit codes (integers from 0 to 255), got ${
        JSON.stringify(value) ?? String(value)
      }`,
    );
  }
  if (value.length === 0 || value.length > MAX_EXIT_CODES) {
    throw new UsageError(
      `Invalid ${where}: expected 1 to ${MAX_EXIT_CODES} exit codes, got ${value.length}`,
    );
  }
  const bad = value.find((code) => !isExitCode(code));
  if (bad !== undefined) {
    throw new UsageError(
      `Invalid ${where}: ${
        JSON.stringify(bad) ?? String(bad)
      } is not an exit code (an integer from 0 to 255)`,
    );
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

/**
 * Parses a list of exit codes as a flag gives it (`75,111`).
 *
 * @example
 * ```ts
 * import { parseExitCodes } from "./exit_codes.ts";
 * console.assert(parseExitCodes("75, 111", "--retry-on").join() === "75,111");
 * ```
 */
export function parseExitCodes(text: string, where: string): number[] {
  if (text.trim() === "") {
    throw new UsageError(`Invalid ${where} "": expected exit codes like 75,111`);
  }
  const parts = text.split(",").map((part) => part.trim());
  const codes = parts.map((part) => /^\d{1,3}$/.test(part) ? Number(part) : Number.NaN);
  const bad = parts.find((_, index) => !isExitCode(codes[index]));
  if (bad !== undefined) {
    throw new UsageError(
      `Invalid ${where} ${JSON.stringify(text)}: ${
        JSON.stringify(bad)
      } is not an exit code (an integer from 0 to 255)`,
    );
  }
  return validateExitCodes(codes, where);
}

/** Refuses a job or queue given both lists: they would contradict each other. */
export function checkOneList(
  retryOn: readonly number[] | null | undefined,
  noRetryOn: readonly number[] | null | undefined,
  [retryName, noRetryName] = ["retry_on", "no_retry_on"],
): void {
  if (retryOn != null && noRetryOn != null) {
    throw new UsageError(`Give ${retryName} or ${noRetryName}, not both`);
  }
}

/** A list as a store keeps it: JSON text, or null. */
export function exitCodesToColumn(codes: readonly number[] | null | undefined): string | null {
  return codes == null ? null : JSON.stringify(codes);
}

/** A stored list read back; never throws (see `StoredExitCodes`). */
export function exitCodesFromColumn(value: unknown): StoredExitCodes {
  if (value === null || value === undefined) return null;
  let codes: unknown;
  try {
    codes = JSON.parse(String(value));
  } catch {
    return "invalid";
  }
  return Array.isArray(codes) && codes.length >= 1 && codes.length <= MAX_EXIT_CODES &&
      codes.every(isExitCode)
    ? codes
    : "invalid";
}
