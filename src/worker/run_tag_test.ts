import assert from "node:assert/strict";
import { findTaggedProcesses, RUN_TAG_VARIABLE, runTag } from "./run_tag.ts";

Deno.test("runTag() names one claim of one job, the token first", () => {
  assert.equal(runTag({ id: "build:42", leaseToken: 7 }), "7:build:42");
  assert.notEqual(runTag({ id: "a", leaseToken: 1 }), runTag({ id: "a", leaseToken: 2 }));
});

Deno.test({
  name: "findTaggedProcesses() finds a run's processes by their environment, and only theirs",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const tag = runTag({ id: `test-${crypto.randomUUID()}`, leaseToken: 3 });
    const spawn = (value: string) =>
      new Deno.Command("setsid", {
        args: ["sh", "-c", "sleep 30; true"],
        env: { [RUN_TAG_VARIABLE]: value },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    const tagged = spawn(tag);
    const other = spawn(`${tag}0`);
    try {
      let found: ReturnType<typeof findTaggedProcesses> = [];
      for (let i = 0; i < 200 && found.length < 2; i++) {
        found = findTaggedProcesses(tag);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // The shell and its sleep, both in the shell's process group; the other tag is not taken.
      assert.equal(found.length, 2, JSON.stringify(found));
      assert.ok(found.some((process) => process.pid === tagged.pid));
      assert.ok(found.every((process) => process.pgid === tagged.pid));
      assert.ok(found.every((process) => /^\d+$/.test(process.startTime)));
    } finally {
      for (const child of [tagged, other]) {
        Deno.kill(-child.pid, "SIGKILL");
        await child.status;
      }
    }
  },
});
