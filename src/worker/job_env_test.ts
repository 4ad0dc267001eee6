import assert from "node:assert/strict";
import { jobEnvironment } from "./job_env.ts";

Deno.test("jobEnvironment() drops queuectl's own variables and describes the run", () => {
  const env = jobEnvironment(
    { PATH: "/bin", QUEUECTL_DB: "postgres://u:secret@h/db", QUEUECTL_HOST_ID: "h1" },
    { jobId: "job1", attempt: 2, workerId: "w1" },
  );
  assert.deepEqual(env, {
    PATH: "/bin",
    QUEUECTL_JOB_ID: "job1",
    QUEUECTL_ATTEMPT: "2",
    QUEUECTL_WORKER_ID: "w1",
  });
});

Deno.test("jobEnvironment() drops queuectl's variables in any case on Windows, where case is ignored", () => {
  const workerEnv = { Path: "C:\\Windows", queuectl_db: "postgres://u:secret@h/db" };
  const run = { jobId: "job1", attempt: 1, workerId: "w1" };
  assert.equal(jobEnvironment(workerEnv, run, "windows").queuectl_db, undefined);
  assert.equal(jobEnvironment(workerEnv, run, "windows").Path, "C:\\Windows");
  // On Unix `queuectl_db` is another variable, which queuectl never reads: it is the user's.
  assert.equal(jobEnvironment(workerEnv, run, "linux").queuectl_db, "postgres://u:secret@h/db");
});
