import { parseDuration } from "../../duration.ts";
import { enqueueJobs } from "../../enqueue.ts";
import { errorMessage, UsageError } from "../../errors.ts";
import {
  type JobSpec,
  jobSpecFromValue,
  MAX_COMMAND_BYTES,
  parseJobSpec,
  parseRunAt,
  validateAfter,
  validateBackoffBase,
  validateCommand,
  validateCwd,
  validateJobId,
  validateMaxRetries,
  validatePriority,
  validateQueueName,
  validateTimeout,
  validateUniqueKey,
} from "../../job_spec.ts";
import { validateShell } from "../../shell.ts";
import type { JobInsertResult } from "../../store/mod.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";
import { commandFromRest, envFlag, numberFlag } from "../flags.ts";
import { jobToJson } from "../../json_contract.ts";
import { json } from "../render.ts";

/** `queuectl enqueue`: adds one job (or a file of them) and prints the id(s). */
export const enqueueCommand: CommandDefinition = {
  path: ["enqueue"],
  summary: "Add a job to the queue and print its id",
  usage: [
    'enqueue \'{"id":"job1","command":"sleep 2"}\'',
    "enqueue [options] -- COMMAND [ARG...]",
    "enqueue [options] --file jobs.jsonl     (or --file - for stdin)",
  ],
  description: `
A job is a shell command, run as \`sh -c COMMAND\` (cmd.exe on Windows; see --shell) in the
directory it was enqueued from. Give it as a JSON object or after "--". After "--", one argument
is taken as a shell command line as it is; several are quoted one by one for the job's shell
(--shell, else this platform's default), so they reach the program exactly as given. A single
argument that does not start with "{" or "[" is also taken as the command.

JSON fields: command (required), id, max_retries, timeout (seconds), priority (higher runs
first), queue, run_at (ISO 8601) or delay ("30s", "5m", or seconds), backoff_base, cwd, env
(an object of strings), after (ids of jobs that must complete first), unique_key, shell (the
shell that runs it; default: the shell config when it runs). The flags below set the same
fields; with --file they are defaults for every line. --file adds one JSON job per line, all or
none, in one transaction.

A job with "after" waits (state blocked) until all those jobs completed; if one ends dead or
canceled, it is canceled too. A job whose unique key is held by an unfinished job is not added:
enqueue prints that job's id instead, exits 0, and says so on stderr.

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
    priority: { type: "string", valueName: "N", description: "higher runs first (default 0)" },
    queue: { type: "string", valueName: "NAME", description: 'the queue (default "default")' },
    delay: {
      type: "string",
      valueName: "DURATION",
      description: "run no sooner than 30s, 5m, 2h…",
    },
    "run-at": {
      type: "string",
      valueName: "TIME",
      description: "run no sooner than this ISO time",
    },
    "max-retries": {
      type: "string",
      valueName: "N",
      description: "retries after the first failed run before the job is dead (default: config)",
    },
    timeout: {
      type: "string",
      valueName: "SECONDS",
      description: "kill the run after this long (default: config job_timeout; 0 = none)",
    },
    "backoff-base": {
      type: "string",
      valueName: "N",
      description: "wait N ^ attempts seconds between runs (default: config)",
    },
    cwd: { type: "string", valueName: "DIR", description: "run in DIR (default: this directory)" },
    after: {
      type: "string",
      valueName: "IDS",
      description: "run only after these jobs completed (comma-separated)",
    },
    unique: {
      type: "string",
      valueName: "KEY",
      description: "add nothing if an unfinished job has this key (prints its id)",
    },
    env: {
      type: "string",
      multiple: true,
      valueName: "NAME=VALUE",
      description: "add a variable to the job's environment (repeatable)",
    },
    shell: {
      type: "string",
      valueName: "SHELL",
      description: "sh, bash, zsh, dash, ksh, fish, pwsh, powershell, cmd or an absolute path " +
        "(default: the shell config when the job runs)",
    },
    file: {
      type: "string",
      short: "f",
      valueName: "PATH",
      description: "enqueue every JSON line of PATH (- = stdin), all or none",
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
    "queuectl enqueue --shell bash -- '[[ -f done ]] || ./build.sh'",
  ],
  async run(context, args) {
    const defaults = specFromFlags(args.values);
    if (args.values.file !== undefined) return await enqueueFile(context, args, defaults);
    // Flags are the most specific: they win over the same fields in the JSON.
    const spec = { ...specFromArgs(args, defaults.shell), ...defaults };
    checkWhen(spec);
    const store = await context.store();
    const [result] = await enqueueJobs(store, context.clock, [spec], { cwd: context.cwd });
    reportExisting(context, [result]);
    context.stdout(args.values.json ? json(jobToJson(result.job)) : `${result.job.id}\n`);
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
): Promise<void> {
  if (args.positionals.length > 0 || args.rest !== undefined) {
    throw new UsageError("Give jobs either with --file or as arguments, not both");
  }
  if (defaults.id !== undefined) throw new UsageError("--id cannot be used with --file");
  const path = args.values.file as string;
  let bytes: Uint8Array;
  try {
    bytes = path === "-" ? await context.readStdin() : await Deno.readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read jobs from "${path}": ${errorMessage(error)}`);
  }
  const specs = parseJobLines(decodeJobLines(bytes, path), path, defaults);
  if (specs.length === 0) throw new UsageError(`No jobs in "${path}"`);
  const store = await context.store();
  const results = await enqueueJobs(store, context.clock, specs, { cwd: context.cwd });
  context.stdout(
    args.values.json
      ? json(results.map((result) => jobToJson(result.job)))
      : results.map((result) => result.id).join("\n") + "\n",
  );
  reportExisting(context, results);
  const added = results.filter((result) => !result.existing).length;
  context.stderr(`Enqueued ${added} job(s)\n`);
}

