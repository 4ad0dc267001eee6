/**
 * The scheduler: turns due cron schedules into jobs. Every worker process runs `runOnce` now
 * and then; the store makes each (schedule, time) fire once however many processes race for it
 * (`scheduleFire` is a compare-and-set on the schedule's next run time, in the same transaction
 * as the job's insert).
 *
 * @module
 */
import type { Config } from "../config.ts";
import { directoryResolver, newJobFromSpec } from "../enqueue.ts";
import { ConflictError } from "../errors.ts";
import { generateJobId } from "../ids.ts";
import type { NewJob, Schedule, Store } from "../store/mod.ts";
import { parseCron } from "./cron.ts";

/** What happened to one due schedule in a pass. */
export interface FireResult {
  name: string;
  /** The scheduled time of the job enqueued, or null when missed runs were skipped. */
  firedFor: number | null;
  jobId: string | null;
  nextRunAt: number | null;
}

/** Runs late by more than this count as missed (no worker was up), not merely late. */
export const MISSED_AFTER_MS = 60_000;

/**
 * How far ahead a pass looks for the next due schedule, and so the longest a worker process goes
 * without looking at the schedules. Adding or resuming a schedule wakes the workers (as an
 * enqueue does), so this only bounds how late a schedule's first run can be when that wake-up is
 * lost; the rest of the time an idle process looks once per look-ahead, not twice a second.
 */
export const SCHEDULER_LOOKAHEAD_MS = 10_000;

/** What a scheduler pass did, and when the next one is worth making. */
export interface SchedulerPass {
  fired: FireResult[];
  /** The earliest time a schedule comes due, capped at `now + SCHEDULER_LOOKAHEAD_MS`. */
  nextPassAt: number;
}

/** Enqueues one job for every due schedule that this pass wins; returns what it fired. */
export async function runSchedulerOnce(
  store: Store,
  now: number,
  config: Config,
): Promise<FireResult[]> {
  return (await runSchedulerPass(store, now, config)).fired;
}

/**
 * `runSchedulerOnce`, and the time of the next pass: one query lists the schedules due now and
 * those due within the look-ahead, so an idle process learns when to look again for free.
 */
export async function runSchedulerPass(
  store: Store,
  now: number,
  config: Config,
): Promise<SchedulerPass> {
  const results: FireResult[] = [];
  let nextPassAt = now + SCHEDULER_LOOKAHEAD_MS;
  for (const schedule of await store.scheduleListDue({ now: now + SCHEDULER_LOOKAHEAD_MS })) {
    // A template that cannot be read (a damaged row) fires nothing: `schedule list` shows it.
    if (schedule.unreadable) continue;
    if (schedule.nextRunAt! > now) {
      nextPassAt = Math.min(nextPassAt, schedule.nextRunAt!);
      continue;
    }
    // Due now: the pass after this one (at the caller's next tick) catches up the time after.
    nextPassAt = now;
    const plan = planFire(schedule, now);
    const job = plan.firedFor === null ? null : scheduledJob(schedule, plan.firedFor, now, config);
    const fire = (job: NewJob | null) =>
      store.scheduleFire({
        name: schedule.name,
        expectedNextRunAt: schedule.nextRunAt!,
        nextRunAt: plan.nextRunAt,
        job,
        now,
      });
    let won: { jobId: string | null } | undefined;
    try {
      won = await fire(job);
    } catch (error) {
      // Someone took the time's id for a job of their own: fire under a suffixed id rather
      // than stall the schedule.
      if (!(error instanceof ConflictError) || !job) throw error;
      won = await fire({ ...job, id: `${job.id}-${generateJobId(now).slice(-6)}` });
    }
    if (won) results.push({ name: schedule.name, ...plan, jobId: won.jobId });
  }
  return { fired: results, nextPassAt };
}

/**
 * The job of one scheduled time. Its id names the schedule and the time (`backup-20261124T0000`),
 * so a run is easy to find, and a second insert of the same time could never pass unnoticed.
 */
function scheduledJob(schedule: Schedule, firedFor: number, now: number, config: Config) {
  const stamp = new Date(firedFor).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const { command, queue, priority, timeoutSeconds, maxRetries, cwd, env, shell } = schedule.job;
  return newJobFromSpec(
    {
      id: `${schedule.name}-${stamp}`,
      command,
      queue,
      priority,
      timeoutSeconds,
      maxRetries,
      cwd,
      env,
      shell,
    },
    { now, config, directory: directoryResolver({ cwd: cwd ?? "/" }) },
  );
}

/**
 * The policy: a schedule due within `MISSED_AFTER_MS` fires for its due time, and its next run
 * is the scheduled time after that (so a slow pass loses no time). One due longer ago missed
 * runs while no worker was up: with `missed = "run-once"` it fires once, for the latest missed
 * time; with `"skip"` it fires nothing. Either way its next run is the first after `now`.
 */
export function planFire(
  schedule: Pick<Schedule, "cron" | "timezone" | "missed" | "nextRunAt">,
  now: number,
): { firedFor: number | null; nextRunAt: number | null } {
  const cron = parseCron(schedule.cron, schedule.timezone, true);
  const due = schedule.nextRunAt!;
  // Merely late (a slow pass): fire for this time, and the next pass catches up the next one.
  if (now - due <= MISSED_AFTER_MS) {
    return { firedFor: due, nextRunAt: cron.nextRunAfter(due) ?? null };
  }
  const nextRunAt = cron.nextRunAfter(now) ?? null;
  if (schedule.missed === "skip") return { firedFor: null, nextRunAt };
  // The latest scheduled time not after now: walk forward from the missed one.
  let latest = due;
  for (let next = cron.nextRunAfter(due); next !== undefined && next <= now;) {
    latest = next;
    next = cron.nextRunAfter(next);
  }
  return { firedFor: latest, nextRunAt };
}
