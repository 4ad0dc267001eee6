// The node:child_process path is Windows-only in queuectl, but it runs the same here (windowsHide
// is ignored off Windows), so these tests check on Linux everything but the hidden window.
import assert from "node:assert/strict";
import { shellInvocation } from "../shell.ts";
import { hiddenSpawnArgs, runHidden, spawnHidden } from "./hidden_spawn.ts";
import { treeSpawn, type TreeStart, treeStartFor } from "./process_tree.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) {
    // A Buffer (a Uint8Array whose memory node may reuse) must not leak out.
    assert.equal(Object.getPrototypeOf(chunk), Uint8Array.prototype);
    chunks.push(chunk);
  }
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** `promise`, or a failure after `ms`: a broken spawn can leave a pipe unread, and hang. */
async function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `command` in sh through spawnHidden, as runCommand would on Windows. */
async function runSh(command: string, how?: TreeStart, env: Record<string, string> = { PATH }) {
  const spawn = treeSpawn(shellInvocation("sh", command), how ?? await treeStartFor());
  const child = await spawnHidden(spawn, { env });
  const [stdout, stderr, status] = await within(Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    child.status,
  ]));
  const text = new TextDecoder();
  return { pid: child.pid, stdout: text.decode(stdout), stderr: text.decode(stderr), status };
}

const unixOnly = Deno.build.os === "windows";

Deno.test({
  name: "spawnHidden() captures stdout and stderr apart, and the exit code",
  ignore: unixOnly,
  async fn() {
    const result = await runSh("echo out; echo err >&2; exit 3");
    assert.equal(result.stdout, "out\n");
    assert.equal(result.stderr, "err\n");
    assert.deepEqual(result.status, { success: false, code: 3, signal: null });
    const ok = await runSh("true");
    assert.deepEqual(ok.status, { success: true, code: 0, signal: null });
  },
});

Deno.test({
  name: "spawnHidden() passes a megabyte of output through whole",
  ignore: unixOnly,
  async fn() {
    const result = await runSh(
      "i=0; while [ $i -lt 16384 ]; do echo " + "x".repeat(63) + "; i=$((i+1)); done",
    );
    assert.equal(result.stdout.length, 1 << 20);
    assert.equal(result.stdout, `${"x".repeat(63)}\n`.repeat(16384));
  },
});

Deno.test({
  name: "spawnHidden() reports a process killed by a signal as Deno.Command does",
  ignore: unixOnly,
  async fn() {
    const result = await runSh("echo before; kill -KILL $$; echo after");
    assert.equal(result.stdout, "before\n");
    assert.deepEqual(result.status, { success: false, code: 128 + 9, signal: "SIGKILL" });
  },
});

Deno.test({
  name: "spawnHidden() gives the process exactly the environment it is given, nothing of ours",
  ignore: unixOnly,
  async fn() {
    const env = { PATH, QUEUECTL_JOB_ID: "42", SPACED: "a b", EMPTY: "" };
    const child = await spawnHidden(
      { program: "env", args: [], detached: false, windowsRawArguments: false },
      { env },
    );
    const [stdout, , status] = await within(Promise.all([
      readAll(child.stdout),
      readAll(child.stderr),
      child.status,
    ]));
    assert.equal(status.code, 0);
    const seen = new TextDecoder().decode(stdout).trimEnd().split("\n").sort();
    assert.deepEqual(seen, Object.entries(env).map(([name, value]) => `${name}=${value}`).sort());
  },
});

Deno.test({
  name: "spawnHidden() starts the shell as the leader of a process group of its own, either way",
  ignore: Deno.build.os !== "linux", // Reads /proc.
  async fn() {
    for (const how of ["setsid", "detached"] as const) {
      const result = await runSh("echo $$ $(cut -d' ' -f5 /proc/$$/stat)", how);
      const [pid, pgid] = result.stdout.trim().split(" ").map(Number);
      assert.equal(pid, result.pid, how); // The pid it reports is the shell's: stops use it.
      assert.equal(pgid, pid, how);
    }
  },
});

Deno.test({
  name: "spawnHidden() honours cwd, and rejects (never throws) when it or the program is missing",
  ignore: unixOnly,
  async fn() {
    const spawn = treeSpawn(shellInvocation("sh", "pwd"), "detached");
    const child = await spawnHidden(spawn, { env: { PATH }, cwd: "/" });
    const [stdout, , status] = await within(Promise.all([
      readAll(child.stdout),
      readAll(child.stderr),
      child.status,
    ]));
    assert.equal(new TextDecoder().decode(stdout), "/\n");
    assert.equal(status.code, 0);

    const missingCwd = spawnHidden(spawn, { env: { PATH }, cwd: "/nonexistent/queuectl-cwd" });
    await assert.rejects(missingCwd, { code: "ENOENT" });
    const missingShell = treeSpawn(
      shellInvocation("/nonexistent/queuectl-shell", "true"),
      "detached",
    );
    await assert.rejects(spawnHidden(missingShell, { env: { PATH } }), { code: "ENOENT" });
  },
});

Deno.test("hiddenSpawnArgs() joins cmd.exe's raw arguments into one, and leaves others be", () => {
  // Windows joins raw arguments with spaces: one argument gives the same command line, and keeps
  // Deno's node:child_process from rewriting `/d /s /c "…"` for a command that runs queuectl.
  const cmd = treeSpawn(shellInvocation("cmd", 'C:\\bin\\queuectl.exe add "echo hi"'), "direct");
  assert.deepEqual(hiddenSpawnArgs(cmd), ['/d /s /c "C:\\bin\\queuectl.exe add "echo hi""']);
  const pwsh = treeSpawn(shellInvocation("pwsh", "exit 3"), "direct");
  assert.deepEqual(hiddenSpawnArgs(pwsh), ["-NoProfile", "-NonInteractive", "-Command", "exit 3"]);
  const sh = treeSpawn(shellInvocation("sh", "echo hi"), "setsid");
  assert.deepEqual(hiddenSpawnArgs(sh), ["sh", "-c", "echo hi"]);
});

Deno.test({
  name: "runHidden() waits for the program to end, and never throws for one that cannot start",
  ignore: unixOnly,
  async fn() {
    const marker = await Deno.makeTempFile();
    await within(runHidden(["sh", "-c", `sleep 0.1; echo done > '${marker}'`]));
    assert.equal(await Deno.readTextFile(marker), "done\n");
    await Deno.remove(marker);
    await runHidden(["/nonexistent/taskkill", "/T", "/F", "/PID", "1"]);
  },
});