/** Says which jobs were not added because an unfinished job held their unique key. */
function reportExisting(context: CommandContext, results: JobInsertResult[]): void {
  const existing = results.filter((result) => result.existing);
  for (const { job } of existing.slice(0, 10)) {
    context.stderr(
      `Job "${job.id}" (${job.state}) holds unique key ${
        JSON.stringify(job.uniqueKey)
      }: not added again\n`,
    );
  }
  if (existing.length > 10) context.stderr(`… and ${existing.length - 10} more not added\n`);
}

/**
 * The text of a JSON-lines file. Bytes that are not UTF-8 are refused, naming the first line that
 * holds one: decoded leniently they would become U+FFFD, and the job would run another command
 * than the one written.
 */
function decodeJobLines(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Rare: now find the line, decoding line by line.
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let start = 0, line = 1; start <= bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      throw new UsageError(`Line ${line} of "${path}": it is not valid UTF-8 text`);
    }
    start = end + 1;
  }
  throw new UsageError(`"${path}" is not valid UTF-8 text`);
}

/**
 * Parses JSON lines into specs with `defaults` under each. All lines are parsed as one JSON array
 * first (a 100k-line batch parses several times faster so); only if that fails are they parsed
 * one by one, to name the bad line.
 */
function parseJobLines(text: string, path: string, defaults: Partial<JobSpec>): JobSpec[] {
  const all = text.split("\n");
  // Blank lines are skipped; `numbers[i]` is the line number of the i-th job.
  const lines: string[] = [];
  const numbers: number[] = [];
  for (let index = 0; index < all.length; index++) {
    if (all[index].trim() === "") continue;
    lines.push(all[index]);
    numbers.push(index + 1);
  }
  let values: unknown[] | undefined;
  try {
    values = JSON.parse(`[${lines.join(",")}]`);
    // A line holding two values ("{…},{…}") would shift every later line: parse one by one.
    if (values!.length !== lines.length) values = undefined;
  } catch {
    values = undefined;
  }
  const hasDefaults = Object.keys(defaults).length > 0;
  const specs: JobSpec[] = new Array(lines.length);
  for (let index = 0; index < lines.length; index++) {
    try {
      const own = values ? jobSpecFromValue(values[index]) : parseJobSpec(lines[index]);
      specs[index] = hasDefaults ? withDefaults(own, defaults) : own;
    } catch (error) {
      throw new UsageError(`Line ${numbers[index]} of "${path}": ${errorMessage(error)}`);
    }
  }
  return specs;
}

/** A line's spec over the flags' defaults. */
function withDefaults(own: JobSpec, defaults: Partial<JobSpec>): JobSpec {
  // A line's own run_at or delay replaces the default time, whichever way either is given.
  const when = own.runAt !== undefined || own.delayMs !== undefined
    ? { runAt: undefined, delayMs: undefined }
    : {};
  const spec = { ...defaults, ...when, ...own };
  checkWhen(spec);
  return spec;
}

/** The job fields given as flags. */
function specFromFlags(values: ParsedArgs["values"]): Partial<JobSpec> {
  const text = (name: string) => values[name] as string | undefined;
  const spec: Partial<JobSpec> = {};
  if (text("id") !== undefined) spec.id = validateJobId(text("id")!);
  if (text("priority") !== undefined) {
    spec.priority = validatePriority(numberFlag(text("priority")!), "--priority");
  }
  if (text("queue") !== undefined) spec.queue = validateQueueName(text("queue"), "--queue");
  if (text("delay") !== undefined) spec.delayMs = parseDuration(text("delay")!, "--delay");
  if (text("run-at") !== undefined) spec.runAt = parseRunAt(text("run-at"), "--run-at");
  if (text("max-retries") !== undefined) {
    spec.maxRetries = validateMaxRetries(numberFlag(text("max-retries")!), "--max-retries");
  }
  if (text("timeout") !== undefined) {
    spec.timeoutSeconds = validateTimeout(numberFlag(text("timeout")!), "--timeout");
  }
  if (text("backoff-base") !== undefined) {
    spec.backoffBase = validateBackoffBase(numberFlag(text("backoff-base")!), "--backoff-base");
  }
  if (text("cwd") !== undefined) spec.cwd = validateCwd(text("cwd"), "--cwd");
  if (text("after") !== undefined) {
    spec.after = validateAfter(text("after")!.split(",").map((id) => id.trim()), "--after");
  }
  if (text("unique") !== undefined) spec.uniqueKey = validateUniqueKey(text("unique"), "--unique");
  if (text("shell") !== undefined) spec.shell = validateShell(text("shell"), "--shell");
  const env = values.env as string[] | undefined;
  if (env !== undefined) spec.env = envFlag(env);
  return spec;
}

/** `run_at` and `delay` are two ways to say one thing: only one may be given. */
function checkWhen(spec: JobSpec): void {
  if (spec.runAt !== undefined && spec.delayMs !== undefined) {
    throw new UsageError(
      "Give a run time (run_at, --run-at) or a delay (delay, --delay), not both",
    );
  }
}
