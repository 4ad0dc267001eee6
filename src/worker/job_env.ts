/**
 * The environment a job's command sees: the worker's own, minus every `QUEUECTL_*` variable
 * (`QUEUECTL_DB` may hold a database password), plus a few that describe the run.
 */
export function jobEnvironment(
  workerEnv: Record<string, string>,
  run: { jobId: string; attempt: number; workerId: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workerEnv)) {
    if (!name.startsWith("QUEUECTL_")) env[name] = value;
  }
  env.QUEUECTL_JOB_ID = run.jobId;
  env.QUEUECTL_ATTEMPT = String(run.attempt);
  env.QUEUECTL_WORKER_ID = run.workerId;
  return env;
}
