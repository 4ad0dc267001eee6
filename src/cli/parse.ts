/**
 * Finds the command in the argument list and parses its options (with `arg_tokens.ts`, which
 * reads them by `node:util` `parseArgs`'s rules without loading `node:util`).
 *
 * @module
 */
import { ArgError, NEGATIVE_NUMBER, readArgs, tokenizeArgs } from "./arg_tokens.ts";
import { nearestWord } from "./did_you_mean.ts";
import { UsageError } from "../errors.ts";
import { type CommandDefinition, GLOBAL_OPTIONS, type ParsedArgs } from "./command.ts";

/** Where the words of the command line lead in the tree. */
export type Resolution<T extends { path: string[] }> =
  | { kind: "command"; command: T; args: string[] }
  /** The words name a group (`worker`) or nothing at all (empty path). */
  | { kind: "group"; path: string[]; args: string[] };

/**
 * Matches the leading words of `args` (global options may come before them) against the
 * command paths, and returns the command with its words removed from the arguments.
 */
export function resolveCommand<T extends { path: string[] }>(
  args: string[],
  commands: readonly T[],
): Resolution<T> {
  const tokens = tokenizeArgs(args, GLOBAL_OPTIONS);
  const words: { value: string; index: number }[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") break;
    // A negative number is an option's value or a command's argument, never a command word.
    if (token.kind === "positional" && !NEGATIVE_NUMBER.test(token.value)) {
      words.push({ value: token.value, index: token.index });
    }
  }
  const path: string[] = [];
  const used: number[] = [];
  for (const word of words) {
    const candidate = [...path, word.value];
    if (!commands.some((command) => startsWith(command.path, candidate))) break;
    path.push(word.value);
    used.push(word.index);
  }
  const rest = args.filter((_, index) => !used.includes(index));
  const command = commands.find((command) => sameWords(command.path, path));
  if (command) return { kind: "command", command, args: rest };
  const next = words[path.length];
  if (next) {
    const typed = [...path, next.value].join(" ");
    const siblings = [
      ...new Set(
        commands.filter((command) => startsWith(command.path, path)).map((command) =>
          command.path[path.length]
        ),
      ),
    ];
    const nearest = nearestWord(next.value, siblings);
    throw new UsageError(
      nearest === undefined
        ? `Unknown command "${typed}": see "queuectl ${[...path, "--help"].join(" ")}"`
        : `Unknown command "${typed}". Did you mean "${[...path, nearest].join(" ")}"?`,
    );
  }
  return { kind: "group", path, args: rest };
}

/** Parses a command's arguments strictly: unknown options are usage errors. */
export function parseCommandArgs(command: CommandDefinition, args: string[]): ParsedArgs {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const terminator = args.indexOf("--");
  const before = terminator === -1 ? args : args.slice(0, terminator);
  try {
    const { values, positionals } = readArgs(before, options);
    return {
      values,
      positionals,
      rest: terminator === -1 ? undefined : args.slice(terminator + 1),
    };
  } catch (error) {
    if (error instanceof ArgError) throw new UsageError(describeArgError(error, command));
    throw error;
  }
}

function describeArgError(error: ArgError, command: CommandDefinition): string {
  const name = `queuectl ${command.path.join(" ")}`;
  const flag = error.flag;
  switch (error.reason) {
    case "unknown": {
      const known = Object.keys({ ...GLOBAL_OPTIONS, ...command.options }).map((long) =>
        `--${long}`
      );
      const nearest = flag.startsWith("--") ? nearestWord(flag, known) : undefined;
      return nearest === undefined
        ? `Unknown option "${flag}" for "${name}": see "${name} --help"`
        : `Unknown option "${flag}" for "${name}". Did you mean "${nearest}"?`;
    }
    case "missing-value":
      return `Option "${flag}" needs a value: see "${name} --help"`;
    case "unexpected-value":
      return `Option "${flag}" takes no value: see "${name} --help"`;
  }
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.every((word, index) => path[index] === word);
}

function sameWords(a: string[], b: string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}
