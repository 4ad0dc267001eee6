/**
 * Running queuectl workers as a systemd service: the unit (a pure function of what it runs),
 * where it is installed, and `systemctl`.
 *
 * @module
 */
export {
  fileExists,
  queuectlProgram,
  removeServiceFile,
  type ServiceFiles,
  serviceFiles,
  systemctl,
  systemctlLine,
  type SystemctlOutcome,
  writeServiceFile,
} from "./install.ts";
export {
  environmentFileLine,
  quoteEnvironment,
  quoteExecArgument,
  type ServiceScope,
  type StopTimeout,
  stopTimeoutFromConfig,
  unitBaseName,
  workerUnit,
  type WorkerUnitSpec,
} from "./systemd_unit.ts";
export { parseScope, parseServiceName } from "./options.ts";
