import { isoTime, isTimeInRange } from "../../clock.ts";
import { NotFoundError, UsageError } from "../../errors.ts";
import { describeHook } from "../../finish_hooks.ts";
import { readJobDetail } from "../../job_detail.ts";
import { type JobWait, readJobWait } from "../../job_wait.ts";
import { validateJobId } from "../../job_spec.ts";
import { tailText } from "../../worker/output_tail.ts";
import type { CommandDefinition } from "../command.ts";
import { INVALID, jobDetailToJson, type JobJson, runToJson } from "../../json_contract.ts";
import { attemptsAllowed, json, relativeTime } from "../render.ts";

/** `queuectl info ID`: every field of one job, its runs and their output. */
export const infoCommand: CommandDefinition = {
  path: ["info"],
  summary: "Show one job: every field, its runs, their exit codes and output",
  usage: ["info ID [--json]"],
  options: {
    json: { type: "boolean", description: "print the job object (with its runs) as JSON" },
  },
  async run(context, args) {
    if (args.positionals.length !== 1) {
      throw new UsageError(`Expected one job id, got ${args.positionals.length}`);
    }
    const id = validateJobId(args.positionals[0]);
    const store = await context.store();
    const detail = await readJobDetail(store, id);
    if (!detail) throw new NotFoundError(`No job with id "${id}"`);
    if (args.values.json) return context.stdout(json(jobDetailToJson(detail)));
    const { job, runs } = detail;
    // Every value as the JSON shows it: a stored value out of range reads "invalid" here too.
    const shown = jobDetailToJson(detail);
    const family = (jobs: { id: string; state: string }[]) =>
      jobs.length === 0 ? "-" : jobs.map((other) => `${other.id} (${other.state})`).join(", ");
    const now = context.clock.now();
    const when = (ms: number) =>
      isTimeInRange(ms) ? `${isoTime(ms)} (${relativeTime(ms, now)})` : INVALID;
    const env = shown.env;
    const fields: [string, string][] = [
      ["id", job.id],
      ["command", job.command],
      ["state", shown.state + (job.cancelRequestedAt !== null ? " (cancel requested)" : "")],
      ["queue", job.queue],
      ["priority", String(shown.priority)],
      [
        "attempts",
        `${shown.attempts} of ${attemptsAllowed(job)} (max_retries ${shown.max_retries})`,
      ],
      [
        "timeout",
        shown.timeout === null
          ? "config default"
          : shown.timeout === INVALID
          ? INVALID
          : `${shown.timeout} s`,
      ],
      ["backoff base", shown.backoff_base === null ? "config default" : String(shown.backoff_base)],
      ["directory", job.cwd ?? "the worker's"],
      ["shell", job.shell ?? "config default"],
      [
        "environment",
        env === INVALID
          ? INVALID
          : env
          ? Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")
          : "-",
      ],
      ["created", when(job.createdAt)],
      ["updated", when(job.updatedAt)],
      ["next run", shown.next_run_at === null ? "-" : when(job.runAt)],
      ["started", shown.started_at ?? "-"],
      ["finished", shown.finished_at ?? "-"],
      ["exit code", shown.exit_code === null ? "-" : String(shown.exit_code)],
      ["last error", job.lastError ?? "-"],
      ["worker", job.leaseOwner ?? "-"],
      ["after", family(shown.parents)],
      ["children", family(shown.children)],
      ["unique key", uniqueKeyText(shown)],
      ["group key", job.groupKey ?? "-"],
      ["retry on", codes(shown.retry_on)],
      ["no retry on", codes(shown.no_retry_on)],
      ["on finish", job.onFinish === null ? "-" : describeHook(job.onFinish, job.onFinishWhen)],
      ["batch", batchText(job)],
      ...waitFields(await readJobWait(store, job, now), when),
    ];
    // Only on hook jobs: a line that is always "-" on every other job would be noise.
    if (job.hookFor !== null) fields.push(["hook for", `job ${job.hookFor}`]);
    const width = Math.max(...fields.map(([name]) => name.length));
    context.stdout(
      fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n") + "\n",
    );
    for (const run of runs) {
      const ran = runToJson(run);
      const took = isTimeInRange(run.startedAt) && isTimeInRange(run.finishedAt)
        ? `${Math.max(0, run.finishedAt - run.startedAt)} ms`
        : INVALID;
      context.stdout(
        `\n--- attempt ${ran.attempt}: ${run.outcome}` +
          `${ran.exit_code === null ? "" : `, exit ${ran.exit_code}`}, ${ran.started_at}` +
          ` (${took}) on ${run.workerId ?? "-"}\n`,
      );
      if (run.error) context.stdout(`error: ${run.error}\n`);
      if (run.stdoutBytes > 0) {
        context.stdout(`stdout:\n${indent(tailText(run.stdout, run.stdoutBytes))}`);
      }
      if (run.stderrBytes > 0) {
        context.stdout(`stderr:\n${indent(tailText(run.stderr, run.stderrBytes))}`);
      }
    }
  },
};

/** The job's batch; a callback job (not a member) names the batch it runs after. */
function batchText(job: { batch: string | null; env: Record<string, string> | null }): string {
  if (job.batch !== null) return job.batch;
  const callbackOf = job.env?.QUEUECTL_BATCH;
  return callbackOf === undefined ? "-" : `- (a callback of batch ${callbackOf})`;
}

/** A waiting job's `waiting` lines: its queue's rate window, its full group; none if neither. */
function waitFields(wait: JobWait | null, when: (ms: number) => string): [string, string][] {
  const fields: [string, string][] = [];
  if (wait?.rateLimitedUntil != null) {
    fields.push(["waiting", `rate-limited until ${when(wait.rateLimitedUntil)}`]);
  }
  if (wait?.fullGroup) {
    const { key, running, limit } = wait.fullGroup;
    fields.push([
      "waiting",
      `for group ${JSON.stringify(key)}: ${running} running (at most ${limit} per group)`,
    ]);
  }
  return fields;
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((line) => `  ${line}`).join("\n") + "\n";
}

/** A job's exit-code list as `info` shows it: `75, 111`, `invalid`, or `-` (its queue's). */
function codes(list: readonly number[] | null | "invalid"): string {
  return list === null ? "- (the queue's)" : list === "invalid" ? "invalid" : list.join(", ");
}

/** The key, and the policy it was enqueued with when one was given: `deploy (debounce, max 300 s)`. */
function uniqueKeyText(job: JobJson): string {
  if (job.unique_key === null) return "-";
  if (job.unique_policy === null) return job.unique_key;
  const max = job.debounce_max === null ? "" : `, max ${job.debounce_max} s`;
  return `${job.unique_key} (${job.unique_policy}${max})`;
}
