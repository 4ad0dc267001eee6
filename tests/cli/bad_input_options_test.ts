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
