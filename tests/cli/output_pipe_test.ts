/**
 * Output into a pipe whose reader stops early (`queuectl list | head -1`): the command ends
 * quietly, as SIGPIPE ends other programs (exit 141), with no stack trace on stderr.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliEnvironment, MAIN, makeSandbox, onEveryStore } from "../helpers/cli.ts";

onEveryStore.test("list into a pipe closed early ends quietly with 141", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(file, `${JSON.stringify({ command: "true" })}\n`.repeat(2000));
  await sandbox.ok(["enqueue", "--file", file]);
  for (const args of [["list", "--limit", "0"], ["list", "--limit", "0", "--json"]]) {
    // More than a pipe's buffer (64 KiB), so the writes after `head` exits fail.
    const script = `"$DENO" run -A "$MAIN" ${args.join(" ")} | head -n 1 >/dev/null; ` +
      `echo "exit \${PIPESTATUS[0]}" >&2`;
    const output = await new Deno.Command("bash", {
      args: ["-c", script],
      env: cliEnvironment({ ...sandbox.env, DENO: Deno.execPath(), MAIN }),
      clearEnv: true,
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(stderr, "exit 141\n", `${args.join(" ")}: ${stderr}`);
  }
});
