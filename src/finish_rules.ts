/**
 * The finish rules, once: what a store writes when a run ends, from the finish its caller proposes
 * and the one fact only the store knows at that moment, whether a user asked to cancel the job
 * while it ran. A cancel request wins unless the run completed; a canceled run is not given back
 * (no refund), whatever the proposal said. Pure: each store applies the decision in the same
 * transaction that fences the finish by lease token (`Store.jobFinish`).
 *
 * @module
 */
import type { JobState } from "./job.ts";
import type { JobFinish } from "./store/mod.ts";

/** `last_error` of a job that ends canceled because a user canceled it while it ran. */
export const CANCELED_WHILE_RUNNING = "Canceled by a user while running";

/** What a finish proposes that the rules read. */
export type ProposedFinish = Pick<
  JobFinish,
  "state" | "error" | "outcome" | "refundAttempt" | "now"
>;

/** What the job looks like in the store at finish time, as far as the rules care. */
export interface StoredAtFinish {
  /** True when the job's `cancel_requested_at` is set. */
  cancelRequested: boolean;
}

/** What the store writes: the job's columns and its run's outcome. */
export interface FinishWrite {
  /** The job's new state. */
  state: Exclude<JobState, "processing">;
  /** The job's `last_error`. (The run's history keeps the run's own error, as proposed.) */
  lastError: string | null;
  /** The run's outcome in the history. */
  outcome: string;
  /** True when the run does not count: the job's `attempts` goes down by one. */
  refundAttempt: boolean;
  /** True when `cancel_requested_at` stays (it says when the cancel was asked); else cleared. */
  keepCancelRequest: boolean;
  /** The job's `finished_at`: none for a job that goes back to `pending`. */
  finishedAt: number | null;
}

/**
 * The finish a worker proposes for a run it stopped because a user canceled the job.
 *
 * @example
 * ```ts
 * import { canceledRun } from "./finish_rules.ts";
 * console.assert(canceledRun().state === "canceled");
 * ```
 */
export function canceledRun(): Pick<JobFinish, "state" | "error" | "outcome"> {
  return { state: "canceled", error: CANCELED_WHILE_RUNNING, outcome: "canceled" };
}

/**
 * The finish of a run released through no fault of the job (its worker stopped, or no slot of
 * its process holds it): the attempt is given back, and the job is due again at once, `pending`
 * if it has never really run, else `failed` (so its history of failures still shows).
 *
 * @example
 * ```ts
 * import { releasedRun } from "./finish_rules.ts";
 * const release = releasedRun({ attempts: 1 }, 1000);
 * console.assert(release.state === "pending" && release.refundAttempt);
 * ```
 */
export function releasedRun(
  job: { attempts: number },
  now: number,
): Pick<JobFinish, "state" | "runAt" | "outcome" | "refundAttempt"> {
  return {
    state: job.attempts - 1 === 0 ? "pending" : "failed",
    runAt: now,
    outcome: "released",
    refundAttempt: true,
  };
}

/** The run history's outcome of a run stopped by a worker shutdown (`worker stop --now`). */
export const INTERRUPTED = "interrupted";

/**
 * The finish of a run its worker stopped while shutting down (`worker stop --now`, a second
 * SIGTERM, a deploy): released as `releasedRun` (the attempt given back, due again at once, no
 * backoff, not a failure), and recorded as outcome `interrupted` so the history tells it from a
 * claim that was given back without running.
 *
 * @example
 * ```ts
 * import { interruptedRun } from "./finish_rules.ts";
 * const stop = interruptedRun({ attempts: 2 }, 1000);
 * console.assert(stop.outcome === "interrupted" && stop.refundAttempt && stop.state === "failed");
 * ```
 */
export function interruptedRun(
  job: { attempts: number },
  now: number,
): Pick<JobFinish, "state" | "runAt" | "outcome" | "refundAttempt" | "error"> {
  return {
    ...releasedRun(job, now),
    outcome: INTERRUPTED,
    error: "Stopped by a worker shutdown before it finished; it will run again",
  };
}

/**
 * What to write when a run ends with `proposed`, the job being `stored`. The one place that
 * decides "a cancel request wins unless the run completed" and whether the attempt is refunded.
 *
 * @example
 * ```ts
 * import { decideFinish } from "./finish_rules.ts";
 * const proposed = { state: "failed", error: "Exited with code 1", outcome: "failed", now: 5 } as const;
 * console.assert(decideFinish({ cancelRequested: true }, proposed).state === "canceled");
 * console.assert(decideFinish({ cancelRequested: false }, proposed).state === "failed");
 * ```
 */
export function decideFinish(stored: StoredAtFinish, proposed: ProposedFinish): FinishWrite {
  if ((proposed.state as string) === "processing") {
    throw new Error("jobFinish() cannot move a job to processing");
  }
  if (stored.cancelRequested && proposed.state !== "completed") {
    const canceled = canceledRun();
    return {
      state: "canceled",
      lastError: canceled.error,
      outcome: canceled.outcome,
      refundAttempt: false,
      keepCancelRequest: true,
      finishedAt: proposed.now,
    };
  }
  return {
    state: proposed.state,
    lastError: proposed.error,
    outcome: proposed.outcome,
    refundAttempt: proposed.refundAttempt ?? false,
    keepCancelRequest: false,
    finishedAt: proposed.state === "pending" ? null : proposed.now,
  };
}

/**
 * Both writes a finish can lead to, for a store that applies the finish in one statement without
 * reading the job first: it picks `ifCancelRequested` when the job's cancel request is set, else
 * `asProposed`. The rules stay here; the store's SQL only picks.
 *
 * @example
 * ```ts
 * import { finishAlternatives } from "./finish_rules.ts";
 * const proposed = { state: "completed", error: null, outcome: "completed", now: 5 } as const;
 * const { ifCancelRequested } = finishAlternatives(proposed);
 * console.assert(ifCancelRequested.state === "completed");
 * ```
 */
export function finishAlternatives(
  proposed: ProposedFinish,
): { asProposed: FinishWrite; ifCancelRequested: FinishWrite } {
  return {
    asProposed: decideFinish({ cancelRequested: false }, proposed),
    ifCancelRequested: decideFinish({ cancelRequested: true }, proposed),
  };
}
