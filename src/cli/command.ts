/**
 * What a command is: its place in the tree, its help, its options, and a `run` that gets its
 * dependencies passed in. Commands never exit the process or write to the console directly.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Store, StoreLocation } from "../store/mod.ts";

/** One option, in `node:util` `parseArgs` terms, plus its help. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help after the flag, e.g. `N` in `--count N`. */
  valueName?: string;
  description: string;
}

/** The parsed command line of one command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  /** Positional arguments before `--`. */
  positionals: string[];
  /** Arguments after `--`, or undefined when there was none. */
  rest?: string[];
}

/** Everything a command may touch. */
export interface CommandContext {
  /** Opens the store on first use (and only then: `--help` never touches it). */
  store(): Promise<Store>;
  location: StoreLocation;
  clock: Clock;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (tables and colours for people). */
  isTerminal: boolean;
  logLevel: "debug" | "info" | "warning" | "error";
  /** The raw global `--db` flag, to pass on to a detached child. */
  dbFlag?: string;
  env(name: string): string | undefined;
  /** The directory the command was run from. */
  cwd: string;
  /** Reads all of standard input, as bytes (text is decoded where it is checked). */
  readStdin(): Promise<Uint8Array>;
  /** Whether stderr is a terminal (progress lines are for people only). */
  stderrIsTerminal: boolean;
}

/** A command: `path` is its words, e.g. `["dlq", "retry"]`. */
export interface CommandDefinition {
  path: string[];
  summary: string;
  /** Usage lines after `queuectl`, e.g. `dlq retry ID... | --all`. */
  usage: string[];
  description?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** Returns the exit code (0 when it returns nothing). */
  run(context: CommandContext, args: ParsedArgs): Promise<number | void>;
}

/** The options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: "string",
    valueName: "PATH",
    description: "database: a SQLite file path (default: $QUEUECTL_DB, else " +
      "${XDG_DATA_HOME:-~/.local/share}/queuectl/queue.db; Windows: " +
      "%LOCALAPPDATA%\\queuectl\\queue.db)",
  },
  "log-level": {
    type: "string",
    valueName: "LEVEL",
    description: "worker log level: debug, info (default), warning or error",
  },
  verbose: { type: "boolean", short: "v", description: "log level debug" },
  quiet: { type: "boolean", short: "q", description: "log level error" },
  help: { type: "boolean", short: "h", description: "show help" },
};
