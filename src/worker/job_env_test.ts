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
