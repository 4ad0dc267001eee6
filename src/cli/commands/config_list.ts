import { CONFIG_KEYS, storedConfigValue } from "../../config.ts";
import type { CommandDefinition } from "../command.ts";
import { json, table } from "../render.ts";

/** `queuectl config list`: every key, its value, default and whether it is overridden. */
export const configListCommand: CommandDefinition = {
  path: ["config", "list"],
  summary: "List every config key with its value, default and meaning",
  usage: ["config list [--json]"],
  options: {
    json: { type: "boolean", description: "print {key: {value, default, overridden}} as JSON" },
  },
  async run(context, args) {
    const overrides = await (await context.store()).configOverrides();
    const entries = Object.entries(CONFIG_KEYS).map(([key, definition]) => ({
      key,
      value: Object.hasOwn(overrides, key)
        ? storedConfigValue(key, overrides[key])
        : definition.defaultValue,
      default: definition.defaultValue,
      overridden: Object.hasOwn(overrides, key),
      description: definition.description,
    }));
    if (args.values.json) {
      return context.stdout(
        json(Object.fromEntries(entries.map(({ key, ...rest }) => [key, rest]))),
      );
    }
    context.stdout(table(
      ["KEY", "VALUE", "DEFAULT", "MEANING"],
      entries.map((entry) => [
        entry.key,
        String(entry.value) + (entry.overridden ? " *" : ""),
        String(entry.default),
        entry.description,
      ]),
      80,
    ));
    context.stdout("(* set with config set; durations are in seconds)\n");
  },
};
