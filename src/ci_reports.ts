/**
 * Reports for CI of jobs a command waited for (`queuectl wait`; `run` may share them): a JUnit
 * XML file, GitHub Actions workflow-command annotations, and a Markdown step summary. Pure
 * functions of the jobs with their runs: the command reads the store, these build the text.
 *
 * How a job is reported, in every format:
 * - `completed`: a passed test case;
 * - `dead` or `canceled`: a failure, with the job's last error and the tail of its last run's
 *   standard error;
 * - any other state (the wait timed out first): an error (JUnit `<error>`, not `<failure>`: the
 *   test did not get to an outcome), "not finished".
 *
 * @module
 */
import type { Job, JobRun } from "./job.ts";
import { tailText } from "./worker/output_tail.ts";

/** A job as a report shows it: the job and its runs, oldest first. */
export interface ReportedJob {
  job: Job;
  runs: JobRun[];
}

/** How a report classes a job. */
export type ReportOutcome = "passed" | "failed" | "not finished";

/** At most this many characters of a run's standard error go into a failure's text. */
export const STDERR_TAIL_CHARS = 4000;

/** `passed` for completed, `failed` for dead or canceled, else `not finished`. */
export function reportOutcome(job: Job): ReportOutcome {
  if (job.state === "completed") return "passed";
  if (job.state === "dead" || job.state === "canceled") return "failed";
  return "not finished";
}

