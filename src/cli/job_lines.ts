/**
 * Jobs from a JSON-lines file (one job a line, as `enqueue --file` and `run --file` take them):
 * read, checked as UTF-8, parsed, and put over the defaults the flags gave.
 *
 * @module
 */
import { errorMessage, UsageError } from "../errors.ts";
import { checkUniquePolicy, type JobSpec, jobSpecFromValue, parseJobSpec } from "../job_spec.ts";
import type { CommandContext } from "./command.ts";
import { checkWhen } from "./flags.ts";

/**
 * The jobs of `path` (`-`: standard input), each line's fields over `defaults`. Every problem
 * (a file that cannot be read, bytes that are not UTF-8, a bad line) is a `UsageError` naming
 * the file and, where there is one, the line. An empty file gives no jobs: the caller decides.
 */
export async function readJobFile(
  context: Pick<CommandContext, "readStdin">,
  path: string,
  defaults: Partial<JobSpec>,
): Promise<JobSpec[]> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-" ? await context.readStdin() : await Deno.readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read jobs from "${path}": ${errorMessage(error)}`);
  }
  return parseJobLines(decodeJobLines(bytes, path), path, defaults);
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
      checkUniquePolicy(specs[index]);
    } catch (error) {
      throw new UsageError(`Line ${numbers[index]} of "${path}": ${errorMessage(error)}`);
    }
  }
  return specs;
}

/** A line's spec over the flags' defaults. */
export function withDefaults(own: JobSpec, defaults: Partial<JobSpec>): JobSpec {
  // A line's own run_at or delay replaces the default time, whichever way either is given.
  const when = own.runAt !== undefined || own.delayMs !== undefined
    ? { runAt: undefined, delayMs: undefined }
    : {};
  // And its own retry_on or no_retry_on replaces the default lists (one list per job).
  const lists = own.retryOn !== undefined || own.noRetryOn !== undefined
    ? { retryOn: undefined, noRetryOn: undefined }
    : {};
  const spec = { ...defaults, ...when, ...lists, ...own };
  checkWhen(spec);
  return spec;
}
