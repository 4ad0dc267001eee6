import { canonicalConfigKey, CONFIG_KEYS } from "../../config.ts";
import { UsageError } from "../../errors.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl config unset KEY`: back to the default. */
export const configUnsetCommand: CommandDefinition = {
  path: ["config", "unset"],
  summary: "Remove a config override so the default applies again",
  usage: ["config unset KEY"],
  options: {},
  async run(context, args) {
    if (args.positionals.length !== 1) throw new UsageError("Expected one config key");
    const key = canonicalConfigKey(args.positionals[0]);
    await (await context.store()).configUnset({ key });
    context.stdout(`${key} = ${CONFIG_KEYS[key].defaultValue} (default)\n`);
  },
};
