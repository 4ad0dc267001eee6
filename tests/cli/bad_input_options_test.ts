/**
 * Bad input to the job-option commands and flags, table-driven like `bad_input_test.ts`: every
 * case runs one wrong command line against a database that holds data (a completed job, a dead
 * one, a pending one, a config override) and checks that queuectl answers with the documented
 * exit code and one plain line on stderr, prints nothing on stdout, and changes nothing.
 *
 * @module
 */
import { join } from "node:path";
import { type BadInputCase, badInputTest, NOT_FOUND, USAGE } from "../helpers/bad_input.ts";
import type { Sandbox } from "../helpers/cli.ts";

/** `enqueue ARGS... -- true`: a good job with a bad flag. */
const enqueueWith = (...args: string[]) => () => ["enqueue", ...args, "--", "true"];
const enqueueJson = (job: Record<string, unknown>) => () => ["enqueue", JSON.stringify(job)];

/** Writes a good one-job JSON-lines file into the sandbox and returns its path. */
async function jobsFile(sandbox: Sandbox): Promise<string> {
  const path = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(path, '{"command":"echo from file"}\n');
  return path;
}

const CASES: BadInputCase[] = [
  {
    intent: "enqueue --priority that is not an integer",
    args: enqueueWith("--priority", "1.5"),
    code: USAGE,
    message: /--priority.*1\.5/,
  },
  {
    intent: "enqueue --priority that is a word",
    args: enqueueWith("--priority", "abc"),
    code: USAGE,
    message: /--priority.*abc/,
  },
  {
    intent: "enqueue --priority beyond its range",
    args: enqueueWith("--priority", "2000000"),
    code: USAGE,
    message: /--priority/,
  },
  {
    intent: "enqueue --queue with a space in the name",
    args: enqueueWith("--queue", "bad name"),
    code: USAGE,
    message: /--queue "bad name"/,
  },
  {
    intent: "enqueue --delay that is not a duration",
    args: enqueueWith("--delay", "soon"),
    code: USAGE,
    message: /--delay "soon"/,
  },
  {
    intent: "enqueue --run-at that is not an ISO time",
    args: enqueueWith("--run-at", "tomorrow"),
    code: USAGE,
    message: /--run-at "tomorrow"/,
  },
  {
    intent: "enqueue --run-at of a day that does not exist (30 February)",
    args: enqueueWith("--run-at", "2030-02-30T09:00:00Z"),
    code: USAGE,
    message: /--run-at "2030-02-30T09:00:00Z"/,
  },
  {
    intent: "enqueue JSON with both run_at and delay",
    args: enqueueJson({ command: "true", run_at: "2030-01-01T00:00:00Z", delay: "5m" }),
    code: USAGE,
    message: /run_at.*delay.*not both/,
  },
  {
    intent: "enqueue --run-at and --delay together",
    args: enqueueWith("--run-at", "2030-01-01T00:00:00Z", "--delay", "5m"),
    code: USAGE,
    message: /not both/,
  },
  {
    intent: "enqueue JSON with a delay that is negative",
    args: enqueueJson({ command: "true", delay: -5 }),
    code: USAGE,
    message: /delay/,
  },
  {
    intent: "enqueue JSON env with a variable name starting with a digit",
    args: enqueueJson({ command: "x", env: { "1BAD": "v" } }),
    code: USAGE,
    message: /"1BAD"/,
  },
  {
    intent: "enqueue JSON env with a value that is not a string",
    args: enqueueJson({ command: "x", env: { GOOD: 1 } }),
    code: USAGE,
    message: /env value for GOOD/,
  },
  {
    intent: "enqueue JSON env that is an array",
    args: enqueueJson({ command: "x", env: ["A=1"] }),
    code: USAGE,
    message: /env/,
  },
  {
    intent: "enqueue --env setting one of queuectl's own variables",
    args: enqueueWith("--env", "QUEUECTL_DB=/tmp/other.db"),
    code: USAGE,
    message: /QUEUECTL_DB/,
  },
  {
    intent: "enqueue --env without NAME=VALUE",
    args: enqueueWith("--env", "NOEQUALS"),
    code: USAGE,
    message: /--env "NOEQUALS"/,
  },
  {
    intent: "enqueue --backoff-base 0",
    args: enqueueWith("--backoff-base", "0"),
    code: USAGE,
    message: /--backoff-base/,
  },
  {
    intent: "enqueue JSON backoff_base as a string",
    args: enqueueJson({ command: "true", backoff_base: "2" }),
    code: USAGE,
    message: /backoff_base/,
  },
  {
    intent: "enqueue --cwd that is empty",
    args: enqueueWith("--cwd", ""),
    code: USAGE,
    message: /--cwd/,
  },
  {
    intent: "enqueue JSON priority as a string",
    args: enqueueJson({ command: "true", priority: "high" }),
    code: USAGE,
    message: /priority/,
  },
  {
    intent: "queue set-concurrency to 0",
    args: () => ["queue", "set-concurrency", "q", "0"],
    code: USAGE,
    message: /"0"/,
  },
  {
    intent: "queue set-concurrency to a word",
    args: () => ["queue", "set-concurrency", "q", "abc"],
    code: USAGE,
    message: /"abc"/,
  },
  {
    intent: "queue set-concurrency without a limit",
    args: () => ["queue", "set-concurrency", "q"],
    code: USAGE,
  },
  {
    intent: "queue set-concurrency of a queue name with a space",
    args: () => ["queue", "set-concurrency", "bad name", "1"],
    code: USAGE,
    message: /"bad name"/,
  },
  // Issue #20: pausing queues, and exit-code lists (job flags, JSON fields, queue set-retry).
  {
    intent: "queue pause of a queue name with a space",
    args: () => ["queue", "pause", "bad name"],
    code: USAGE,
    message: /"bad name"/,
  },
  {
    intent: "queue pause with both --until and --for",
    args: () => ["queue", "pause", "q", "--until", "2099-01-01T00:00:00Z", "--for", "1h"],
    code: USAGE,
    message: /--until or --for, not both/,
  },
  {
    intent: "queue pause --until a time in the past",
    args: () => ["queue", "pause", "q", "--until", "2001-01-01T00:00:00Z"],
    code: USAGE,
    message: /--until "2001-01-01T00:00:00Z": it is not in the future/,
  },
  {
    intent: "queue pause --until that is not an ISO time",
    args: () => ["queue", "pause", "q", "--until", "tomorrow"],
    code: USAGE,
    message: /--until "tomorrow"/,
  },
  {
    intent: "queue pause --for that is not a duration",
    args: () => ["queue", "pause", "q", "--for", "a while"],
    code: USAGE,
    message: /--for "a while"/,
  },
  {
    intent: "queue pause --for of zero",
    args: () => ["queue", "pause", "q", "--for", "0s"],
    code: USAGE,
    message: /--for "0s"/,
  },
  {
    intent: "queue pause without a name",
    args: () => ["queue", "pause"],
    code: USAGE,
  },
  {
    intent: "queue resume of two queues at once",
    args: () => ["queue", "resume", "a", "b"],
    code: USAGE,
  },
  {
    intent: "enqueue --retry-on with an exit code over 255",
    args: enqueueWith("--retry-on", "75,256"),
    code: USAGE,
    message: /--retry-on "75,256": "256" is not an exit code/,
  },
  {
    intent: "enqueue --no-retry-on with a negative exit code",
    args: enqueueWith("--no-retry-on", "-1"),
    code: USAGE,
    message: /--no-retry-on/,
  },
  {
    intent: "enqueue --retry-on that is empty",
    args: enqueueWith("--retry-on", ""),
    code: USAGE,
    message: /--retry-on ""/,
  },
  {
    intent: "enqueue --retry-on with a word",
    args: enqueueWith("--retry-on", "75,abc"),
    code: USAGE,
    message: /"abc" is not an exit code/,
  },
  {
    intent: "enqueue --retry-on with 65 exit codes (at most 64)",
    args: enqueueWith("--retry-on", Array.from({ length: 65 }, (_, code) => code).join(",")),
    code: USAGE,
    message: /1 to 64 exit codes, got 65/,
  },
  {
    intent: "enqueue with both --retry-on and --no-retry-on",
    args: enqueueWith("--retry-on", "75", "--no-retry-on", "2"),
    code: USAGE,
    message: /--retry-on or --no-retry-on, not both/,
  },
  {
    intent: "enqueue JSON with both retry_on and no_retry_on",
    args: enqueueJson({ command: "true", retry_on: [75], no_retry_on: [2] }),
    code: USAGE,
    message: /"retry_on" or "no_retry_on", not both/,
  },
  {
    intent: "enqueue JSON with retry_on that is not an array",
    args: enqueueJson({ command: "true", retry_on: 75 }),
    code: USAGE,
    message: /Invalid retry_on: expected an array/,
  },
  {
    intent: "enqueue JSON with no_retry_on holding a fraction",
    args: enqueueJson({ command: "true", no_retry_on: [2.5] }),
    code: USAGE,
    message: /no_retry_on: 2\.5 is not an exit code/,
  },
  {
    intent: "enqueue JSON with no_retry_on holding a string",
    args: enqueueJson({ command: "true", no_retry_on: ["2"] }),
    code: USAGE,
    message: /no_retry_on: "2" is not an exit code/,
  },
  {
    intent: "enqueue JSON with an empty retry_on",
    args: enqueueJson({ command: "true", retry_on: [] }),
    code: USAGE,
    message: /retry_on: expected 1 to 64 exit codes, got 0/,
  },
  {
    intent: "enqueue --file whose line has both lists",
    args: async (sandbox) => {
      const path = join(sandbox.dir, "lists.jsonl");
      await Deno.writeTextFile(path, '{"command":"true","retry_on":[1],"no_retry_on":[2]}\n');
      return ["enqueue", "--file", path];
    },
    code: USAGE,
    message: /not both/,
  },
  {
    intent: "queue set-retry with no list and no --clear",
    args: () => ["queue", "set-retry", "q"],
    code: USAGE,
    message: /--retry-on CODES, --no-retry-on CODES or --clear/,
  },
  {
    intent: "queue set-retry with both lists",
    args: () => ["queue", "set-retry", "q", "--retry-on", "75", "--no-retry-on", "2"],
    code: USAGE,
    message: /only one of/,
  },
  {
    intent: "queue set-retry with a list and --clear",
    args: () => ["queue", "set-retry", "q", "--retry-on", "75", "--clear"],
    code: USAGE,
    message: /only one of/,
  },
  {
    intent: "queue set-retry with an exit code of 300",
    args: () => ["queue", "set-retry", "q", "--no-retry-on", "300"],
    code: USAGE,
    message: /--no-retry-on "300"/,
  },
  {
    intent: "queue set-retry of a queue name with a space",
    args: () => ["queue", "set-retry", "bad name", "--clear"],
    code: USAGE,
    message: /"bad name"/,
  },
  {
    intent: "logs of a job that does not exist",
    args: () => ["logs", "no-such-job"],
    code: NOT_FOUND,
    message: /no-such-job/,
  },
  {
    intent: "logs with both --stdout and --stderr",
    args: () => ["logs", "done", "--stdout", "--stderr"],
    code: USAGE,
    message: /--stdout.*--stderr/,
  },
  {
    intent: "logs --attempt 0",
    args: () => ["logs", "done", "--attempt", "0"],
    code: USAGE,
    message: /--attempt "0"/,
  },
  {
    intent: "logs --follow of an earlier attempt",
    args: () => ["logs", "done", "--attempt", "1", "--follow"],
    code: USAGE,
    message: /--follow/,
  },
  {
    intent: "wait with no id",
    args: () => ["wait"],
    code: USAGE,
    message: /id/,
  },
  {
    intent: "wait with a timeout that is not a duration",
    args: () => ["wait", "done", "--timeout", "soon"],
    code: USAGE,
    message: /--timeout "soon"/,
  },
  {
    intent: "cancel with no id",
    args: () => ["cancel"],
    code: USAGE,
    message: /id/,
  },
  {
    intent: "cancel of a job that does not exist",
    args: () => ["cancel", "waiting", "no-such-job"],
    code: NOT_FOUND,
    message: /no-such-job/,
  },
  {
    intent: "purge without --older-than",
    args: () => ["purge"],
    code: USAGE,
    message: /--older-than/,
  },
  {
    intent: "purge of pending jobs",
    args: () => ["purge", "--state", "pending", "--older-than", "1d"],
    code: USAGE,
    message: /pending/,
  },
  {
    intent: "purge --older-than that is not a duration",
    args: () => ["purge", "--older-than", "old"],
    code: USAGE,
    message: /--older-than "old"/,
  },
  {
    intent: "list --sort by something unknown",
    args: () => ["list", "--sort", "weird"],
    code: USAGE,
    message: /--sort "weird"/,
  },
  {
    intent: "list --since a word",
    args: () => ["list", "--since", "yesterday"],
    code: USAGE,
    message: /--since "yesterday"/,
  },
  {
    intent: "list --queue with a space in the name",
    args: () => ["list", "--queue", "a b"],
    code: USAGE,
    message: /"a b"/,
  },
  {
    intent: "config set output_limit below 1024 bytes",
    args: () => ["config", "set", "output_limit", "10"],
    code: USAGE,
    message: /"10" for output_limit/,
  },
  {
    intent: "config set retention negative",
    args: () => ["config", "set", "retention", "-1"],
    code: USAGE,
    message: /"-1" for retention/,
  },
  {
    intent: "enqueue --file that does not exist",
    args: () => ["enqueue", "--file", "/nonexistent/jobs.jsonl"],
    code: USAGE,
    message: /\/nonexistent\/jobs\.jsonl/,
  },
  {
    intent: "enqueue --file with --id (one id for many jobs)",
    args: async (sandbox) => ["enqueue", "--file", await jobsFile(sandbox), "--id", "x"],
    code: USAGE,
    message: /--id/,
    files: (sandbox) => [join(sandbox.dir, "jobs.jsonl")],
  },
  {
    intent: "enqueue --file and a job argument both",
    args: async (sandbox) => ["enqueue", "--file", await jobsFile(sandbox), "--", "true"],
    code: USAGE,
    message: /--file/,
    files: (sandbox) => [join(sandbox.dir, "jobs.jsonl")],
  },
  {
    intent: "enqueue --file of an empty file",
    args: async (sandbox) => {
      const path = join(sandbox.dir, "empty.jsonl");
      await Deno.writeTextFile(path, "\n\n");
      return ["enqueue", "--file", path];
    },
    code: USAGE,
    message: /No jobs/,
  },
  {
    intent: "enqueue --file - with a bad second line on stdin",
    args: () => ["enqueue", "--file", "-"],
    stdin: '{"command":"true"}\n{"command":}\n',
    code: USAGE,
    message: /Line 2/,
  },
  {
    intent: "worker start --queue with a space in the name",
    args: () => ["worker", "start", "--queue", "a b"],
    code: USAGE,
    message: /--queue "a b"/,
  },
];

