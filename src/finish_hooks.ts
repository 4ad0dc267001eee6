/**
 * Finish hooks: a command (or a webhook URL) run as a job of its own when a job ends completed,
 * dead or canceled. A job names one with `on_finish` (and `on_finish_when`, the outcomes it fires
 * on); the `on_completed`, `on_dead` and `on_canceled` config keys name one for every job.
 *
 * The store enqueues the hook job in the transaction that makes the job final (a trigger on the
 * job's state, see `store/sqlite/finish_hooks.ts`), so it is added exactly once, whichever path
 * ended the job. This module holds what is decided in TypeScript: what a valid hook is, which
 * outcomes a job's hook fires on, and how a stored list reads.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** How a job can end for good: the states a finish hook fires on. */
export type FinishOutcome = "completed" | "dead" | "canceled";

/** Every outcome, in the order help and errors list them. */
export const FINISH_OUTCOMES: readonly FinishOutcome[] = ["completed", "dead", "canceled"];

/** A job's `on_finish_when` as stored: null means every outcome; "invalid" a row unreadable. */
export type StoredOutcomes = readonly FinishOutcome[] | null | "invalid";

/** The config key of the global hook of each outcome (`config set on_dead CMD`). */
export const GLOBAL_HOOK_KEYS: Readonly<Record<FinishOutcome, string>> = {
  completed: "on_completed",
  dead: "on_dead",
  canceled: "on_canceled",
};

/**
 * The variables a hook job's command sees, naming the job that ended (not the hook job itself):
 * its id, its final state, its exit code (empty when it has none: canceled while waiting, timed
 * out), its queue, its command and its last error (empty when none).
 */
export const HOOK_VARIABLES = [
  "QUEUECTL_JOB_ID",
  "QUEUECTL_JOB_STATE",
  "QUEUECTL_JOB_EXIT_CODE",
  "QUEUECTL_JOB_QUEUE",
  "QUEUECTL_JOB_COMMAND",
  "QUEUECTL_JOB_ERROR",
] as const;

/**
 * True when a hook is a webhook (POST of the job's JSON), not a shell command.
 *
 * @example
 * ```ts
 * import { isWebhook } from "./finish_hooks.ts";
 * console.assert(isWebhook("https://hooks.example.com/queuectl"));
 * console.assert(!isWebhook("curl -d @- https://hooks.example.com"));
 * ```
 */
export function isWebhook(target: string): boolean {
  return /^https?:\/\//i.test(target.trimStart());
}

/**
 * Checks a hook that `validateCommand` already found a good command: one that starts like a URL
 * must be an http(s) URL with a host, since it is POSTed to, not run. Returns it unchanged.
 */
export function checkHookTarget(target: string, where: string): string {
  if (!isWebhook(target)) return target;
  let url: URL;
  try {
    url = new URL(target.trim());
  } catch {
    throw new UsageError(
      `Invalid ${where}: ${JSON.stringify(target)} starts like a webhook URL but is not one`,
    );
  }
  if (url.hostname === "") {
    throw new UsageError(`Invalid ${where}: the URL ${JSON.stringify(target)} names no host`);
  }
  return target.trim();
}

/**
 * Checks a list of outcomes: an array of them, or one string of them separated by commas (as
 * the `--on-finish-when` flag gives it). Repeats are dropped; the result is in a fixed order.
 *
 * @example
 * ```ts
 * import { validateOutcomes } from "./finish_hooks.ts";
 * const outcomes = validateOutcomes("canceled, dead", "--on-finish-when");
 * console.assert(outcomes.join() === "dead,canceled");
 * ```
 */
export function validateOutcomes(value: unknown, where: string): FinishOutcome[] {
  const items = typeof value === "string" ? value.split(",").map((item) => item.trim()) : value;
  if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== "string")) {
    throw new UsageError(
      `Invalid ${where}: expected a list of outcomes (${FINISH_OUTCOMES.join(", ")}), got ${
        JSON.stringify(value) ?? String(value)
      }`,
    );
  }
  for (const item of items as string[]) {
    if (!(FINISH_OUTCOMES as readonly string[]).includes(item)) {
      throw new UsageError(
        `Invalid ${where}: ${JSON.stringify(item)} is not an outcome (${
          FINISH_OUTCOMES.join(", ")
        })`,
      );
    }
  }
  return FINISH_OUTCOMES.filter((outcome) => (items as string[]).includes(outcome));
}

/** The stored text of an outcome list (a JSON array; null: every outcome). */
export function outcomesToColumn(outcomes: readonly FinishOutcome[] | null | undefined) {
  return outcomes ? JSON.stringify(outcomes) : null;
}

/** A stored outcome list as read back; never throws (a bad value reads "invalid"). */
export function outcomesFromColumn(value: unknown): StoredOutcomes {
  if (value === null || value === undefined) return null;
  let outcomes: unknown;
  try {
    outcomes = JSON.parse(String(value));
  } catch {
    return "invalid";
  }
  return Array.isArray(outcomes) && outcomes.length > 0 &&
      outcomes.every((item) => (FINISH_OUTCOMES as readonly unknown[]).includes(item))
    ? outcomes
    : "invalid";
}

/** How a job's hook reads in `info` and the dashboard: `CMD (on dead, canceled)`. */
export function describeHook(onFinish: string, outcomes: StoredOutcomes): string {
  const when = outcomes === null
    ? "every outcome"
    : outcomes === "invalid"
    ? "invalid outcomes"
    : outcomes.join(", ");
  return `${onFinish} (on ${when})`;
}
