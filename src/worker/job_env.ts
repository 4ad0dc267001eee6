/**
 * The environment a job's command sees: the worker's own, minus every `QUEUECTL_*` variable
 * (`QUEUECTL_DB` may hold a database password), plus a few that describe the run. On Windows,
 * where variable names ignore case (`queuectl_db` is what `QUEUECTL_DB` reads), the names are
 * matched ignoring case too.
 */
export function jobEnvironment(
  workerEnv: Record<string, string>,
  run: { jobId: string; attempt: number; workerId: string },
  os: typeof Deno.build.os = Deno.build.os,
): Record<string, string> {
  const isOurs = os === "windows"
    ? (name: string) => name.toUpperCase().startsWith("QUEUECTL_")
    : (name: string) => name.startsWith("QUEUECTL_");
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workerEnv)) {
    if (!isOurs(name)) env[name] = value;
  }
  env.QUEUECTL_JOB_ID = run.jobId;
  env.QUEUECTL_ATTEMPT = String(run.attempt);
  env.QUEUECTL_WORKER_ID = run.workerId;
  return env;
}
