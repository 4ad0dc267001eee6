/** Reading the flag values and trailing arguments that several commands share. */
import { UsageError } from "../errors.ts";
import { JOB_STATES, type JobState } from "../job.ts";
import type { OptionSpec } from "./command.ts";
import { validateCommand, validateEnv, validateQueueName } from "../job_spec.ts";
import { defaultShell, shellFamily } from "../shell.ts";
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
