/**
 * What an enqueue does when its unique key is held by an unfinished job: the policy (`keep`,
 * `replace`, `debounce`) and the one decision every store applies, as a pure function.
 *
 * @module
 */
import type { JobState } from "./job.ts";

/**
 * When a job's unique key is held by an unfinished job:
 * - `keep` (the default): add nothing, answer with the holder;
 * - `replace`: cancel a waiting holder ("replaced by ID") and add the new job in its place;
 * - `debounce`: push a waiting holder's `run_at` to the new job's (capped by `debounce_max`
 *   from the holder's creation) and give it the new job's command, env, cwd and shell.
 */
export type UniquePolicy = "keep" | "replace" | "debounce";

/** The policies, in the order help and errors list them. */
export const UNIQUE_POLICIES: readonly UniquePolicy[] = ["keep", "replace", "debounce"];

/** True for a known policy (a stored value may be anything). */
export function isUniquePolicy(value: unknown): value is UniquePolicy {
  return typeof value === "string" && (UNIQUE_POLICIES as readonly string[]).includes(value);
}

/** What an insert does with a new job whose key `holder` holds. */
export type UniqueDecision =
  /** Add nothing; answer with the holder (`reason`: the policy says so, or it is running). */
  | { action: "keep"; reason: "policy" | "running" }
  /** Cancel the holder and add the new job. */
  | { action: "replace" }
  /** Keep the holder, now due at `runAt`, with the new job's command; add nothing. */
  | { action: "debounce"; runAt: number };

/** The states in which a holder has not started: it can still be replaced or pushed. */
const WAITING: ReadonlySet<JobState> = new Set(["pending", "failed", "blocked"]);

/**
 * Decides what to do with a new job whose unique key an unfinished job (`holder`) holds.
 *
 * A running holder is never touched, whatever the policy: it keeps its key, and the new job is
 * not added (one unfinished job per key is what the store's unique index guarantees, across
 * hosts; the caller is told why with `reason: "running"`).
 *
 * A debounce moves `run_at` only later: to the new job's `run_at`, but never past the holder's
 * `createdAt + debounceMaxMs` (when given). A holder already due later than that keeps its time.
 *
 * @example
 * ```ts
 * import { decideUniqueConflict } from "./unique_policy.ts";
 * const holder = { state: "pending" as const, runAt: 10_000, createdAt: 0 };
 * const pushed = decideUniqueConflict(holder, { policy: "debounce", runAt: 25_000, debounceMaxMs: 20_000 });
 * console.assert(pushed.action === "debounce" && pushed.runAt === 20_000);
 * ```
 */
export function decideUniqueConflict(
  holder: { state: JobState; runAt: number; createdAt: number },
  incoming: { policy: UniquePolicy; runAt: number; debounceMaxMs: number | null },
): UniqueDecision {
  if (incoming.policy === "keep") return { action: "keep", reason: "policy" };
  if (!WAITING.has(holder.state)) return { action: "keep", reason: "running" };
  if (incoming.policy === "replace") return { action: "replace" };
  // A stored time that is no number (a hand-edited row) is not kept: the new one applies.
  const current = Number.isFinite(holder.runAt) ? holder.runAt : incoming.runAt;
  let runAt = Math.max(current, incoming.runAt);
  if (incoming.debounceMaxMs !== null && Number.isFinite(holder.createdAt)) {
    const cap = holder.createdAt + incoming.debounceMaxMs;
    runAt = Math.max(current, Math.min(runAt, cap));
  }
  return { action: "debounce", runAt };
}
