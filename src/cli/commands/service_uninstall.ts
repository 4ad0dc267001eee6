/**
 * `queuectl service uninstall`: stops and disables the service `service install` wrote (when
 * systemctl is there to ask), then removes its unit and environment files.
 *
 * @module
 */
import { NotFoundError, UsageError } from "../../errors.ts";
import {
  fileExists,
  parseScope,
  parseServiceName,
  removeServiceFile,
  serviceFiles,
  systemctl,
  systemctlLine,
} from "../../service/mod.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl service uninstall`. */
export const serviceUninstallCommand: CommandDefinition = {
  path: ["service", "uninstall"],
  summary: "Stop, disable and remove the systemd service that service install wrote",
  usage: ["service uninstall [--user | --system] [--name NAME]"],
  description: `
Runs "systemctl [--user] disable --now" on the unit (the worker drains first: running jobs
finish, within the unit's TimeoutStopSec), removes its file and its environment file, and
reloads systemd. Without systemctl the files are removed and a warning printed. Exits 3 when
there is no such unit file.`,
  options: {
    user: { type: "boolean", description: "the user's service (default)" },
    system: { type: "boolean", description: "the system's service (needs root)" },
    name: {
      type: "string",
      valueName: "NAME",
      description: "the service installed with --name NAME",
    },
  },
  examples: ["queuectl service uninstall", "sudo queuectl service uninstall --system --name ci"],
  async run(context, args) {
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"`);
    }
    const scope = parseScope({
      user: args.values.user === true,
      system: args.values.system === true,
    });
    const files = serviceFiles(
      scope,
      parseServiceName(args.values.name as string | undefined),
      context.env,
    );
    if (!(await fileExists(files.unitPath))) {
      throw new NotFoundError(`No unit file at ${files.unitPath}: nothing to uninstall`);
    }
    const path = context.env("PATH");
    context.stderr(`Stopping ${files.unitName} (running jobs finish first)…\n`);
    const disabled = await systemctl(scope, ["disable", "--now", files.unitName], path);
    if (!disabled.ran) {
      context.stderr(
        "Warning: systemctl was not found: if the service runs, stop it with queuectl worker stop\n",
      );
    } else if (!disabled.ok) {
      context.stderr(
        `Warning: "${
          systemctlLine(scope, ["disable", "--now", files.unitName])
        }" failed: ${disabled.error}\n`,
      );
    }
    await removeServiceFile(files.unitPath);
    await removeServiceFile(files.environmentPath);
    if (disabled.ran) {
      const reloaded = await systemctl(scope, ["daemon-reload"], path);
      if (reloaded.ran && !reloaded.ok) {
        context.stderr(
          `Warning: "${systemctlLine(scope, ["daemon-reload"])}" failed: ${reloaded.error}\n`,
        );
      }
    }
    context.stderr(`Removed ${files.unitPath}\n`);
  },
};
