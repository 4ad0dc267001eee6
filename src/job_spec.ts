/**
 * What a user submits when enqueueing (`JobSpec`), and the checks of every field, shared by the
 * JSON form, the flags and the schedules. Errors are usage errors that quote the bad value.
 *
 * @module
 */
import { isoTime, isTimeInRange, MAX_TIME_MS, MIN_TIME_MS } from "./clock.ts";
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { checkOneList, validateExitCodes } from "./exit_codes.ts";
import { checkHookTarget, type FinishOutcome, validateOutcomes } from "./finish_hooks.ts";
import { validateShell } from "./shell.ts";
import { isUniquePolicy, UNIQUE_POLICIES, type UniquePolicy } from "./unique_policy.ts";

/** What a user asks for when enqueueing; everything not given takes its default. */
export interface JobSpec {
  id?: string;
  command: string;
  maxRetries?: number;
  timeoutSeconds?: number;
  priority?: number;
  queue?: string;
  /** When to run, as epoch ms (`run_at`); exclusive with `delayMs`. */
  runAt?: number;
  /** How long after enqueueing to run (`delay`). */
  delayMs?: number;
  backoffBase?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Ids of jobs that must complete before this one runs. */
  after?: string[];
  uniqueKey?: string;
  /** What to do when an unfinished job holds `uniqueKey` (`unique_policy`); needs the key. */
  uniquePolicy?: UniquePolicy;
  /** How far a debounce may push the holder past its creation (`debounce_max`), in ms. */
  debounceMaxMs?: number;
  /** The shell that runs the command (`validateShell`); not given: the config's at run time. */
  shell?: string;
  /** Only these exit codes are retried (`retry_on`); exclusive with `noRetryOn`. */
  retryOn?: number[];
  /** These exit codes are never retried (`no_retry_on`). Neither: the queue's policy. */
  noRetryOn?: number[];
  /** A command or http(s) URL run as a job of its own when this job ends (`on_finish`). */
  onFinish?: string;
  /** The outcomes `onFinish` fires on (`on_finish_when`); not given: every outcome. */
  onFinishWhen?: FinishOutcome[];
  /** The batch it joins (`batch`; checked as a queue name is). */
  batch?: string;
  /** Its group (`group_key`): a queue's group limit counts the running jobs of each. */
  groupKey?: string;
}

const QUEUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Checks a queue name: 1 to 64 letters, digits, ".", "_", ":" or "-". */
export function validateQueueName(name: unknown, where = "queue"): string {
  if (typeof name !== "string" || !QUEUE_PATTERN.test(name)) {
    throw new UsageError(
      `Invalid ${where} ${
        describeValue(name)
      }: use 1 to 64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** Checks a priority: an integer from -1000000 to 1000000; higher runs first. */
export function validatePriority(value: unknown, where = "priority"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > 1_000_000) {
    throw new UsageError(
      `Invalid ${where}: expected an integer from -1000000 to 1000000, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks a backoff base: a number from 1 to 1000. */
export function validateBackoffBase(value: unknown, where = "backoff_base"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > 1000) {
    throw new UsageError(
      `Invalid ${where}: expected a number from 1 to 1000, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks a working directory: a non-empty string without NUL. */
export function validateCwd(value: unknown, where = "cwd"): string {
  if (typeof value !== "string" || value.trim() === "" || value.includes("\0")) {
    throw new UsageError(
      `Invalid ${where}: expected a directory path, got ${describeValue(value)}`,
    );
  }
  return checkWellFormed(value, where);
}

/** Checks a list of parent ids: an array of valid ids (a single id string is taken as one). */
export function validateAfter(value: unknown, where = "after"): string[] {
  const ids = typeof value === "string" ? [value] : value;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
    throw new UsageError(
      `Invalid ${where}: expected an array of job id strings, got ${describeValue(value)}`,
    );
  }
  for (const id of ids) {
    if (!ID_PATTERN.test(id)) {
      throw new UsageError(`Invalid ${where}: ${JSON.stringify(id)} is not a job id`);
    }
  }
  return [...new Set(ids as string[])];
}

/** Checks a unique key: 1 to 256 characters, no NUL. */
export function validateUniqueKey(value: unknown, where = "unique_key"): string {
  if (typeof value !== "string" || value === "" || value.length > 256 || value.includes("\0")) {
    throw new UsageError(
      `Invalid ${where} ${describeValue(value)}: expected a string of 1 to 256 characters`,
    );
  }
  return checkWellFormed(value, where);
}

/** Checks a group key: 1 to 256 characters, no NUL (as a unique key). */
export function validateGroupKey(value: unknown, where = "group_key"): string {
  return validateUniqueKey(value, where);
}

/** Checks a unique-key policy: `keep`, `replace` or `debounce`. */
export function validateUniquePolicy(value: unknown, where = "unique_policy"): UniquePolicy {
  if (!isUniquePolicy(value)) {
    throw new UsageError(
      `Invalid ${where} ${describeValue(value)}: expected ${
        UNIQUE_POLICIES.map((policy) => `"${policy}"`).join(", ").replace(/, ([^,]*)$/, " or $1")
      }`,
    );
  }
  return value;
}

/**
 * Checks that a policy comes with what it needs: `unique_policy` with a `unique_key`, and
 * `debounce_max` with `unique_policy: "debounce"` (elsewhere it would silently do nothing).
 */
export function checkUniquePolicy(
  spec: Pick<JobSpec, "uniqueKey" | "uniquePolicy" | "debounceMaxMs">,
): void {
  if (spec.uniquePolicy !== undefined && spec.uniqueKey === undefined) {
    throw new UsageError(
      `A unique policy (unique_policy, --unique-policy) needs a unique key (unique_key, --unique)`,
    );
  }
  if (spec.debounceMaxMs !== undefined && spec.uniquePolicy !== "debounce") {
    throw new UsageError(
      `A debounce cap (debounce_max, --debounce-max) needs unique_policy "debounce" (--unique-policy debounce)`,
    );
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks an environment object: names like `FOO_1`, string values, no `QUEUECTL_` names. Each
 * `NAME=VALUE` must fit in `MAX_COMMAND_BYTES`, as one environment string passed to a process
 * has the same limit as one argument.
 */
export function validateEnv(value: unknown, where = "env"): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`Invalid ${where}: expected an object of strings, got ${typeName(value)}`);
  }
  for (const [name, text] of Object.entries(value)) {
    if (!ENV_NAME.test(name) || name.startsWith("QUEUECTL_")) {
      throw new UsageError(
        `Invalid ${where} variable name ${
          JSON.stringify(name)
        }: use letters, digits and "_" (QUEUECTL_ names are queuectl's own)`,
      );
    }
    if (typeof text !== "string" || text.includes("\0")) {
      throw new UsageError(
        `Invalid ${where} value for ${name}: expected a string, got ${describeValue(text)}`,
      );
    }
    checkWellFormed(text, `${where} value for ${name}`);
    const bytes = utf8Length(`${name}=${text}`);
    if (bytes > MAX_COMMAND_BYTES) {
      throw new UsageError(
        `Invalid ${where} value for ${name}: ${name}=VALUE is ${bytes} bytes long, and at most ${MAX_COMMAND_BYTES} bytes fit in one environment variable`,
      );
    }
  }
  return value as Record<string, string>;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses an ISO 8601 time with a date, a time and a zone (`2026-12-01T09:00:00Z`,
 * `2026-12-01T10:00+01:00`) into epoch ms. The zone is required (a bare time would depend on the
 * machine's zone), and impossible dates (February 30, hour 24, a zone of +99:99) are refused, not
 * rolled over, as are times before 1970 or after 9999-12-31T23:59:59.999Z (`MAX_TIME_MS`).
 */
export function parseRunAt(value: unknown, where = "run_at"): number {
  const parts = typeof value === "string" ? ISO_TIME.exec(value) : null;
  const invalid = () =>
    new UsageError(
      `Invalid ${where} ${
        describeValue(value)
      }: expected an ISO 8601 time with a zone, like 2026-12-01T09:00:00Z`,
    );
  if (!parts) throw invalid();
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map((part) =>
    Number(part ?? 0)
  );
  const [zoneHours, zoneMinutes] = parts[7].length === 1
    ? [0, 0]
    : parts[7].slice(1).split(":").map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (
    month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 ||
    second > 59 || zoneHours > 23 || zoneMinutes > 59
  ) {
    throw invalid();
  }
  const ms = Date.parse(value as string);
  if (Number.isNaN(ms)) throw invalid();
  if (!isTimeInRange(ms)) {
    const [edge, side] = ms < MIN_TIME_MS ? [MIN_TIME_MS, "before"] : [MAX_TIME_MS, "after"];
    throw new UsageError(
      `Invalid ${where} ${describeValue(value)}: it is ${side} ${isoTime(edge)}, the ${
        side === "before" ? "earliest" : "latest"
      } time queuectl keeps`,
    );
  }
  return ms;
}

/**
 * Checks a delay: seconds as a number, or a duration as text (`"5m"`, `"1h30m"`), from 0 to
 * 100 years (`MAX_DURATION_MS`); returns milliseconds.
 */
export function parseDelay(value: unknown, where = "delay"): number {
  if (typeof value === "number") {
    if (!(value >= 0 && value * 1000 <= MAX_DURATION_MS)) {
      throw new UsageError(
        `Invalid ${where} ${String(value)}: expected seconds from 0 to ${
          MAX_DURATION_MS / 1000
        }, ${MAX_DURATION_TEXT}`,
      );
    }
    return Math.round(value * 1000);
  }
  return parseDuration(typeof value === "string" ? value : describeValue(value), where);
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Checks a job id a user typed, for enqueue and for lookups alike. */
export function validateJobId(id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new UsageError(
      `Invalid job id ${
        JSON.stringify(id)
      }: use 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return id;
}

/**
 * The longest command a job may have, in UTF-8 bytes: 127 KiB. The worker passes the command to
 * its shell as one argument (`sh -c COMMAND`), and Linux refuses to start a program with an
 * argument over 128 KiB ("Argument list too long"); the margin covers the quotes some shells
 * wrap it in. A longer script belongs in a file the command runs.
 */
export const MAX_COMMAND_BYTES = 127 * 1024;

/** Checks a finish hook: a shell command (as `validateCommand`) or an http(s) webhook URL. */
export function validateHook(value: unknown, where: string): string {
  if (value === undefined || value === null) {
    throw new UsageError(`Invalid ${where}: expected a command or an http(s) URL, got ${value}`);
  }
  return checkHookTarget(validateCommand(value, where), where);
}

/** Checks a shell command: non-empty, no NUL byte, at most `MAX_COMMAND_BYTES` of UTF-8. */
export function validateCommand(command: unknown, where = "command"): string {
  if (command === undefined) {
    throw new UsageError(`Missing ${where}: the job needs a "command" string`);
  }
  if (typeof command !== "string") {
    throw new UsageError(`Invalid ${where}: expected a string, got ${typeName(command)}`);
  }
  if (command.trim() === "") throw new UsageError(`Invalid ${where}: it is empty`);
  if (command.includes("\0")) throw new UsageError(`Invalid ${where}: it contains a NUL byte`);
  checkWellFormed(command, where);
  const bytes = utf8Length(command);
  if (bytes > MAX_COMMAND_BYTES) {
    throw new UsageError(
      `Invalid ${where}: it is ${bytes} bytes long, and at most ${MAX_COMMAND_BYTES} bytes (127 KiB) of UTF-8 fit in the one argument its shell is started with`,
    );
  }
  return command;
}

/** The length of `text` in UTF-8 bytes (counted only when it could be over the limit). */
function utf8Length(text: string): number {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most texts need no counting at all.
  if (text.length * 3 <= MAX_COMMAND_BYTES) return text.length;
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4; // A surrogate pair (well formed: checked first) is one 4-byte character.
      index++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Refuses text holding a lone UTF-16 surrogate (JSON's `"\ud800"`): it is no character, and
 * would be stored as U+FFFD, or not at all, instead of what was written.
 */
function checkWellFormed(text: string, where: string): string {
  if (text.isWellFormed()) return text;
  let lone = 0;
  for (; lone < text.length; lone++) {
    const unit = text.charCodeAt(lone);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(lone + 1);
    if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) break;
    lone++; // A pair: one character.
  }
  const code = text.charCodeAt(lone).toString(16).padStart(4, "0");
  throw new UsageError(
    `Invalid ${where}: it holds a lone surrogate ("\\u${code}" at character ${
      lone + 1
    }), which is no text`,
  );
}

/** Checks a retry count: an integer from 0 to 1000. */
export function validateMaxRetries(value: unknown, where = "max_retries"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw new UsageError(
      `Invalid ${where}: expected an integer from 0 to 1000, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks a timeout in seconds: a number from 0 (no timeout) to 30 days. */
export function validateTimeout(value: unknown, where = "timeout"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 2_592_000) {
    throw new UsageError(
      `Invalid ${where}: expected seconds from 0 (none) to 2592000, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Fields of the seed's full job object that describe a new job and are accepted, then ignored. */
const SEED_FIELDS: Record<string, (value: unknown) => boolean> = {
  state: (value) => value === "pending",
  attempts: (value) => value === 0,
  created_at: (value) => typeof value === "string" && !Number.isNaN(Date.parse(value)),
  updated_at: (value) => typeof value === "string" && !Number.isNaN(Date.parse(value)),
};

/**
 * Parses the enqueue JSON document (`{"id":"job1","command":"sleep 2","max_retries":3}`).
 *
 * @example
 * ```ts
 * import { parseJobSpec } from "./job_spec.ts";
 * const spec = parseJobSpec('{"id":"job1","command":"sleep 2"}');
 * console.assert(spec.id === "job1" && spec.command === "sleep 2");
 * ```
 */
export function parseJobSpec(text: string): JobSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Invalid job JSON: ${(error as Error).message}`);
  }
  return jobSpecFromValue(value);
}

/** Checks an already parsed JSON value as a job spec (batches parse many lines at once). */
export function jobSpecFromValue(value: unknown): JobSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`Invalid job JSON: expected an object, got ${typeName(value)}`);
  }
  return jobSpecFromObject(value as Record<string, unknown>);
}

function jobSpecFromObject(fields: Record<string, unknown>): JobSpec {
  // Own fields only: "constructor" or "__proto__" must not find Object.prototype's.
  const spec: JobSpec = {
    command: validateCommand(Object.hasOwn(fields, "command") ? fields.command : undefined),
  };
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    switch (key) {
      case "command":
        break;
      case "id":
        if (typeof value !== "string") {
          throw new UsageError(`Invalid id: expected a string, got ${typeName(value)}`);
        }
        spec.id = validateJobId(value);
        break;
      case "max_retries":
        spec.maxRetries = validateMaxRetries(value);
        break;
      case "timeout":
        spec.timeoutSeconds = validateTimeout(value);
        break;
      case "priority":
        spec.priority = validatePriority(value);
        break;
      case "queue":
        spec.queue = validateQueueName(value);
        break;
      case "run_at":
        spec.runAt = parseRunAt(value);
        break;
      case "delay":
        spec.delayMs = parseDelay(value);
        break;
      case "backoff_base":
        spec.backoffBase = validateBackoffBase(value);
        break;
      case "cwd":
        spec.cwd = validateCwd(value);
        break;
      case "env":
        spec.env = validateEnv(value);
        break;
      case "after":
        spec.after = validateAfter(value);
        break;
      case "unique_key":
        spec.uniqueKey = validateUniqueKey(value);
        break;
      case "unique_policy":
        spec.uniquePolicy = validateUniquePolicy(value);
        break;
      case "debounce_max":
        spec.debounceMaxMs = parseDelay(value, "debounce_max");
        break;
      case "shell":
        spec.shell = validateShell(value);
        break;
      case "retry_on":
        spec.retryOn = validateExitCodes(value, "retry_on");
        break;
      case "no_retry_on":
        spec.noRetryOn = validateExitCodes(value, "no_retry_on");
        break;
      case "on_finish":
        spec.onFinish = validateHook(value, "on_finish");
        break;
      case "on_finish_when":
        spec.onFinishWhen = validateOutcomes(value, "on_finish_when");
        break;
      case "batch":
        spec.batch = validateQueueName(value, "batch");
        break;
      case "group_key":
        spec.groupKey = validateGroupKey(value);
        break;
      default:
        if (Object.hasOwn(SEED_FIELDS, key)) {
          if (!SEED_FIELDS[key](value)) {
            throw new UsageError(
              `Invalid ${key}: ${
                describeValue(value)
              } does not describe a new job (queuectl sets it)`,
            );
          }
          break;
        }
        throw new UsageError(`Unknown field ${JSON.stringify(key)} in job JSON`);
    }
  }
  if (spec.runAt !== undefined && spec.delayMs !== undefined) {
    throw new UsageError('Give "run_at" or "delay", not both');
  }
  checkOneList(spec.retryOn, spec.noRetryOn, ['"retry_on"', '"no_retry_on"']);
  return spec;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return typeof value === "number" ? "a number" : `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
