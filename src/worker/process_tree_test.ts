import assert from "node:assert/strict";
import { shellInvocation } from "../shell.ts";
import { stopProcessTree, treeSpawn, windowsTreeKill } from "./process_tree.ts";

Deno.test("treeSpawn() puts setsid in front of the job's shell, or detaches it, or (Windows) neither", () => {
  const bash = shellInvocation("bash", "[[ -f x ]]");
  assert.deepEqual(treeSpawn(bash, "setsid"), {
    program: "setsid",
    args: ["bash", "-c", "[[ -f x ]]"],
    detached: false,
    windowsRawArguments: false,
  });
  assert.deepEqual(treeSpawn(bash, "detached"), {
    program: "bash",
    args: ["-c", "[[ -f x ]]"],
    detached: true,
    windowsRawArguments: false,
  });
  assert.deepEqual(treeSpawn(shellInvocation("cmd", "echo %PATH%"), "direct"), {
    program: "cmd.exe",
    args: ["/d", "/s", "/c", '"echo %PATH%"'],
    detached: false,
    windowsRawArguments: true,
  });
  assert.deepEqual(treeSpawn(shellInvocation("pwsh", "exit 3"), "direct"), {
    program: "pwsh",
    args: ["-NoProfile", "-NonInteractive", "-Command", "exit 3"],
    detached: false,
    windowsRawArguments: false,
  });
});

/** A stand-in for running taskkill: records what would have run. */
function recordingRunner() {
  const ran: string[][] = [];
  return { ran, run: (argv: string[]) => Promise.resolve(void ran.push(argv)) };
}

Deno.test("stopProcessTree() on Windows runs taskkill /T /F on the shell's pid, at once", async () => {
  const { ran, run } = recordingRunner();
  const running = new Promise<void>(() => {}); // The shell has not exited.
  await stopProcessTree(4242, 5_000, running, { os: "windows", run });
  assert.deepEqual(ran, [["taskkill", "/T", "/F", "/PID", "4242"]]);
  assert.deepEqual(windowsTreeKill(7), ["taskkill", "/T", "/F", "/PID", "7"]);
});

Deno.test("stopProcessTree() on Windows runs nothing once the shell has exited (its pid may be reused)", async () => {
  const { ran, run } = recordingRunner();
  await stopProcessTree(4242, 5_000, Promise.resolve(), { os: "windows", run });
  await stopProcessTree(4242, 5_000, Promise.reject(new Error("gone")), { os: "windows", run });
  assert.deepEqual(ran, []);
});

Deno.test({
  name: "stopProcessTree() on Unix stops the whole process group, grandchildren included",
  ignore: Deno.build.os === "windows",
  async fn() {
    // A shell leading its own group, with a background grandchild that ignores nothing.
    const child = new Deno.Command("sh", {
      args: ["-c", "sleep 30 & echo $!; wait"],
      detached: true,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    const grandchild = Number(new TextDecoder().decode(value).trim());
    reader.releaseLock();
    await stopProcessTree(child.pid, 1_000, child.status);
    const status = await child.status;
    assert.equal(status.signal, "SIGTERM");
    await child.stdout.cancel();
    // Gone once reaped (it was reparented when the shell died): poll, with a deadline.
    const deadline = Date.now() + 5_000;
    while (processExists(grandchild) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(processExists(grandchild), false, "the grandchild should be gone too");
  },
});

/** Whether `pid` is a live process (not a zombie waiting to be reaped): POSIX `ps`, any Unix. */
function processExists(pid: number): boolean {
  const output = new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const state = new TextDecoder().decode(output.stdout).trim();
  return output.success && state !== "" && !/^[ZX]/.test(state);
}
