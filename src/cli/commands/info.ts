import { isoTime } from "../../clock.ts";
import { NotFoundError, UsageError } from "../../errors.ts";
import { readJobDetail } from "../../job_detail.ts";
import { validateJobId } from "../../job_spec.ts";
import { tailText } from "../../worker/output_tail.ts";
import type { CommandDefinition } from "../command.ts";
import { jobDetailToJson, json, relativeTime } from "../render.ts";

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
    const { job, runs, parents, children } = detail;
    const family = (jobs: { id: string; state: string }[]) =>
      jobs.length === 0 ? "-" : jobs.map((other) => `${other.id} (${other.state})`).join(", ");
    const now = context.clock.now();
    const fields: [string, string][] = [
      ["id", job.id],
      ["command", job.command],
      ["state", job.state + (job.cancelRequestedAt ? " (cancel requested)" : "")],
      ["queue", job.queue],
      ["priority", String(job.priority)],
      ["attempts", `${job.attempts} of ${job.maxRetries + 1} (max_retries ${job.maxRetries})`],
      ["timeout", job.timeoutSeconds === null ? "config default" : `${job.timeoutSeconds} s`],
      ["backoff base", job.backoffBase === null ? "config default" : String(job.backoffBase)],
      ["directory", job.cwd ?? "the worker's"],
      ["shell", job.shell ?? "config default"],
      [
        "environment",
        job.env ? Object.entries(job.env).map(([k, v]) => `${k}=${v}`).join(" ") : "-",
      ],
      ["created", `${isoTime(job.createdAt)} (${relativeTime(job.createdAt, now)})`],
      ["updated", `${isoTime(job.updatedAt)} (${relativeTime(job.updatedAt, now)})`],
      [
        "next run",
        job.state === "pending" || job.state === "failed"
          ? `${isoTime(job.runAt)} (${relativeTime(job.runAt, now)})`
          : "-",
      ],
      ["started", isoTime(job.startedAt) ?? "-"],
      ["finished", isoTime(job.finishedAt) ?? "-"],
      ["exit code", job.exitCode === null ? "-" : String(job.exitCode)],
      ["last error", job.lastError ?? "-"],
      ["worker", job.leaseOwner ?? "-"],
      ["after", family(parents)],
      ["children", family(children)],
      ["unique key", job.uniqueKey ?? "-"],
    ];
    const width = Math.max(...fields.map(([name]) => name.length));
    context.stdout(
      fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n") + "\n",
    );
    for (const run of runs) {
      context.stdout(
        `\n--- attempt ${run.attempt}: ${run.outcome}` +
          `${run.exitCode === null ? "" : `, exit ${run.exitCode}`}, ${isoTime(run.startedAt)}` +
          ` (${Math.max(0, run.finishedAt - run.startedAt)} ms) on ${run.workerId ?? "-"}\n`,
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

function indent(text: string): string {
  return text.trimEnd().split("\n").map((line) => `  ${line}`).join("\n") + "\n";
}
