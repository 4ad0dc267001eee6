/**
 * Splits a command line into options, their values and positionals, with `node:util`
 * `parseArgs`'s rules (`--name value`, `--name=value`, `-n value`, `-nVALUE`, `-abc`, `--`).
 *
 * Why not `parseArgs` itself: importing `node:util` loads Deno's Node compatibility layer, which
 * a CLI call otherwise does without (what that costs is in `src/paths.ts`).
 * `src/cli/arg_tokens_test.ts` holds this reader to `parseArgs`'s results on generated command
 * lines.
 *
 * Where this reader departs from `parseArgs`, on purpose:
 * - A word of a dash and a digit (`-5`, `-1.5`, `-5m`) is a value or a positional, never a short
 *   option (queuectl has no digit flags): `--priority -5` works.
 * - A string option followed by another option (`--queue --json`) lacks its value; `parseArgs`
 *   calls that ambiguous.
 * - A dash inside a group of short flags (`-v-`) is an unknown option named by the whole word;
 *   `parseArgs` reads it as `-v --`, which ends the options where nobody typed `--`.
 * - An unknown long option is named in full (`--foo.bar`), where the old reading of
 *   `parseArgs`'s message cut it at the first character that is not a letter, digit or dash.
 * - `multiple` applies to string options; a flag given twice is just true.
 *
 * @module
 */
import type { OptionSpec } from "./command.ts";

/** One word (or one letter of a short group) of a command line, as read. */
export type ArgToken =
  | {
    kind: "option";
    /** The long name when the option is known, else the name as typed (without dashes). */
    name: string;
    /** As typed: `--name` or `-n`. */
    rawName: string;
    index: number;
    value?: string;
    /** Whether the value came in the same word (`--name=value`, `-nVALUE`). */
    inlineValue?: boolean;
  }
  | { kind: "positional"; value: string; index: number }
  | { kind: "option-terminator"; index: number };

/** Why a command line was refused, and the flag it is about (its long form when known). */
export class ArgError extends Error {
  constructor(
    readonly reason: "unknown" | "missing-value" | "unexpected-value",
    readonly flag: string,
  ) {
    super(`${reason}: ${flag}`);
    this.name = "ArgError";
  }
}

/** The parsed options (by long name) and positionals of a strict read. */
export interface ArgValues {
  values: Record<string, string | boolean | string[]>;
  positionals: string[];
}

/** A dash and a digit: a negative number (`-5`, `-1.5`, `-5m`), as queuectl has no digit flags. */
export const NEGATIVE_NUMBER = /^-\d/;

function isOptionLike(word: string | undefined): boolean {
  return word !== undefined && word.length > 1 && word[0] === "-" && !NEGATIVE_NUMBER.test(word);
}

function longNameOf(short: string, options: Record<string, OptionSpec>): string | undefined {
  for (const name in options) {
    if (Object.hasOwn(options, name) && options[name].short === short) return name;
  }
  return undefined;
}

function optionType(
  name: string,
  options: Record<string, OptionSpec>,
): OptionSpec["type"] | undefined {
  return Object.hasOwn(options, name) ? options[name].type : undefined;
}

/**
 * The tokens of `args`. A known string option takes the next word as its value when it has no
 * value of its own; everything after `--` is positional. Never throws: `readArgs` judges.
 */
export function tokenizeArgs(args: string[], options: Record<string, OptionSpec>): ArgToken[] {
  const tokens: ArgToken[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index];
    if (word === "--") {
      tokens.push({ kind: "option-terminator", index });
      for (let rest = index + 1; rest < args.length; rest++) {
        tokens.push({ kind: "positional", value: args[rest], index: rest });
      }
      break;
    }
    if (!isOptionLike(word)) {
      tokens.push({ kind: "positional", value: word, index });
      continue;
    }
    if (word.startsWith("--")) {
      const equals = word.indexOf("=", 3); // `--=x` is an option named `=x`, as in parseArgs
      const name = equals === -1 ? word.slice(2) : word.slice(2, equals);
      const rawName = `--${name}`;
      if (equals !== -1) {
        tokens.push({
          kind: "option",
          name,
          rawName,
          index,
          value: word.slice(equals + 1),
          inlineValue: true,
        });
      } else if (optionType(name, options) === "string" && index + 1 < args.length) {
        tokens.push({ kind: "option", name, rawName, index, value: args[++index] });
      } else {
        tokens.push({ kind: "option", name, rawName, index });
      }
      continue;
    }
    // `-n`, `-nVALUE` (n takes a value) or a group of flags `-abc` (a string option in the
    // middle of a group takes the rest of the word).
    for (let letter = 1; letter < word.length; letter++) {
      const short = word[letter];
      if (short === "-") {
        tokens.push({ kind: "option", name: word, rawName: word, index });
        break;
      }
      const name = longNameOf(short, options) ?? short;
      const rawName = `-${short}`;
      if (optionType(name, options) !== "string") {
        tokens.push({ kind: "option", name, rawName, index });
      } else if (letter < word.length - 1) {
        tokens.push({
          kind: "option",
          name,
          rawName,
          index,
          value: word.slice(letter + 1),
          inlineValue: true,
        });
        break;
      } else if (index + 1 < args.length) {
        tokens.push({ kind: "option", name, rawName, index, value: args[++index] });
      } else {
        tokens.push({ kind: "option", name, rawName, index });
      }
    }
  }
  return tokens;
}

/**
 * Reads `args` strictly against `options`: an unknown option, a string option without a value
 * and a flag given one are `ArgError`s. A repeated option keeps its last value, unless it is
 * `multiple` (then its values in order).
 */
export function readArgs(args: string[], options: Record<string, OptionSpec>): ArgValues {
  const values: ArgValues["values"] = {};
  const positionals: string[] = [];
  for (const token of tokenizeArgs(args, options)) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const type = optionType(token.name, options);
    if (type === undefined) throw new ArgError("unknown", token.rawName);
    const flag = `--${token.name}`;
    if (type === "boolean") {
      if (token.value !== undefined) throw new ArgError("unexpected-value", flag);
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined || !token.inlineValue && isOptionLike(token.value)) {
      throw new ArgError("missing-value", flag);
    }
    if (options[token.name].multiple) {
      const earlier = values[token.name];
      values[token.name] = Array.isArray(earlier) ? [...earlier, token.value] : [token.value];
    } else {
      values[token.name] = token.value;
    }
  }
  return { values, positionals };
}
