import { canonicalConfigKey, parseConfigValue } from "../../config.ts";
import { UsageError } from "../../errors.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl config set KEY VALUE`: a validated override, stored. */
export const configSetCommand: CommandDefinition = {
  path: ["config", "set"],
  summary: "Set a config key (running workers pick it up at their next heartbeat)",
  usage: ["config set KEY VALUE"],
  description: `Keys may be written with "_" or "-" (max_retries, max-retries). See "config list".`,
  options: {},
  examples: ["queuectl config set max-retries 3", "queuectl config set backoff_base 3"],
  async run(context, args) {
    if (args.positionals.length !== 2) {
      throw new UsageError(
        `Expected a key and a value, got ${args.positionals.length} argument(s)`,
      );
    }
    const key = canonicalConfigKey(args.positionals[0]);
    const value = parseConfigValue(key, args.positionals[1]);
    await (await context.store()).configSet({ key, value });
    context.stdout(`${key} = ${value}\n`);
  },
};
