/**
 * The checks of `service install` and `service uninstall` flags that both share: the scope
 * (`--user`, `--system`) and the service's name.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { ServiceScope } from "./systemd_unit.ts";

/** `--user` (the default) or `--system`, not both. */
export function parseScope(flags: { user?: boolean; system?: boolean }): ServiceScope {
  if (flags.user && flags.system) {
    throw new UsageError("Give --user or --system, not both");
  }
  return flags.system ? "system" : "user";
}

/** `--name NAME`: the unit becomes `queuectl-NAME.service`, so several can live side by side. */
export function parseServiceName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new UsageError(
      `Invalid --name ${
        JSON.stringify(name)
      }: use 1 to 64 letters, digits, "_", "." and "-", starting with a letter or digit`,
    );
  }
  return name;
}
