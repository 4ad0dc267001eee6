/**
 * Writing the CI reports of the jobs a command waited for (`wait`, `run`): the `--junit` file,
 * and on GitHub Actions the annotations and the step summary. The text is `src/ci_reports.ts`'s;
 * this is where it goes.
 *
 * @module
 */
import { hostPath } from "../paths.ts";
import {
  githubAnnotations,
  githubStepSummary,
  junitReport,
  type ReportedJob,
} from "../ci_reports.ts";
import { errorMessage, QueuectlError, UsageError } from "../errors.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";
import type { CommandContext } from "./command.ts";

/** The reports a command was asked for. */
export interface ReportRequest {
  /** The absolute path of the JUnit file (`junitPath`), if one was asked for. */
  junit?: string;
  /** Whether to annotate and summarise for GitHub Actions (`GITHUB_ACTIONS=true`). */
  github: boolean;
  /** The JUnit test suite's name, e.g. `queuectl wait`. */
  suiteName: string;
}

/** The reports `--junit` and the environment ask for. */
export function reportRequest(
  context: CommandContext,
  junit: string | undefined,
  suiteName: string,
): ReportRequest {
  return {
    junit: junitPath(context, junit),
    github: context.env("GITHUB_ACTIONS") === "true",
    suiteName,
  };
}

/**
 * The absolute path of `--junit`, checked before any waiting: its directory must exist and it
 * must not be a directory itself (a typo found after a 30-minute wait would lose the report).
 */
export function junitPath(context: CommandContext, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path === "") throw new UsageError(`Invalid --junit "": give a file path`);
  const absolute = hostPath.resolve(context.cwd, path);
  const directory = hostPath.dirname(absolute);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(directory);
  } catch (error) {
    throw new UsageError(
      error instanceof Deno.errors.NotFound
        ? `Cannot write --junit "${path}": directory "${directory}" does not exist`
        : `Cannot write --junit "${path}": ${errorMessage(error)}`,
    );
  }
  if (!info.isDirectory) {
    throw new UsageError(`Cannot write --junit "${path}": "${directory}" is not a directory`);
  }
  try {
    if (Deno.statSync(absolute).isDirectory) {
      throw new UsageError(`Cannot write --junit "${path}": it is a directory`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return absolute;
}

/**
 * Writes the reports asked for: the JUnit file, and on GitHub Actions the annotations (on
 * stderr) and the step summary. `jobs` is undefined after a timeout: the jobs are read again, as
 * they are now.
 */
export async function writeReports(
  context: CommandContext,
  store: Store,
  ids: string[],
  jobs: Job[] | undefined,
  reports: ReportRequest,
): Promise<void> {
  if (reports.junit === undefined && !reports.github) return;
  const byId = new Map(jobs?.map((job) => [job.id, job]));
  const reported: ReportedJob[] = [];
  for (const id of ids) {
    const job = byId.get(id) ?? await store.jobGet({ id });
    if (job) reported.push({ job, runs: await store.jobRuns({ id }) });
  }
  if (reports.junit !== undefined) {
    const xml = junitReport(reported, { suiteName: reports.suiteName, now: context.clock.now() });
    // Written beside and renamed: a reader never sees half a report.
    const partial = `${reports.junit}.partial`;
    try {
      await Deno.writeTextFile(partial, xml);
      await Deno.rename(partial, reports.junit);
    } catch (error) {
      await Deno.remove(partial).catch(() => {});
      throw new QueuectlError(`Cannot write --junit "${reports.junit}": ${errorMessage(error)}`);
    }
  }
  if (!reports.github) return;
  context.stderr(githubAnnotations(reported));
  const summary = context.env("GITHUB_STEP_SUMMARY");
  if (!summary) return;
  try {
    await Deno.writeTextFile(hostPath.resolve(context.cwd, summary), githubStepSummary(reported), {
      append: true,
    });
  } catch (error) {
    // The summary is a courtesy: the command's own outcome stands.
    context.stderr(
      `Warning: cannot append to GITHUB_STEP_SUMMARY "${summary}": ${errorMessage(error)}\n`,
    );
  }
}
