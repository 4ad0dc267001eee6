/**
 * `parseArgs`: the part of `node:util`'s `parseArgs` the command line uses (string and boolean
 * options, short flags and groups of them, `--name=value`, repeated options, tokens), with its
 * rules and its errors' codes and wording. Written here because importing `node:util` starts
 * Deno's Node compatibility layer, ~15 ms of CPU at every CLI call; parse_args_test.ts checks it
 * against `node:util` on the same command lines.
 *
 * @module
 */

/** One option as `parseArgs` takes it. */
export interface ParseOption {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** An option, a positional argument or the `--` that ends the options, with its place. */
export type ArgToken =
  | {
    kind: "option";
    name: string;
    rawName: string;
    index: number;
    value: string | undefined;
    inlineValue: boolean | undefined;
  }
  | { kind: "positional"; index: number; value: string }
  | { kind: "option-terminator"; index: number };

/** A command line `parseArgs` refuses; `code` is `node:util`'s. */
export class ParseArgsError extends TypeError {
  readonly code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" | "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";

  constructor(code: ParseArgsError["code"], message: string) {
    super(message);
    this.name = "TypeError";
    this.code = code;
  }
}

/** What `parseArgs` found. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | (string | boolean)[]>;
  positionals: string[];
  tokens: ArgToken[];
}

/**
 * Parses `args` as `node:util`'s `parseArgs` with `allowPositionals: true` does. `strict`
 * refuses unknown options, a string option without a value, a boolean one with a value, and a
 * value that looks like an option (`--queue -x`); without it, unknown options are booleans.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./parse_args.ts";
 * const { values, positionals } = parseArgs({
 *   args: ["-q", "--queue=deploy", "job"],
 *   options: { queue: { type: "string" }, quiet: { type: "boolean", short: "q" } },
 *   strict: true,
 * });
 * console.assert(values.queue === "deploy" && values.quiet === true && positionals[0] === "job");
 * ```
 */
export function parseArgs(
  config: { args: string[]; options: Record<string, ParseOption>; strict: boolean },
): ParsedCommandLine {
  const { options, strict } = config;
  const tokens = argTokens(config.args, options);
  const values: ParsedCommandLine["values"] = Object.create(null);
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option") {
      if (strict) {
        checkOptionUsage(options, token);
        checkOptionLikeValue(token);
      }
      storeOption(token.name, token.value, options, values);
    } else if (token.kind === "positional") {
      positionals.push(token.value);
    }
  }
  return { values, positionals, tokens };
}

function option(options: Record<string, ParseOption>, name: string): ParseOption | undefined {
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

function longNameOf(short: string, options: Record<string, ParseOption>): string {
  for (const name of Object.keys(options)) if (options[name].short === short) return name;
  return short;
}

function takesValue(options: Record<string, ParseOption>, name: string): boolean {
  return option(options, name)?.type === "string";
}

/** `-f`, never `--`. */
function isLoneShortOption(arg: string): boolean {
  return arg.length === 2 && arg[0] === "-" && arg[1] !== "-";
}

/** `-abc` (or `-fVALUE` when `f` takes a value). */
function isShortOptionCluster(arg: string): boolean {
  return arg.length > 2 && arg[0] === "-" && arg[1] !== "-";
}

function argTokens(args: string[], options: Record<string, ParseOption>): ArgToken[] {
  const tokens: ArgToken[] = [];
  const remaining = [...args];
  let index = -1;
  let groupCount = 0;
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    const next = remaining[0];
    if (groupCount > 0) groupCount--;
    else index++;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator", index });
      for (const value of remaining) tokens.push({ kind: "positional", index: ++index, value });
      break;
    }
    if (isLoneShortOption(arg)) {
      const name = longNameOf(arg[1], options);
      const value = takesValue(options, name) && next !== undefined ? remaining.shift() : undefined;
      const inlineValue = value === undefined ? undefined : false;
      tokens.push({ kind: "option", name, rawName: arg, index, value, inlineValue });
      if (value !== undefined) index++;
      continue;
    }
    if (isShortOptionCluster(arg) && !takesValue(options, longNameOf(arg[1], options))) {
      // -abc is -a -b -c; from the first that takes a value, the rest is its value.
      const expanded: string[] = [];
      for (let at = 1; at < arg.length; at++) {
        const short = arg[at];
        if (!takesValue(options, longNameOf(short, options)) || at === arg.length - 1) {
          expanded.push(`-${short}`);
        } else {
          expanded.push(`-${short}${arg.slice(at + 1)}`);
          break;
        }
      }
      remaining.unshift(...expanded);
      groupCount = expanded.length;
      continue;
    }
    if (isShortOptionCluster(arg)) {
      // -fVALUE
      const name = longNameOf(arg[1], options);
      tokens.push({
        kind: "option",
        name,
        rawName: `-${arg[1]}`,
        index,
        value: arg.slice(2),
        inlineValue: true,
      });
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--") && !arg.includes("=", 3)) {
      const name = arg.slice(2);
      const value = takesValue(options, name) && next !== undefined ? remaining.shift() : undefined;
      const inlineValue = value === undefined ? undefined : false;
      tokens.push({ kind: "option", name, rawName: arg, index, value, inlineValue });
      if (value !== undefined) index++;
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const name = arg.slice(2, equals);
      tokens.push({
        kind: "option",
        name,
        rawName: `--${name}`,
        index,
        value: arg.slice(equals + 1),
        inlineValue: true,
      });
      continue;
    }
    tokens.push({ kind: "positional", index, value: arg });
  }
  return tokens;
}

function checkOptionUsage(
  options: Record<string, ParseOption>,
  token: Extract<ArgToken, { kind: "option" }>,
): void {
  const spec = option(options, token.name);
  if (spec === undefined) {
    throw new ParseArgsError(
      "ERR_PARSE_ARGS_UNKNOWN_OPTION",
      `Unknown option '${token.rawName}'. To specify a positional argument starting with a '-', ` +
        `place it at the end of the command after '--', as in '-- ${JSON.stringify(token.rawName)}`,
    );
  }
  const shortAndLong = `${spec.short ? `-${spec.short}, ` : ""}--${token.name}`;
  if (spec.type === "string" && typeof token.value !== "string") {
    throw new ParseArgsError(
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      `Option '${shortAndLong} <value>' argument missing`,
    );
  }
  if (spec.type === "boolean" && token.value !== undefined) {
    throw new ParseArgsError(
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      `Option '${shortAndLong}' does not take an argument`,
    );
  }
}

function checkOptionLikeValue(token: Extract<ArgToken, { kind: "option" }>): void {
  const value = token.value;
  if (token.inlineValue || value === undefined || value.length <= 1 || value[0] !== "-") return;
  const example = token.rawName.startsWith("--")
    ? `'${token.rawName}=-XYZ'`
    : `'--${token.name}=-XYZ' or '${token.rawName}-XYZ'`;
  throw new ParseArgsError(
    "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    `Option '${token.rawName}' argument is ambiguous.\nDid you forget to specify the option ` +
      `argument for '${token.rawName}'?\nTo specify an option argument starting with a dash ` +
      `use ${example}.`,
  );
}

function storeOption(
  name: string,
  value: string | undefined,
  options: Record<string, ParseOption>,
  values: ParsedCommandLine["values"],
): void {
  if (name === "__proto__") return;
  const stored = value ?? true;
  if (option(options, name)?.multiple) {
    const list = values[name];
    if (Array.isArray(list)) list.push(stored);
    else values[name] = [stored];
  } else {
    values[name] = stored;
  }
}
