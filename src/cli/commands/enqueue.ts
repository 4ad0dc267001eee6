import { enqueueJobs } from "../../enqueue.ts";
import { UsageError } from "../../errors.ts";
import {
  type JobSpec,
  parseJobSpec,
  validateJobId,
  validateMaxRetries,
  validateTimeout,
} from "../../job.ts";
import type { CommandDefinition, ParsedArgs } from "../command.ts";
import { jobToJson, json } from "../render.ts";

/** `queuectl enqueue`: adds one job and prints its id. */
export const enqueueCommand: CommandDefinition = {
  path: ["enqueue"],
  summary: "Add a job to the queue and print its id",
  usage: ['enqueue \'{"id":"job1","command":"sleep 2"}\'', "enqueue [options] -- COMMAND [ARG...]"],
  description: `
A job is a shell command, run as \`sh -c COMMAND\`. Give it as a JSON object (fields: command,
id, max_retries, timeout) or after "--". After "--", one argument is taken as a shell command
line as it is; several are quoted one by one, so they reach the program exactly as given.
A single argument that does not start with "{" or "[" is also taken as the command.`,
  options: {
    id: {
      type: "string",
      valueName: "ID",
      description: "the job's id (default: generated, sorts by time)",
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
    json: { type: "boolean", description: "print the new job as JSON instead of its id" },
  },
  examples: [
    `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
    "queuectl enqueue -- ./build.sh --release",
    "queuectl enqueue --max-retries 5 --timeout 600 -- 'make test && make deploy'",
  ],
  async run(context, args) {
    const spec = specFromArgs(args);
    const store = await context.store();
    const [job] = await enqueueJobs(store, context.clock, [spec]);
    context.stdout(args.values.json ? json(jobToJson(job)) : `${job.id}\n`);
  },
};

function specFromArgs(args: ParsedArgs): JobSpec {
  const { positionals, rest, values } = args;
  let spec: JobSpec;
  if (rest !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}" before "--"`);
    }
    if (rest.length === 0) throw new UsageError('Missing command after "--"');
    spec = { command: rest.length === 1 ? rest[0] : rest.map(shellQuote).join(" ") };
  } else if (positionals.length === 1) {
    spec = /^\s*[{[]/.test(positionals[0])
      ? parseJobSpec(positionals[0])
      : { command: positionals[0] };
  } else if (positionals.length === 0) {
    throw new UsageError('Missing job: give a JSON object or a command after "--"');
  } else {
    throw new UsageError(
      `Too many arguments: quote the JSON as one argument, or put the command after "--"`,
    );
  }
  return applyFlags(spec, values);
}

function applyFlags(spec: JobSpec, values: ParsedArgs["values"]): JobSpec {
  const result = { ...spec };
  if (typeof values.id === "string") result.id = validateJobId(values.id);
  if (typeof values["max-retries"] === "string") {
    result.maxRetries = validateMaxRetries(numberFlag(values["max-retries"]), "--max-retries");
  }
  if (typeof values.timeout === "string") {
    result.timeoutSeconds = validateTimeout(numberFlag(values.timeout), "--timeout");
  }
  if (result.command.trim() === "") throw new UsageError("Invalid command: it is empty");
  return result;
}

function numberFlag(text: string): number | string {
  return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** Quotes one argument for `sh` unless it is plainly safe. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_\-+=/.,:@%^]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
