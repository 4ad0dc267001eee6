/**
 * Shell completion scripts for bash, zsh and fish, generated from the command definitions (the
 * ones help and the parser use), so they complete exactly the commands and options there are.
 *
 * @module
 */
import type { CommandDefinition } from "../command.ts";
import { bashScript } from "./bash.ts";
import { fishScript } from "./fish.ts";
import { completionTree } from "./tree.ts";
import { zshScript } from "./zsh.ts";

/** The shells there is a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of `SHELLS`. */
export type Shell = typeof SHELLS[number];

/**
 * The completion script of `shell` for these commands.
 *
 * @example
 * ```ts
 * import { completionScript } from "./mod.ts";
 * const script = completionScript("bash", [{
 *   path: ["status"],
 *   summary: "Show the queue",
 *   usage: ["status"],
 *   options: { json: { type: "boolean", description: "as JSON" } },
 *   run: () => Promise.resolve(),
 * }]);
 * console.assert(script.includes("complete -F _queuectl queuectl"));
 * ```
 */
export function completionScript(shell: Shell, commands: readonly CommandDefinition[]): string {
  // The completions command's own argument is the one fixed list of words a command takes.
  const tree = completionTree(commands, { completions: SHELLS });
  switch (shell) {
    case "bash":
      return bashScript(tree);
    case "zsh":
      return zshScript(tree);
    case "fish":
      return fishScript(tree);
  }
}
