/**
 * What `queuectl run` prints at its end: the counts, the duration, and each dead or canceled
 * job with its command, last error and the last lines of its stderr.
 *
 * @module
 */
import { lastStderrTail } from "../ci_reports.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";

/** How the wait for a run's jobs ended. */
export type RunEnding =
  | { kind: "finished" }
  | { kind: "timeout" }
  | { kind: "signal"; signal: Deno.Signal }
  | { kind: "workers-stopped" };

/** How many dead or canceled jobs the summary details; the rest are counted. */
const DETAILED_FAILURES = 20;

/** How many lines of a failed job's stderr the summary shows. */
const STDERR_LINES = 10;

/**
 * The summary: one line of counts and the duration, then each dead or canceled job with its
 * command, last error and the last lines of its stderr.
 */
export async function runSummary(
  store: Store,
  jobs: Job[],
  run: {
    ending: RunEnding;
    /** How long the run took. */
    ms: number;
    /** Its --timeout (Infinity: none). */
    timeoutMs: number;
    /** Whether the database outlives the run (the unfinished jobs stay). */
    kept: boolean;
  },
): Promise<string> {
  const counts = { completed: 0, dead: 0, canceled: 0, unfinished: 0 };
  for (const job of jobs) {
    if (job.state === "completed" || job.state === "dead" || job.state === "canceled") {
      counts[job.state]++;
    } else counts.unfinished++;
  }
  const lines: string[] = [];
  const failed = jobs.filter((job) => job.state === "dead" || job.state === "canceled");
  for (const job of failed.slice(0, DETAILED_FAILURES)) {
    lines.push(
      `Job "${job.id}" ${job.state} after ${job.attempts} run(s): ${job.lastError ?? job.state}`,
    );
    lines.push(`  command: ${oneLine(job.command)}`);
    const stderr = lastStderrTail(await store.jobRuns({ id: job.id })).replace(/\n$/, "");
    if (stderr !== "") {
      lines.push(`  stderr (last lines):`);
      for (const line of stderr.split("\n").slice(-STDERR_LINES)) lines.push(`    ${line}`);
    }
  }
  if (failed.length > DETAILED_FAILURES) {
    lines.push(
      `… and ${failed.length - DETAILED_FAILURES} more dead or canceled` +
        (run.kept ? " (queuectl dlq list)" : ""),
    );
  }
  const unfinished = counts.unfinished > 0 ? `, ${counts.unfinished} not finished` : "";
  lines.push(
    `Ran ${jobs.length} job(s) in ${seconds(run.ms)}: ${counts.completed} completed, ` +
      `${counts.dead} dead, ${counts.canceled} canceled${unfinished}`,
  );
  const { ending } = run;
  if (ending.kind === "timeout") {
    lines.push(
      `Timed out after ${seconds(run.timeoutMs)}: the workers were stopped at once` +
        (run.kept ? "; the unfinished jobs stay in the queue" : ""),
    );
  }
  if (ending.kind === "signal") {
    lines.push(
      `Interrupted (${ending.signal}): no job started after it` +
        (run.kept && counts.unfinished > 0 ? "; the unfinished jobs stay in the queue" : ""),
    );
  }
  if (ending.kind === "workers-stopped" && counts.unfinished > 0) {
    lines.push("The workers stopped before every job was finished");
  }
  return lines.join("\n") + "\n";
}

/** A command as one line of the summary: its lines joined, at most 200 characters. */
function oneLine(command: string): string {
  const line = command.replace(/\s*\n\s*/g, " ⏎ ");
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** `1.3 s`, `75 s`. */
function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
