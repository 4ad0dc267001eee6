/**
 * Joining a program and its arguments into one command line for a shell, quoted so that each
 * argument reaches the program exactly as given (`queuectl enqueue -- ./build.sh --out 'my dir'`).
 * Each shell family has its own rules; one that is plainly safe is left bare, so the stored
 * command stays readable.
 *
 * @module
 */
import type { ShellFamily } from "./shell.ts";

/**
 * The command line that runs `argv` in a shell of `family`.
 *
 * @example
 * ```ts
 * import { commandLineFor } from "./shell_quote.ts";
 * console.assert(commandLineFor("posix", ["echo", "it's"]) === `echo 'it'\\''s'`);
 * console.assert(commandLineFor("powershell", ["echo", "it's"]) === "echo 'it''s'");
 * ```
 */
export function commandLineFor(family: ShellFamily, argv: readonly string[]): string {
  switch (family) {
    case "posix":
      return argv.map(posixQuote).join(" ");
    case "fish":
      return argv.map(fishQuote).join(" ");
    case "powershell":
      return powershellLine(argv);
    case "cmd":
      return cmdLine(argv);
  }
}

/** sh and its kin: single quotes keep everything; a quote is closed, escaped and reopened. */
export function posixQuote(arg: string): string {
  if (/^[A-Za-z0-9_\-+=/.,:@%^]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside single quotes, `\'` and `\\` are escapes (and `%`, `^` may be special). */
function fishQuote(arg: string): string {
  if (/^[A-Za-z0-9_\-+=/.,:@]+$/.test(arg)) return arg;
  return `'${arg.replace(/[\\']/g, "\\$&")}'`;
}

/**
 * PowerShell: single quotes keep everything; a quote (PowerShell also takes the typographic
 * ones for quotes) is doubled. A quoted program needs the call operator `&`, or PowerShell would
 * take it for a string to print.
 */
function powershellLine(argv: readonly string[]): string {
  const quote = (arg: string) =>
    /^[A-Za-z0-9_\-+=/.:\\]+$/.test(arg)
      ? arg
      : `'${arg.replace(/['\u2018\u2019\u201A\u201B]/g, "$&$&")}'`;
  const [program, ...args] = argv.map(quote);
  return [program.startsWith("'") ? `& ${program}` : program, ...args].join(" ");
}

/** The characters cmd.exe acts on, even inside quotes (hence escaped with `^` everywhere). */
const CMD_META = /[()\][%!^"`<>&|;, *?]/g;

/**
 * cmd.exe: each argument is quoted for the program's C runtime (`"…"`, backslashes before a
 * quote doubled, the quote escaped), then every character cmd itself would act on is escaped
 * with `^`, so cmd passes the line on untouched; the program name gets the `^` escapes only.
 * This is what cross-spawn does. A `.bat`/`.cmd` program parses its line a second time and
 * would need the escapes twice: give such a command as one line instead.
 */
function cmdLine(argv: readonly string[]): string {
  const safe = /^[A-Za-z0-9_\-+=/.:\\]+$/;
  const escapeMeta = (text: string) => text.replace(CMD_META, "^$&");
  const [program, ...args] = argv;
  return [
    escapeMeta(program),
    ...args.map((arg) => safe.test(arg) ? arg : escapeMeta(msvcrtQuote(arg))),
  ].join(" ");
}

/** Quotes one argument the way the Microsoft C runtime splits a command line back. */
function msvcrtQuote(arg: string): string {
  let quoted = '"';
  let backslashes = 0;
  for (const char of arg) {
    if (char === "\\") {
      backslashes++;
      continue;
    }
    // Backslashes are literal unless a quote follows: then each one must be escaped too.
    quoted += char === '"'
      ? "\\".repeat(backslashes * 2 + 1) + '"'
      : "\\".repeat(backslashes) + char;
    backslashes = 0;
  }
  // The closing quote follows the trailing backslashes: double them.
  return quoted + "\\".repeat(backslashes * 2) + '"';
}
