/** Reading the flag values and trailing arguments that several commands share. */
import { checkOneList, parseExitCodes } from "../exit_codes.ts";
import { parseDuration } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { validateOutcomes } from "../finish_hooks.ts";
import { JOB_STATES, type JobState } from "../job.ts";
import type { OptionSpec, ParsedArgs } from "./command.ts";
import {
  type JobSpec,
  parseRunAt,
  validateAfter,
  validateBackoffBase,
  validateCommand,
  validateCwd,
  validateEnv,
  validateGroupKey,
  validateHook,
  validateMaxRetries,
  validatePriority,
  validateQueueName,
  validateTimeout,
  validateUniqueKey,
  validateUniquePolicy,
} from "../job_spec.ts";
import { defaultShell, shellFamily, validateShell } from "../shell.ts";
import { commandLineFor } from "../shell_quote.ts";

/** A flag's text as a number when it is one, else as given (so the check can quote it). */
export function numberFlag(text: string): number | string {
  return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** `--env NAME=VALUE` (repeatable) as a checked environment object. */
export function envFlag(pairs: string[]): Record<string, string> {
  return validateEnv(
    Object.fromEntries(pairs.map((pair) => {
      const equals = pair.indexOf("=");
      if (equals <= 0) {
        throw new UsageError(`Invalid --env ${JSON.stringify(pair)}: expected NAME=VALUE`);
      }
      return [pair.slice(0, equals), pair.slice(equals + 1)];
    })),
    "--env",
  );
}

/**
 * The command after `--`: one argument is a shell command line as it is; several are quoted one
 * by one for `shell` (the job's, else this platform's default shell), so they reach the program
 * exactly as given.
 */
export function commandFromRest(rest: string[], shell: string = defaultShell()): string {
  if (rest.length === 0) throw new UsageError('Missing command after "--"');
  return validateCommand(
    rest.length === 1 ? rest[0] : commandLineFor(shellFamily(shell), rest),
  );
}

/** The options that say what a worker process runs: `worker start` and `service install`. */
export const WORKER_OPTIONS: Record<"count" | "queue", OptionSpec> = {
  count: {
    type: "string",
    short: "c",
    valueName: "N",
    description: "jobs run at once (default 1)",
  },
  queue: {
    type: "string",
    valueName: "NAMES",
    description: "serve only these queues (comma-separated; default: all)",
  },
};

/** Parses `--queue a,b`; undefined (all queues) when not given. */
export function parseQueues(text: string | undefined, flag = "--queue"): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((name) => validateQueueName(name.trim(), flag));
}

/** Parses a worker's `--count`: 1 when not given. */
export function parseCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const count = Number(text);
  if (text.trim() === "" || !Number.isInteger(count) || count < 1 || count > 256) {
    throw new UsageError(
      `Invalid --count ${JSON.stringify(text)}: expected an integer from 1 to 256`,
    );
  }
  return count;
}

/** Parses `--state pending,failed`; every name must be a known state. */
export function parseStates(text: string | undefined): JobState[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((name) => {
    const state = name.trim().toLowerCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new UsageError(
        `Unknown state ${JSON.stringify(name)}: use one of ${JOB_STATES.join(", ")}`,
      );
    }
    return state as JobState;
  });
}

/**
 * Parses `--since`: a duration ago (`1h`, `2d`) or an ISO time; returns epoch ms. `where` names
 * the flag or filter key in errors.
 */
export function parseSince(text: string, now: number, where = "--since"): number {
  return /^\d{4}-\d{2}-\d{2}T/.test(text)
    ? parseRunAt(text, where)
    : now - parseDuration(text, where);
}

/** The largest `--limit`: more than any store holds, and within every database's LIMIT. */
const MAX_LIMIT = 1_000_000_000;

/** Parses `--limit N` (default 100; 0 = no limit). */
export function parseLimit(text: string | undefined, fallback = 100): number {
  if (text === undefined) return fallback;
  const limit = Number(text);
  if (text.trim() === "" || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new UsageError(
      `Invalid --limit ${JSON.stringify(text)}: expected an integer from 0 (all) to ${MAX_LIMIT}`,
    );
  }
  return limit;
}

/** A job field that has a flag: `enqueue` sets the job with it, `run` the defaults of its jobs. */
export type JobFlag =
  | "priority"
  | "queue"
  | "delay"
  | "run-at"
  | "max-retries"
  | "timeout"
  | "backoff-base"
  | "cwd"
  | "after"
  | "unique"
  | "unique-policy"
  | "debounce-max"
  | "env"
  | "shell"
  | "retry-on"
  | "no-retry-on"
  | "on-finish"
  | "on-finish-when"
  | "group-key";

/**
 * The flags of a job's fields (all but its id), for `enqueue` and `run`. `run` names `timeout`
 * `--job-timeout`: its own `--timeout` is the whole run's.
 */
