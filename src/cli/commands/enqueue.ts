import { type BatchSpec, enqueueJobs } from "../../enqueue.ts";
import { UsageError } from "../../errors.ts";
import {
  checkUniquePolicy,
  type JobSpec,
  MAX_COMMAND_BYTES,
  parseJobSpec,
  validateCommand,
  validateJobId,
  validateQueueName,
} from "../../job_spec.ts";
import type { JobInsertResult } from "../../store/mod.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";
import { checkWhen, commandFromRest, JOB_OPTIONS, jobSpecFromFlags } from "../flags.ts";
import { readJobFile } from "../job_lines.ts";
import { enqueuedJobToJson } from "../../json_contract.ts";
import { isoTime } from "../../clock.ts";
import { json } from "../render.ts";

/** `queuectl enqueue`: adds one job (or a file of them) and prints the id(s). */
export const enqueueCommand: CommandDefinition = {
  path: ["enqueue"],
  summary: "Add a job to the queue and print its id",
  usage: [
    'enqueue \'{"id":"job1","command":"sleep 2"}\'',
    "enqueue [options] -- COMMAND [ARG...]",
    "enqueue [options] --file jobs.jsonl     (or --file - for stdin)",
    "enqueue --batch NAME [--on-complete CMD] [--on-failure CMD] [options] (--file PATH | -- COMMAND)",
  ],
  description: `
A job is a shell command, run as \`sh -c COMMAND\` (cmd.exe on Windows; see --shell) in the
directory it was enqueued from. Give it as a JSON object or after "--". After "--", one argument
is taken as a shell command line as it is; several are quoted one by one for the job's shell
(--shell, else this platform's default), so they reach the program exactly as given. A single
argument that does not start with "{" or "[" is also taken as the command.

JSON fields: command (required), id, max_retries, timeout (seconds), priority (higher runs
first), queue, run_at (ISO 8601) or delay ("30s", "5m", or seconds), backoff_base, cwd, env
(an object of strings), after (ids of jobs that must complete first), unique_key, unique_policy,
debounce_max ("5m" or seconds), shell (the shell that runs it; default: the shell config when it
runs), retry_on or no_retry_on (exit codes
0-255 that alone are retried, or that are never retried: a failure with another code, or with
one of these, goes to the DLQ at once; default: the queue's, see "queue set-retry"), on_finish
and on_finish_when (see below), batch (the batch it joins; see Batches below), group_key (a
tenant, a host: with "queue set-group-concurrency", at most N jobs of one key run at once). The
flags below set the same fields; with --file they are defaults for every line. --file adds one
JSON job per line, all or none, in one transaction.

A job with "after" waits (state blocked) until all those jobs completed; if one ends dead or
canceled, it is canceled too. A job whose unique key is held by an unfinished job is not added:
enqueue prints that job's id instead, exits 0, and says so on stderr. --unique-policy (JSON
unique_policy) changes that for a holder still waiting: "replace" cancels it and adds this job
(jobs waiting on it wait on this one); "debounce" keeps it, gives it this job's command, env, cwd
and shell, and moves its run time to this job's, never earlier, and with --debounce-max (JSON
debounce_max) never past its own enqueue time + that. A running holder is never touched. With
--json, "existing", "unique_outcome" (added, kept, replaced, debounced) and "replaced_id" say what
happened.

Finish hooks: on_finish (--on-finish) is a command run as a job of its own when this job ends
completed, dead or canceled (on_finish_when, e.g. ["dead","canceled"], limits it to those),
added in the same transaction that ends the job. It runs in the job's queue, directory and
shell, with QUEUECTL_JOB_ID, QUEUECTL_JOB_STATE, QUEUECTL_JOB_EXIT_CODE (empty when none),
QUEUECTL_JOB_QUEUE, QUEUECTL_JOB_COMMAND and QUEUECTL_JOB_ERROR naming the job that ended. An
http:// or https:// URL is a webhook: the hook job POSTs the job's JSON (as "info --json") to
it; a non-2xx answer fails the hook job, which is retried like any job. The config keys
on_completed, on_dead and on_canceled add a hook to every job (see "config set").

Batches: --batch NAME puts the job (or every line of --file; a line may name its own "batch")
in a batch, created with its first jobs. The batch settles when its last unfinished job ends
(completed, dead or canceled, however: a run, a cancel, a canceled parent): then, exactly once,
--on-complete CMD is enqueued if every job completed, else --on-failure CMD, in the queue of
the jobs, with QUEUECTL_BATCH, QUEUECTL_BATCH_OUTCOME (completed or failed) and
QUEUECTL_BATCH_COMPLETED, _DEAD and _CANCELED (counts) in its environment. The callbacks are
set when the batch is created (a later --on-complete must be the same), and wait as blocked
jobs until it settles; the one that does not apply is canceled. Adding jobs to a settled batch
is refused (exit 5); a job of a settled batch retried leaves it settled, its callback not run
again. See "batch list", "batch info" and "wait --batch".

Limits: a command is at most ${MAX_COMMAND_BYTES} bytes (127 KiB) of UTF-8, and so is each env
NAME=VALUE (Linux starts no program with a longer argument; put a longer script in a file); a
run time is from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, a delay at most 100 years.
Text must be valid UTF-8 (files, stdin) or Unicode (no lone surrogates like "\\ud800" in JSON).`,
  options: {
    id: {
      type: "string",
      valueName: "ID",
      description: "the job's id (default: generated, sorts by time)",
    },
    ...JOB_OPTIONS,
    file: {
      type: "string",
      short: "f",
      valueName: "PATH",
      description: "enqueue every JSON line of PATH (- = stdin), all or none",
    },
    batch: {
      type: "string",
      valueName: "NAME",
      description: "add the job(s) to batch NAME (created with its first jobs)",
    },
    "on-complete": {
      type: "string",
      valueName: "CMD",
      description: "with --batch: enqueue CMD once, when every job of the batch completed",
    },
    "on-failure": {
      type: "string",
      valueName: "CMD",
      description: "with --batch: enqueue CMD once, when it settled with a job dead or canceled",
    },
    json: { type: "boolean", description: "print the new job as JSON instead of its id" },
  },
  examples: [
    `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
    "queuectl enqueue -- ./build.sh --release",
    "queuectl enqueue --priority 10 --queue deploy --delay 5m -- ./deploy.sh",
    "queuectl enqueue --max-retries 5 --timeout 600 -- 'make test && make deploy'",
    "queuectl enqueue --file jobs.jsonl",
    "queuectl enqueue --id test --after build -- make test",
    "queuectl enqueue --unique nightly-report -- ./report.sh",
    "queuectl enqueue --unique build --unique-policy debounce --delay 5s --debounce-max 1m -- make",
    "queuectl enqueue --unique deploy --unique-policy replace -- ./deploy.sh v2",
    "queuectl enqueue --shell bash -- '[[ -f done ]] || ./build.sh'",
    "queuectl enqueue --retry-on 75,111 -- ./sync.sh",
    `queuectl enqueue --on-finish 'notify-send "$QUEUECTL_JOB_ID $QUEUECTL_JOB_STATE"' -- ./backup.sh`,
    "queuectl enqueue --on-finish https://hooks.example.com/q --on-finish-when dead -- ./etl.sh",
    "queuectl enqueue --file thumbs.jsonl --batch thumbs --on-complete './publish.sh' --on-failure './alert.sh'",
  ],
  async run(context, args) {
    const defaults = specFromFlags(args.values);
    const batch = batchFromFlags(args.values);
    if (args.values.file !== undefined) return await enqueueFile(context, args, defaults, batch);
    // Flags are the most specific: they win over the same fields in the JSON.
    const spec = { ...specFromArgs(args, defaults.shell), ...defaults };
    // A list given as a flag replaces the JSON's list of either kind (one list per job).
    if (defaults.retryOn !== undefined) delete spec.noRetryOn;
    if (defaults.noRetryOn !== undefined) delete spec.retryOn;
    checkWhen(spec);
    checkUniquePolicy(spec);
    const store = await context.store();
    const [result] = await enqueueJobs(store, context.clock, [spec], { cwd: context.cwd, batch });
    reportUniqueKeys(context, [result], [spec]);
    context.stdout(args.values.json ? json(enqueuedJobToJson(result)) : `${result.job.id}\n`);
  },
};

/** The job from the positional arguments: JSON, or a command line (quoted for `shell`). */
function specFromArgs(args: ParsedArgs, shell: string | undefined): JobSpec {
  const { positionals, rest } = args;
  if (rest !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}" before "--"`);
    }
    return { command: commandFromRest(rest, shell) };
  }
  if (positionals.length === 1) {
    return /^\s*[{[]/.test(positionals[0])
      ? parseJobSpec(positionals[0])
      : { command: validateCommand(positionals[0]) };
  }
  if (positionals.length === 0) {
    throw new UsageError('Missing job: give a JSON object, a command after "--", or --file');
  }
  throw new UsageError(
    `Too many arguments: quote the JSON as one argument, or put the command after "--"`,
  );
}

/** Enqueues every line of a JSON-lines file in one transaction. */
async function enqueueFile(
  context: CommandContext,
  args: ParsedArgs,
  defaults: Partial<JobSpec>,
  batch: BatchSpec | undefined,
): Promise<void> {
  if (args.positionals.length > 0 || args.rest !== undefined) {
    throw new UsageError("Give jobs either with --file or as arguments, not both");
  }
  if (defaults.id !== undefined) throw new UsageError("--id cannot be used with --file");
  const path = args.values.file as string;
  const specs = await readJobFile(context, path, defaults);
  if (specs.length === 0) throw new UsageError(`No jobs in "${path}"`);
  const store = await context.store();
  const results = await enqueueJobs(store, context.clock, specs, { cwd: context.cwd, batch });
  context.stdout(
    args.values.json
      ? json(results.map((result) => enqueuedJobToJson(result)))
      : results.map((result) => result.id).join("\n") + "\n",
  );
  reportUniqueKeys(context, results, specs);
  const added = results.filter((result) => !result.existing).length;
  const replaced = results.filter((result) => result.uniqueOutcome === "replaced").length;
  const debounced = results.filter((result) => result.uniqueOutcome === "debounced").length;
  context.stderr(
    `Enqueued ${added} job(s)${batch ? ` into batch "${batch.name}"` : ""}${
      replaced > 0 ? `, ${replaced} of them in place of a waiting job` : ""
    }${debounced > 0 ? `; debounced ${debounced} waiting job(s)` : ""}\n`,
  );
}

/**
 * Says what unique keys did: which jobs were not added because an unfinished job held their key
 * (and, for `replace` or `debounce`, that a running holder is never touched), which waiting
 * jobs were replaced, and which were debounced. At most ten lines.
 */
function reportUniqueKeys(
  context: CommandContext,
  results: JobInsertResult[],
  specs: JobSpec[],
): void {
  const lines: string[] = [];
  results.forEach((result, index) => {
    if (!result.existing && result.uniqueOutcome !== "replaced") return;
    const { job } = result;
    const key = JSON.stringify(job.uniqueKey);
    if (result.uniqueOutcome === "replaced") {
      lines.push(
        `Job "${job.id}" replaced job "${result.replacedId}", which held unique key ${key} (canceled)`,
      );
    } else if (result.uniqueOutcome === "debounced") {
      lines.push(
        `Job "${job.id}" (${job.state}) holds unique key ${key}: debounced, due at ${
          isoTime(job.runAt)
        }`,
      );
    } else {
      const policy = specs[index]?.uniquePolicy ?? "keep";
      const running = policy !== "keep" && job.state === "processing";
      lines.push(
        `Job "${job.id}" (${job.state}) holds unique key ${key}: not added again${
          running
            ? ` (a running job is not ${policy === "replace" ? "replaced" : "debounced"})`
            : ""
        }`,
      );
    }
  });
  for (const line of lines.slice(0, 10)) context.stderr(`${line}\n`);
  if (lines.length > 10) context.stderr(`… and ${lines.length - 10} more\n`);
}

/** `--batch NAME` with its callbacks, checked; undefined without `--batch`. */
function batchFromFlags(values: ParsedArgs["values"]): BatchSpec | undefined {
  const onComplete = values["on-complete"] as string | undefined;
  const onFailure = values["on-failure"] as string | undefined;
  if (values.batch === undefined) {
    if (onComplete !== undefined || onFailure !== undefined) {
      throw new UsageError(
        `${onComplete !== undefined ? "--on-complete" : "--on-failure"} needs --batch NAME`,
      );
    }
    return undefined;
  }
  return {
    name: validateQueueName(values.batch, "--batch"),
    onComplete: onComplete === undefined ? undefined : validateCommand(onComplete, "--on-complete"),
    onFailure: onFailure === undefined ? undefined : validateCommand(onFailure, "--on-failure"),
  };
}

/** The job fields given as flags: the job's, or with --file the defaults of every line. */
function specFromFlags(values: ParsedArgs["values"]): Partial<JobSpec> {
  const spec = jobSpecFromFlags(values);
  if (values.id !== undefined) spec.id = validateJobId(values.id as string);
  return spec;
}
