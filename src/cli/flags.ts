/** Reading the flag values and trailing arguments that several commands share. */
import { UsageError } from "../errors.ts";
import { validateCommand, validateEnv } from "../job_spec.ts";
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
