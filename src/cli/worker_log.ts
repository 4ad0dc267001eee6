/**
 * Where a detached worker writes its log when given no `--log-file`: `worker start --detach`
 * writes there and `doctor` checks the same place.
 *
 * @module
 */
import { hostPath } from "../paths.ts";
import { stateDirectory } from "../store/mod.ts";
import type { CommandContext } from "./command.ts";

/** Where a detached worker logs when given no --log-file (doctor checks the same place). */
export function defaultLogFile(context: CommandContext): string {
  if (context.location.kind === "sqlite") {
    return hostPath.join(hostPath.dirname(context.location.path), "worker.log");
  }
  return hostPath.join(stateDirectory(context.env), "worker.log");
}
