/**
 * Batches as every store reads them: rows into `BatchInfo` (total: a bad stored value reads as it
 * is, for readers to show as invalid), and the checks a later enqueue into a batch meets.
 *
 * @module
 */
import { ConflictError } from "../errors.ts";
import { isoTime } from "../clock.ts";
import { JOB_STATES, type JobState } from "../job.ts";
import type { BatchCallback, BatchInfo, BatchOutcome, NewBatch } from "./store.ts";
import { numberOrNull, type StoredRow, stringOrNull } from "./stored_row.ts";

/** Batch rows (with their callbacks' states) and per-batch state counts as `BatchInfo`s. */
export function batchFromRows(batches: StoredRow[], counts: StoredRow[]): BatchInfo[] {
  const byName = new Map<string, BatchInfo>();
  const infos = batches.map((row) => {
    const info: BatchInfo = {
      name: String(row.name),
      createdAt: Number(row.created_at),
      settledAt: numberOrNull(row.settled_at),
      outcome: stringOrNull(row.outcome) as BatchOutcome | null,
      onComplete: callbackOf(row.on_complete, row.on_complete_job, row.on_complete_state),
      onFailure: callbackOf(row.on_failure, row.on_failure_job, row.on_failure_state),
      counts: Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
        JobState,
        number
      >,
      firstStartedAt: null,
      lastFinishedAt: null,
    };
    byName.set(info.name, info);
    return info;
  });
  for (const row of counts) {
    const info = byName.get(String(row.batch));
    // A state no version has is left out of the counts (they show the states there are).
    if (!info || !(JOB_STATES as readonly unknown[]).includes(row.state)) continue;
    info.counts[row.state as JobState] = (info.counts[row.state as JobState] ?? 0) + Number(row.n);
    const started = numberOrNull(row.first_started);
    if (started !== null && (info.firstStartedAt === null || started < info.firstStartedAt)) {
      info.firstStartedAt = started;
    }
    const finished = numberOrNull(row.last_finished);
    if (finished !== null && (info.lastFinishedAt === null || finished > info.lastFinishedAt)) {
      info.lastFinishedAt = finished;
    }
  }
  return infos;
}

function callbackOf(command: unknown, jobId: unknown, state: unknown): BatchCallback | null {
  if (command === null || command === undefined) return null;
  return {
    command: String(command),
    jobId: String(jobId),
    state: state === null || state === undefined ? null : state as JobState,
  };
}

/** The refusal to add jobs to a settled batch. */
export function batchSettledError(name: string, row: StoredRow): ConflictError {
  const settled = Number(row.settled_at);
  return new ConflictError(
    `Cannot add jobs to batch "${name}": it settled (${String(row.outcome)}) at ${
      Number.isFinite(settled) ? isoTime(settled) : "an invalid time"
    }; use a new batch name`,
  );
}

/** Why `given`'s callbacks cannot join the stored batch `row`, or undefined when they match. */
export function callbacksDiffer(given: NewBatch, row: StoredRow): string | undefined {
  for (
    const [flag, wanted, stored] of [
      ["--on-complete", given.onComplete?.command ?? null, stringOrNull(row.on_complete)],
      ["--on-failure", given.onFailure?.command ?? null, stringOrNull(row.on_failure)],
    ] as const
  ) {
    if (wanted !== null && wanted !== stored) {
      return `Cannot add jobs to batch "${given.name}" with ${flag} ${
        JSON.stringify(wanted)
      }: its ${flag} is ${
        stored === null ? "not set" : JSON.stringify(stored)
      } (a batch's callbacks are set when it is created)`;
    }
  }
  return undefined;
}