badInputTest(
  "bad job-option input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
);

/** `run ARGS... -- true`: one good job with bad flags. */
const runWith = (...args: string[]) => () => ["run", ...args, "--", "true"];

/** Writes a JSON-lines file with `text` into the sandbox and returns its path. */
async function runFile(sandbox: Sandbox, text: string): Promise<string> {
  const path = join(sandbox.dir, "run.jsonl");
  await Deno.writeTextFile(path, text);
  return path;
}

/** `run`: every bad input is refused before anything is enqueued or run. */
const RUN_CASES: BadInputCase[] = [
  {
    intent: "run with no jobs",
    args: () => ["run"],
    code: USAGE,
    message: /No jobs: give commands after "--"/,
  },
  {
    intent: "run with nothing after --",
    args: () => ["run", "--workers", "2", "--"],
    code: USAGE,
    message: /No jobs/,
  },
  {
    intent: "run with a command not after --",
    args: () => ["run", "make test"],
    code: USAGE,
    message: /Unexpected argument "make test": put the commands after "--"/,
  },
  {
    intent: "run with an empty command after --",
    args: () => ["run", "--", "true", ""],
    code: USAGE,
    message: /command 2 after "--"/,
  },
  {
    intent: "run --file that does not exist",
    args: () => ["run", "--file", "/nonexistent/jobs.jsonl", "--", "true"],
    code: USAGE,
    message: /Cannot read jobs from "\/nonexistent\/jobs\.jsonl"/,
  },
  {
    intent: "run --file with a bad second line (the commands after -- are not run either)",
    args: async (sandbox) => [
      "run",
      "--file",
      await runFile(sandbox, '{"command":"true"}\n{"command":}\n'),
      "--",
      "true",
    ],
    code: USAGE,
    message: /Line 2 of ".*run\.jsonl"/,
    files: (sandbox) => [join(sandbox.dir, "run.jsonl")],
  },
  {
    intent: "run --file with a line whose field is bad",
    args: async (sandbox) => [
      "run",
      "--file",
      await runFile(sandbox, '{"command":"true","priority":"high"}\n'),
    ],
    code: USAGE,
    message: /Line 1 of .*priority/,
  },
  {
    intent: "run --file of an empty file",
    args: async (sandbox) => ["run", "--file", await runFile(sandbox, "\n\n")],
    code: USAGE,
    message: /No jobs in/,
  },
  {
    intent: "run --file - with a bad line on stdin",
    args: () => ["run", "--file", "-"],
    stdin: '{"command":"true"}\nnot json\n',
    code: USAGE,
    message: /Line 2 of "-"/,
  },
  {
    intent: "run --workers 0",
    args: runWith("--workers", "0"),
    code: USAGE,
    message: /Invalid --workers "0": expected an integer from 1 to 256/,
  },
  {
    intent: "run --workers that is not a number",
    args: runWith("--workers", "many"),
    code: USAGE,
    message: /--workers "many"/,
  },
  {
    intent: "run --workers that is not an integer",
    args: runWith("--workers", "1.5"),
    code: USAGE,
    message: /--workers "1\.5"/,
  },
  {
    intent: "run --workers beyond 256",
    args: runWith("--workers", "257"),
    code: USAGE,
    message: /--workers "257"/,
  },
  {
    intent: "run --timeout that is not a duration",
    args: runWith("--timeout", "soon"),
    code: USAGE,
    message: /--timeout "soon"/,
  },
  {
    intent: "run --timeout of 10^14 days",
    args: runWith("--timeout", "99999999999999d"),
    code: USAGE,
    message: /--timeout/,
  },
  {
    intent: "run --junit in a directory that does not exist",
    args: (sandbox) => runWith("--junit", join(sandbox.dir, "no", "junit.xml"))(),
    code: USAGE,
    message: /Cannot write --junit ".*": directory ".*" does not exist/,
  },
  {
    intent: "run --keep with a database given (QUEUECTL_DB): its jobs stay anyway",
    args: runWith("--keep"),
    code: USAGE,
    message: /--keep is for the throw-away database/,
  },
  {
    intent: "run --priority that is a word (a default of every job)",
    args: runWith("--priority", "abc"),
    code: USAGE,
    message: /--priority.*abc/,
  },
  {
    intent: "run --queue with a space in the name",
    args: runWith("--queue", "bad name"),
    code: USAGE,
    message: /--queue "bad name"/,
  },
  {
    intent: "run --job-timeout that is negative",
    args: runWith("--job-timeout", "-1"),
    code: USAGE,
    message: /--job-timeout/,
  },
  {
    intent: "run --max-retries beyond its range",
    args: runWith("--max-retries", "1001"),
    code: USAGE,
    message: /--max-retries/,
  },
  {
    intent: "run --env without =",
    args: runWith("--env", "NOVALUE"),
    code: USAGE,
    message: /--env "NOVALUE"/,
  },
  {
    intent: "run --shell that is not a shell",
    args: runWith("--shell", "nosuchshell"),
    code: USAGE,
    message: /--shell/,
  },
  {
    intent: "run --delay and --run-at together",
    args: runWith("--delay", "5m", "--run-at", "2030-01-01T00:00:00Z"),
    code: USAGE,
    message: /not both/,
  },
  {
    intent: "run --id (one id for many jobs): not an option of run",
    args: runWith("--id", "x"),
    code: USAGE,
    message: /Unknown option "--id" for "queuectl run"/,
  },
];

badInputTest(
  "bad run input exits 2 with one line on stderr, enqueues nothing and runs nothing",
  RUN_CASES,
);