export const JOB_OPTIONS: Record<JobFlag, OptionSpec> = {
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
  "unique-policy": {
    type: "string",
    valueName: "POLICY",
    description: "when the key is held: keep (default: add nothing), replace (cancel a " +
      "waiting holder, add this job) or debounce (push the waiting holder's run time)",
  },
  "debounce-max": {
    type: "string",
    valueName: "DURATION",
    description: "with debounce: push the holder at most this long past its enqueue (e.g. 5m)",
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
  "retry-on": {
    type: "string",
    valueName: "CODES",
    description: "retry only failures with these exit codes, e.g. 75,111 (default: the queue's)",
  },
  "no-retry-on": {
    type: "string",
    valueName: "CODES",
    description: "never retry failures with these exit codes: straight to the DLQ",
  },
  "on-finish": {
    type: "string",
    valueName: "CMD|URL",
    description: "when it ends, run CMD as a job of its own, or POST the job's JSON to a URL",
  },
  "on-finish-when": {
    type: "string",
    valueName: "OUTCOMES",
    description: "only when it ends one of these: completed, dead, canceled (default: any)",
  },
  "group-key": {
    type: "string",
    valueName: "KEY",
    description: "its group (a tenant, a host): see queue set-group-concurrency",
  },
};

/**
 * The job fields given as the flags of `JOB_OPTIONS`, checked. `names` renames a flag (`run`
 * reads the job's timeout from `--job-timeout`), so that an error quotes the flag as typed.
 */
export function jobSpecFromFlags(
  values: ParsedArgs["values"],
  names: Partial<Record<JobFlag, string>> = {},
): Partial<JobSpec> {
  const flag = (name: JobFlag) => `--${names[name] ?? name}`;
  const text = (name: JobFlag) => values[names[name] ?? name] as string | undefined;
  const spec: Partial<JobSpec> = {};
  if (text("priority") !== undefined) {
    spec.priority = validatePriority(numberFlag(text("priority")!), flag("priority"));
  }
  if (text("queue") !== undefined) spec.queue = validateQueueName(text("queue"), flag("queue"));
  if (text("delay") !== undefined) spec.delayMs = parseDuration(text("delay")!, flag("delay"));
  if (text("run-at") !== undefined) spec.runAt = parseRunAt(text("run-at"), flag("run-at"));
  if (text("max-retries") !== undefined) {
    spec.maxRetries = validateMaxRetries(numberFlag(text("max-retries")!), flag("max-retries"));
  }
  if (text("timeout") !== undefined) {
    spec.timeoutSeconds = validateTimeout(numberFlag(text("timeout")!), flag("timeout"));
  }
  if (text("backoff-base") !== undefined) {
    spec.backoffBase = validateBackoffBase(
      numberFlag(text("backoff-base")!),
      flag("backoff-base"),
    );
  }
  if (text("cwd") !== undefined) spec.cwd = validateCwd(text("cwd"), flag("cwd"));
  if (text("after") !== undefined) {
    spec.after = validateAfter(text("after")!.split(",").map((id) => id.trim()), flag("after"));
  }
  if (text("unique") !== undefined) {
    spec.uniqueKey = validateUniqueKey(text("unique"), flag("unique"));
  }
  if (text("unique-policy") !== undefined) {
    spec.uniquePolicy = validateUniquePolicy(text("unique-policy"), flag("unique-policy"));
  }
  if (text("debounce-max") !== undefined) {
    spec.debounceMaxMs = parseDuration(text("debounce-max")!, flag("debounce-max"));
  }
  if (text("shell") !== undefined) spec.shell = validateShell(text("shell"), flag("shell"));
  if (text("group-key") !== undefined) {
    spec.groupKey = validateGroupKey(text("group-key"), flag("group-key"));
  }
  const env = values[names.env ?? "env"] as string[] | undefined;
  if (env !== undefined) spec.env = envFlag(env);
  if (text("retry-on") !== undefined) {
    spec.retryOn = parseExitCodes(text("retry-on")!, flag("retry-on"));
  }
  if (text("no-retry-on") !== undefined) {
    spec.noRetryOn = parseExitCodes(text("no-retry-on")!, flag("no-retry-on"));
  }
  checkOneList(spec.retryOn, spec.noRetryOn, [flag("retry-on"), flag("no-retry-on")]);
  if (text("on-finish") !== undefined) {
    spec.onFinish = validateHook(text("on-finish"), flag("on-finish"));
  }
  if (text("on-finish-when") !== undefined) {
    spec.onFinishWhen = validateOutcomes(text("on-finish-when"), flag("on-finish-when"));
  }
  return spec;
}

/** `run_at` and `delay` are two ways to say one thing: only one may be given. */
export function checkWhen(spec: Partial<JobSpec>): void {
  if (spec.runAt !== undefined && spec.delayMs !== undefined) {
    throw new UsageError(
      "Give a run time (run_at, --run-at) or a delay (delay, --delay), not both",
    );
  }
}
