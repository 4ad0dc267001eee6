import assert from "node:assert/strict";
import { needsTools } from "../../tests/helpers/tools.ts";
import { runCommand, type RunCommandOptions } from "./run_command.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function run(options: Partial<RunCommandOptions> & { command: string }) {
  return runCommand({
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    outputLimit: 65_536,
    timeoutMs: 10_000,
    killGraceMs: 1_000,
    ...options,
  });
}

Deno.test(needsTools(["bash"], {
  name: "runCommand() runs the command in the shell it is given (bash syntax in bash)",
  async fn() {
    const result = await run({ shell: "bash", command: "[[ 1 == 1 ]] && echo $BASH_VERSION" });
    assert.equal(result.exitCode, 0, text(result.stderr.tail));
    assert.match(text(result.stdout.tail), /^\d+\.\d+/);
  },
}));

Deno.test(needsTools(["fish"], {
  name: "runCommand() runs fish commands in fish",
  async fn() {
    const result = await run({ shell: "fish", command: "set -l x fish; echo $x; exit 4" });
    assert.equal(text(result.stdout.tail), "fish\n");
    assert.equal(result.exitCode, 4);
  },
}));

Deno.test("runCommand() without a shell runs sh -c on Unix", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const result = await run({ command: 'echo "$0"' });
  assert.equal(text(result.stdout.tail).trim(), "sh");
});

Deno.test("runCommand() reports a shell that cannot start, naming it", async () => {
  const result = await run({ shell: "/nonexistent/queuectl-shell", command: "true" });
  // Through setsid (Linux) the exec fails in setsid, which exits 127 as sh would for a missing
  // program; spawned directly, the spawn itself fails.
  if (result.spawnError === null) {
    assert.equal(result.exitCode, 127);
    assert.match(text(result.stderr.tail), /\/nonexistent\/queuectl-shell/);
  } else {
    assert.equal(result.exitCode, null);
    assert.match(result.spawnError, /shell "\/nonexistent\/queuectl-shell"/);
  }
});