/** The last run's duration in seconds (0 without a run, or when its times are not usable). */
export function lastRunSeconds(runs: JobRun[]): number {
  const last = runs.at(-1);
  if (!last) return 0;
  const ms = last.finishedAt - last.startedAt;
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

/** The kept tail of the last run's standard error, at most `STDERR_TAIL_CHARS` characters. */
export function lastStderrTail(runs: JobRun[]): string {
  const last = runs.at(-1);
  if (!last) return "";
  const text = tailText(last.stderr, last.stderrBytes);
  return text.length > STDERR_TAIL_CHARS ? `…${text.slice(-STDERR_TAIL_CHARS)}` : text;
}

/** One line saying why a job is not passed, e.g. `dead: exit code 1`. */
export function failureSummary(job: Job): string {
  if (reportOutcome(job) === "not finished") {
    return `not finished: still ${job.state} when the wait ended`;
  }
  return job.lastError ? `${job.state}: ${job.lastError}` : job.state;
}

// --- JUnit XML ---------------------------------------------------------------------------------

/**
 * Characters XML 1.0 forbids in a document (C0 controls other than tab, line feed and carriage
 * return; lone surrogates; U+FFFE and U+FFFF). Escaping cannot save them, `&#1;` is forbidden
 * too, so they are replaced with U+FFFD.
 */
const XML_FORBIDDEN =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as XML character data: `&`, `<`, `>` and carriage return escaped, characters XML 1.0
 * forbids replaced with U+FFFD.
 *
 * @example
 * ```ts
 * import { xmlText } from "./ci_reports.ts";
 * console.assert(xmlText("a < b && \x1b[31m") === "a &lt; b &amp;&amp; \uFFFD[31m");
 * ```
 */
export function xmlText(text: string): string {
  // A carriage return as a reference: a parser would read a bare one (or CRLF) as a line feed.
  return text.replace(XML_FORBIDDEN, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
}

/**
 * Text as a double-quoted XML attribute value: as `xmlText`, plus `"` escaped and tab and line
 * feed as character references (a parser would turn them into spaces otherwise).
 *
 * @example
 * ```ts
 * import { xmlAttribute } from "./ci_reports.ts";
 * console.assert(xmlAttribute('say "hi"\n') === "say &quot;hi&quot;&#10;");
 * ```
 */
export function xmlAttribute(text: string): string {
  return xmlText(text).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
}

/** Seconds as JUnit writes them: a decimal with up to three places. */
function seconds(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** What `junitReport` needs besides the jobs. */
export interface JunitOptions {
  /** The test suite's name (default `queuectl`). */
  suiteName?: string;
  /** When the report was made, ms since the epoch (the suite's `timestamp`). */
  now: number;
}

/**
 * A JUnit XML document: one `<testsuite>` (inside `<testsuites>`) with one `<testcase>` per
 * job: `name` its id, `classname` its queue, `time` its last run's duration in seconds. A dead or
 * canceled job has a `<failure>` (`type` its state, `message` its last error, the text its last
 * error and the tail of its last run's stderr); a job not finished has an `<error>` of type
 * `not finished`. The counts (`tests`, `failures`, `errors`) and `time` (the sum of the cases')
 * are on both elements.
 *
 * @example
 * ```ts
 * import { junitReport } from "./ci_reports.ts";
 * const xml = junitReport([], { now: 0 });
 * console.assert(xml.includes('<testsuite name="queuectl" tests="0"'));
 * ```
 */
export function junitReport(jobs: ReportedJob[], options: JunitOptions): string {
  const name = xmlAttribute(options.suiteName ?? "queuectl");
  let failures = 0;
  let errors = 0;
  let total = 0;
  const cases: string[] = [];
  for (const { job, runs } of jobs) {
    const time = lastRunSeconds(runs);
    total += time;
    const open = `    <testcase name="${xmlAttribute(job.id)}" classname="${
      xmlAttribute(job.queue)
    }" time="${seconds(time)}"`;
    const outcome = reportOutcome(job);
    if (outcome === "passed") {
      cases.push(`${open}/>`);
      continue;
    }
    if (outcome === "failed") {
      failures++;
      const stderr = lastStderrTail(runs);
      const body = [
        `Job "${job.id}" ended ${job.state} after ${job.attempts} attempt(s)`,
        ...(job.lastError ? [`Last error: ${job.lastError}`] : []),
        `Command: ${job.command}`,
        ...(stderr ? ["Standard error (tail):", stderr] : []),
      ].join("\n");
      cases.push(
        `${open}>\n      <failure type="${xmlAttribute(job.state)}" message="${
          xmlAttribute(failureSummary(job))
        }">${xmlText(body)}</failure>\n    </testcase>`,
      );
      continue;
    }
    errors++;
    const body = `Job "${job.id}" was still ${job.state} when the wait ended ` +
      `(${job.attempts} attempt(s) so far)\nCommand: ${job.command}`;
    cases.push(
      `${open}>\n      <error type="not finished" message="${xmlAttribute(failureSummary(job))}">${
        xmlText(body)
      }</error>\n    </testcase>`,
    );
  }
  const counts = `tests="${jobs.length}" failures="${failures}" errors="${errors}" ` +
    `time="${seconds(total)}"`;
  const timestamp = new Date(options.now).toISOString().replace(/\.\d{3}Z$/, "");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${name}" ${counts}>`,
    `  <testsuite name="${name}" ${counts} skipped="0" timestamp="${timestamp}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}

// --- GitHub Actions ----------------------------------------------------------------------------

/**
 * Text as the message of a GitHub workflow command: `%`, `\r` and `\n` escaped as GitHub's
 * runner unescapes them.
 *
 * @example
 * ```ts
 * import { workflowCommandData } from "./ci_reports.ts";
 * console.assert(workflowCommandData("100%\nok") === "100%25%0Aok");
 * ```
 */
export function workflowCommandData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/**
 * Text as a property value of a GitHub workflow command: as `workflowCommandData`, plus `:` and
 * `,`, which would end the value.
 *
 * @example
 * ```ts
 * import { workflowCommandProperty } from "./ci_reports.ts";
 * console.assert(workflowCommandProperty("a:b,c") === "a%3Ab%2Cc");
 * ```
 */
export function workflowCommandProperty(text: string): string {
  return workflowCommandData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * `::error title=…::…` lines, one per job that did not pass (dead, canceled or not finished),
 * for stderr: GitHub Actions shows each as an annotation. Empty when every job passed.
 *
 * @example
 * ```ts
 * import { githubAnnotations } from "./ci_reports.ts";
 * console.assert(githubAnnotations([]) === "");
 * ```
 */
export function githubAnnotations(jobs: ReportedJob[]): string {
  return jobs.filter(({ job }) => reportOutcome(job) !== "passed").map(({ job, runs }) => {
    const title = `queuectl job "${job.id}" ${
      reportOutcome(job) === "failed" ? job.state : "not finished"
    }`;
    const stderr = reportOutcome(job) === "failed" ? lastStderrTail(runs) : "";
    const message = [failureSummary(job), ...(stderr ? [stderr] : [])].join("\n");
    return `::error title=${workflowCommandProperty(title)}::${workflowCommandData(message)}\n`;
  }).join("");
}

/**
 * Text as one cell of a GitHub Markdown table: `|` escaped, line breaks as spaces, `&`, `<`, `>`
 * as entities (GitHub would take them as HTML), `` ` `` escaped, and at most 200 characters.
 *
 * @example
 * ```ts
 * import { markdownCell } from "./ci_reports.ts";
 * console.assert(markdownCell("a | b\n<c>") === "a \\| b &lt;c&gt;");
 * ```
 */
export function markdownCell(text: string): string {
  const line = text.replace(/\r\n|\r|\n/g, " ").trim();
  const short = line.length > 200 ? `${line.slice(0, 199)}…` : line;
  return short.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/`/g, "\\`");
}

/**
 * A Markdown step summary: a heading with the counts per state, and a table of the jobs (id,
 * queue, state, attempts, the last run's duration, the last error), the ones not passed first.
 *
 * @example
 * ```ts
 * import { githubStepSummary } from "./ci_reports.ts";
 * console.assert(githubStepSummary([]).startsWith("### queuectl: 0 job(s)"));
 * ```
 */
export function githubStepSummary(jobs: ReportedJob[]): string {
  const counts = new Map<string, number>();
  for (const { job } of jobs) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
  const heading = `### queuectl: ${jobs.length} job(s)` +
    (counts.size ? `, ${[...counts].map(([state, n]) => `${n} ${state}`).join(", ")}` : "");
  const rank = { "not finished": 0, failed: 1, passed: 2 };
  const sorted = [...jobs].sort((a, b) => rank[reportOutcome(a.job)] - rank[reportOutcome(b.job)]);
  const rows = sorted.map(({ job, runs }) => {
    const time = runs.length ? `${seconds(lastRunSeconds(runs))} s` : "";
    const error = reportOutcome(job) === "not finished"
      ? failureSummary(job)
      : job.state === "completed"
      ? ""
      : job.lastError ?? "";
    return `| ${markdownCell(job.id)} | ${markdownCell(job.queue)} | ${
      markdownCell(job.state)
    } | ` +
      `${job.attempts} | ${time} | ${markdownCell(error)} |`;
  });
  return [
    heading,
    "",
    "| Job | Queue | State | Attempts | Duration | Last error |",
    "| --- | --- | --- | ---: | ---: | --- |",
    ...rows,
    "",
    "",
  ].join("\n");
}
