/**
 * The command tree as shell completion sees it, built from the command definitions (the ones
 * `--help` and the parser use), so completion scripts cannot drift from what queuectl accepts:
 * each path with its words and summary, each command's options with what their values are.
 *
 * @module
 */
import { type CommandDefinition, GLOBAL_OPTIONS, type OptionSpec } from "../command.ts";
import { JOB_STATES } from "../../job.ts";
import { LOG_LEVELS } from "../../log.ts";

/** What an option's value is, for completing it: a file, a directory, a word of a list, or anything. */
export type ValueKind =
  | { kind: "file" }
  | { kind: "directory" }
  | { kind: "word"; words: readonly string[] }
  | { kind: "any" };

/** One option as completion offers it. */
export interface CompletionOption {
  /** The long name without dashes (`count`). */
  long: string;
  /** The one-letter name without its dash (`c`), if any. */
  short?: string;
  description: string;
  /** Undefined for a flag, which takes no value. */
  value?: ValueKind;
}

/** A node of the tree: a group (`worker`) or a command (`worker start`); the root has path []. */
export interface CompletionNode {
  path: string[];
  summary: string;
  /** The words that may follow (subcommands): empty for a command. */
  children: { word: string; summary: string }[];
  /** Every option accepted here, global ones included. */
  options: CompletionOption[];
  /** Words a command takes as arguments, when they come from a fixed list. */
  arguments: readonly string[];
}

/** The whole tree, root first, then every group and command in help's order. */
export interface CompletionTree {
  nodes: CompletionNode[];
  /** The options every command accepts (also in each node's `options`). */
  globalOptions: CompletionOption[];
  /** The global options that take a value (`--db PATH`): skipped when finding the command. */
  globalValueOptions: CompletionOption[];
}

/** Completion words of a command's arguments, by command path (`completions` → its shells). */
export type ArgumentWords = Readonly<Record<string, readonly string[]>>;

/** Builds the tree from every command's definition. */
export function completionTree(
  commands: readonly CommandDefinition[],
  argumentWords: ArgumentWords = {},
): CompletionTree {
  const globals = toCompletionOptions(GLOBAL_OPTIONS);
  const nodes: CompletionNode[] = [{
    path: [],
    summary: "queuectl",
    children: childrenOf([], commands),
    options: [...globals, { long: "version", short: "V", description: "show the version" }],
    arguments: [],
  }];
  for (const group of groupPaths(commands)) {
    nodes.push({
      path: group,
      summary: `${group.join(" ")} commands`,
      children: childrenOf(group, commands),
      options: globals,
      arguments: [],
    });
  }
  for (const command of commands) {
    nodes.push({
      path: command.path,
      summary: command.summary,
      children: [],
      options: [...toCompletionOptions(command.options), ...globals],
      arguments: argumentWords[command.path.join(" ")] ?? [],
    });
  }
  checkWords(nodes);
  return {
    nodes,
    globalOptions: globals,
    globalValueOptions: globals.filter((option) => option.value !== undefined),
  };
}

/** Every option name as it is typed: `--count`, `-c`. */
export function optionWords(option: CompletionOption): string[] {
  return option.short ? [`--${option.long}`, `-${option.short}`] : [`--${option.long}`];
}

/**
 * One case per option that takes a value: the `PATH WORD` patterns it is typed as (e.g.
 * `worker start --count`, `worker start -c`) and what its value is, as the bash and zsh scripts'
 * `_queuectl_value` answers it: `file`, `directory`, `word:LIST` or `any`.
 */
export function valueCases(nodes: CompletionNode[]): { patterns: string[]; value: string }[] {
  return nodes.flatMap((node) =>
    node.options.filter((option) => option.value !== undefined).map((option) => ({
      patterns: optionWords(option).map((word) => `${node.path.join(" ")} ${word}`),
      value: option.value!.kind === "word"
        ? `word:${option.value!.words.join(" ")}`
        : option.value!.kind,
    }))
  );
}

/** A word in single quotes for a POSIX-style shell (bash, zsh). */
export function singleQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function toCompletionOptions(options: Record<string, OptionSpec>): CompletionOption[] {
  return Object.entries(options).map(([long, spec]) => ({
    long,
    ...(spec.short ? { short: spec.short } : {}),
    description: spec.description,
    ...(spec.type === "string" ? { value: valueKind(spec.valueName) } : {}),
  }));
}

/** What a value is, read from its name in help (`PATH`, `DIR`, `LEVEL`, `STATE`…). */
function valueKind(valueName: string | undefined): ValueKind {
  switch (valueName) {
    case "PATH":
    case "FILE":
      return { kind: "file" };
    case "DIR":
      return { kind: "directory" };
    case "LEVEL":
      return { kind: "word", words: LOG_LEVELS };
    case "STATE":
    case "STATES":
      return { kind: "word", words: JOB_STATES };
    default:
      return { kind: "any" };
  }
}

/** The paths that are groups (`worker`, `dlq`…): every proper prefix of a command's path. */
function groupPaths(commands: readonly CommandDefinition[]): string[][] {
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const command of commands) {
    for (let length = 1; length < command.path.length; length++) {
      const prefix = command.path.slice(0, length);
      if (seen.has(prefix.join(" "))) continue;
      seen.add(prefix.join(" "));
      groups.push(prefix);
    }
  }
  return groups;
}

function childrenOf(
  path: string[],
  commands: readonly CommandDefinition[],
): { word: string; summary: string }[] {
  const children = new Map<string, string>();
  for (const command of commands) {
    if (command.path.length <= path.length) continue;
    if (!path.every((word, index) => command.path[index] === word)) continue;
    const word = command.path[path.length];
    const isCommand = command.path.length === path.length + 1;
    if (!children.has(word) || isCommand) {
      children.set(word, isCommand ? command.summary : `${[...path, word].join(" ")} commands`);
    }
  }
  return [...children].map(([word, summary]) => ({ word, summary }));
}

/**
 * The scripts put words and option names in shell code unquoted in places (case patterns):
 * a definition with anything but letters, digits and dashes there is a bug to catch here.
 */
function checkWords(nodes: CompletionNode[]): void {
  const safe = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
  for (const node of nodes) {
    const words = [
      ...node.path,
      ...node.children.map((child) => child.word),
      ...node.options.flatMap((option) => [option.long, option.short ?? "x"]),
      ...node.arguments,
    ];
    const bad = words.find((word) => !safe.test(word));
    if (bad !== undefined) throw new Error(`Cannot complete the word ${JSON.stringify(bad)}`);
  }
}
