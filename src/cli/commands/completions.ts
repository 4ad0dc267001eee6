/**
 * `queuectl completions bash|zsh|fish`: prints the shell completion script, generated from every
 * command's definition.
 *
 * @module
 */
import { completionScript, type Shell, SHELLS } from "../completions/mod.ts";
import { UsageError } from "../../errors.ts";
import type { CommandDefinition } from "../command.ts";
import { COMMAND_INDEX, loadCommands } from "../command_index.ts";

/** `queuectl completions SHELL`. */
export const completionsCommand: CommandDefinition = {
  path: ["completions"],
  summary: "Print the shell completion script for bash, zsh or fish",
  usage: ["completions bash|zsh|fish"],
  description: `
Completes command words, subcommands, and each command's options (with file names, log levels
and job states where an option takes one). The script is generated from queuectl's own command
definitions: install it again after upgrading queuectl.

Install:
  bash:  queuectl completions bash > ~/.local/share/bash-completion/completions/queuectl
         (needs the bash-completion package; or add 'source <(queuectl completions bash)'
         to ~/.bashrc)
  zsh:   mkdir -p ~/.zfunc && queuectl completions zsh > ~/.zfunc/_queuectl
         and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)
  fish:  queuectl completions fish > ~/.config/fish/completions/queuectl.fish

Then open a new shell.`,
  options: {},
  examples: [
    "queuectl completions bash > ~/.local/share/bash-completion/completions/queuectl",
    "source <(queuectl completions zsh)      # try it in the current zsh",
  ],
  async run(context, args) {
    const shell = parseShell(args.positionals);
    context.stdout(completionScript(shell, await loadCommands(COMMAND_INDEX)));
  },
};

function parseShell(positionals: string[]): Shell {
  const [shell, extra] = positionals;
  if (shell === undefined) {
    throw new UsageError(`Missing shell: use one of ${SHELLS.join(", ")}`);
  }
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`Unknown shell "${shell}": use one of ${SHELLS.join(", ")}`);
  }
  if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}"`);
  return shell as Shell;
}
