/** Help text, generated from the command definitions so it never drifts from what is parsed. */
import { type CommandDefinition, GLOBAL_OPTIONS, type OptionSpec } from "./command.ts";

/** Help for one command. */
export function commandHelp(command: CommandDefinition): string {
  const lines = [command.summary, "", "Usage:"];
  for (const usage of command.usage) lines.push(`  queuectl ${usage}`);
  if (command.description) lines.push("", command.description.trim());
  if (Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...optionLines(command.options));
  }
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (command.examples?.length) {
    lines.push("", "Examples:", ...command.examples.map((example) => `  ${example}`));
  }
  return lines.join("\n") + "\n";
}

/** Help for the whole tree (`path` empty) or for a group such as `worker`. */
export function groupHelp(path: string[], commands: CommandDefinition[], version: string): string {
  const inGroup = commands.filter((command) => path.every((word, i) => command.path[i] === word));
  const lines = path.length === 0
    ? [
      `queuectl ${version}: a background job queue for shell commands, with retries,`,
      "exponential backoff and a dead-letter queue.",
      "",
      "Usage:",
      "  queuectl <command> [options]",
    ]
    : [`Usage:`, `  queuectl ${path.join(" ")} <command> [options]`];
  lines.push("", "Commands:");
  const width = Math.max(...inGroup.map((command) => command.path.join(" ").length));
  for (const command of inGroup) {
    lines.push(`  ${command.path.join(" ").padEnd(width)}  ${command.summary}`);
  }
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (path.length === 0) lines.push("  --version            show the version");
  lines.push("", `Run "queuectl <command> --help" for a command's options.`);
  return lines.join("\n") + "\n";
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const flags = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "";
    const value = spec.type === "string" ? ` ${spec.valueName ?? "VALUE"}` : "";
    return { flag: `${short}--${name}${value}`, description: spec.description };
  });
  const width = Math.max(19, ...flags.map((entry) => entry.flag.length));
  return flags.map((entry) => `  ${entry.flag.padEnd(width)}  ${entry.description}`);
}
