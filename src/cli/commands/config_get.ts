import { canonicalConfigKey, CONFIG_KEYS } from "../../config.ts";
import { UsageError } from "../../errors.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl config get KEY`: the value in force. */
export const configGetCommand: CommandDefinition = {
  path: ["config", "get"],
  summary: "Print the value of a config key (its override, else its default)",
  usage: ["config get KEY"],
  options: {},
  async run(context, args) {
    if (args.positionals.length !== 1) throw new UsageError("Expected one config key");
    const key = canonicalConfigKey(args.positionals[0]);
    const overrides = await (await context.store()).configOverrides();
    const value = Object.hasOwn(overrides, key) ? overrides[key] : CONFIG_KEYS[key].defaultValue;
    context.stdout(`${value}\n`);
  },
};
