import assert from "node:assert/strict";
import { commandStatus, sessionSpawnAvailable, spawnInSession } from "./session_spawn.ts";
import type { SpawnedProcess } from "./hidden_spawn.ts";

const ignore = Deno.build.os !== "linux";
const ENV = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/** Runs `script` with `sh -c` through spawnInSession: its exit status and both outputs. */
async function sh(
  script: string,
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ child: SpawnedProcess; status: Deno.CommandStatus; stdout: string; stderr: string }> {
  const child = spawnInSession("sh", ["-c", script], { env: options.env ?? ENV, cwd: options.cwd });
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    text(child.stdout),
    text(child.stderr),
  ]);
  return { child, status, stdout, stderr };
}

Deno.test("sessionSpawnAvailable() holds on Linux with glibc (CI's machines)", { ignore }, () => {
  assert.equal(sessionSpawnAvailable(), true);
});

Deno.test("spawnInSession() starts the program as the leader of a new session", {
  ignore,
}, async () => {
  // /proc/PID/stat: "pid (comm) state ppid pgrp session …"
  const { child, stdout } = await sh("cat /proc/$$/stat");
  const fields = stdout.slice(stdout.lastIndexOf(")") + 2).split(" ");
  assert.equal(Number(fields[2]), child.pid, "its process group is its own");
  assert.equal(Number(fields[3]), child.pid, "its session is its own");
});

Deno.test("spawnInSession() pipes stdout and stderr apart, whole, and reports the exit code", {
  ignore,
}, async () => {
  const result = await sh("head -c 1000000 /dev/zero | tr '\\0' x; echo oops >&2; exit 3");
  assert.equal(result.stdout.length, 1_000_000);
  assert.match(result.stdout, /^x+$/);
  assert.equal(result.stderr, "oops\n");
  assert.deepEqual(result.status, { success: false, code: 3, signal: null });
});

Deno.test("spawnInSession() reports a death by signal as Deno does (128 + n)", {
  ignore,
}, async () => {
  const { status } = await sh("kill -TERM $$");
  assert.deepEqual(status, { success: false, code: 143, signal: "SIGTERM" });
});

Deno.test(
  "spawnInSession() gives the child no ignored or blocked signal, stdin /dev/null, no fd of the worker",
  {
    ignore,
  },
  async () => {
    // The worker ignores SIGPIPE: a child that inherited that would not die of a closed pipe.
    // Read by the program sh execs into (sh's own mask changes while it waits for a child).
    const signals = await sh("exec grep -E '^Sig(Ign|Blk)' /proc/self/status");
    const [blocked, ignored] = signals.stdout.trim().split("\n");
    assert.match(blocked, /^SigBlk:\s+0+$/);
    // Bit n-1 is signal n; SIGPIPE is 13. (Signals this test's own parent ignores stay so.)
    const ignoredMask = BigInt(`0x${ignored.split(/\s+/)[1]}`);
    assert.equal(ignoredMask & (1n << 12n), 0n, "SIGPIPE is not ignored");
    const { stdout } = await sh("readlink /proc/$$/fd/0; exec ls /proc/self/fd | tr '\\n' ' '");
    const [stdin, fds] = stdout.trim().split("\n");
    assert.equal(stdin, "/dev/null");
    // Nothing of this process's own (its pipes, its database): the same as Deno.Command gives
    // (which passes on what this process inherited without close-on-exec, as every spawn does).
    const deno = await new Deno.Command("sh", {
      args: ["-c", "exec ls /proc/self/fd | tr '\\n' ' '"],
      stderr: "inherit",
    }).output();
    assert.equal(fds.trim(), new TextDecoder().decode(deno.stdout).trim());
  },
);

Deno.test(
  "spawnInSession() passes exactly the environment given, and finds the program on its PATH",
  {
    ignore,
  },
  async () => {
    const { stdout } = await sh("env | sort", { env: { PATH: ENV.PATH, ONLY: "this one" } });
    assert.deepEqual(stdout.trim().split("\n").filter((line) => !line.startsWith("PWD=")), [
      "ONLY=this one",
      `PATH=${ENV.PATH}`,
    ]);
    assert.throws(
      () => spawnInSession("sh", ["-c", "true"], { env: { PATH: "/nonexistent" } }),
      /Failed to spawn 'sh': entity not found/,
    );
  },
);

Deno.test(
  "spawnInSession() passes arguments and environment byte for byte: empty, non-ASCII, many",
  { ignore },
  async () => {
    const env: Record<string, string> = { PATH: ENV.PATH, EMPTY: "", ACCENT: "é😀 ü", EQ: "a=b" };
    for (let i = 0; i < 50; i++) env[`MANY_${i}`] = `value ${i}`;
    const child = spawnInSession(
      "sh",
      [
        "-c",
        'printf "%s|" "$@" "$EMPTY" "$ACCENT" "$EQ" "$MANY_0" "$MANY_49"',
        "sh",
        "",
        "ünï",
        " ",
      ],
      { env },
    );
    const [status, stdout] = await Promise.all([child.status, text(child.stdout)]);
    await child.stderr.cancel();
    assert.equal(status.code, 0);
    assert.equal(stdout, "|ünï| ||é😀 ü|a=b|value 0|value 49|");
  },
);

Deno.test("spawnInSession() runs in the working directory given, and says when it is missing", {
  ignore,
}, async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    assert.equal((await sh("pwd", { cwd: dir })).stdout, `${dir}\n`);
    assert.throws(
      () => spawnInSession("sh", ["-c", "true"], { env: ENV, cwd: `${dir}/missing` }),
      /Failed to spawn '\/.*\/sh': No such cwd '.*\/missing'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnInSession() refuses a program that cannot run, and a NUL character", {
  ignore,
}, () => {
  assert.throws(
    () => spawnInSession("/nonexistent/shell", ["-c", "true"], { env: ENV }),
    /Failed to spawn '\/nonexistent\/shell': No such file or directory \(os error 2\)/,
  );
  assert.throws(
    () => spawnInSession("sh", ["-c", "echo a\0b"], { env: ENV }),
    /NUL character/,
  );
});

Deno.test(
  "spawnInSession() finds a program again when the one it found on PATH a moment ago is gone",
  { ignore },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "queuectl-session-spawn-" });
    try {
      const [first, second] = [`${dir}/a`, `${dir}/b`];
      await Deno.mkdir(first);
      await Deno.mkdir(second);
      const put = (where: string) =>
        Deno.writeTextFile(`${where}/prog`, `#!/bin/sh\necho ${where}\n`, { mode: 0o755 });
      const run = async () => {
        const child = spawnInSession("prog", [], { env: { PATH: `${first}:${second}` } });
        const [status, stdout] = await Promise.all([child.status, text(child.stdout)]);
        await child.stderr.cancel();
        assert.equal(status.code, 0);
        return stdout.trim();
      };
      await put(first);
      assert.equal(await run(), first);
      // Within the second the lookup is kept: the spawn of the kept path fails, and it looks again.
      await Deno.remove(`${first}/prog`);
      await put(second);
      assert.equal(await run(), second);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** The "pipe:[inode]" names of this process's descriptors. */
async function openPipes(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${entry.name}`).catch(() => "");
    if (target.startsWith("pipe:")) names.add(target);
  }
  return names;
}

/** The pid of a process of group `pgid` other than its leader (the background child). */
async function backgroundPid(pgid: number): Promise<number> {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === pgid) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid) return Number(entry.name);
  }
  throw new Error(`no process of group ${pgid} besides its leader`);
}

Deno.test(
  "spawnInSession(): a background child holding the pipes does not hold the exit, and a cancelled stream frees its pipe",
  { ignore },
  async () => {
    const child = spawnInSession("sh", ["-c", "sleep 30 & echo started"], { env: ENV });
    try {
      const status = await child.status;
      assert.equal(status.code, 0);
      const reader = child.stdout.getReader();
      assert.equal(new TextDecoder().decode((await reader.read()).value), "started\n");
      // The pipe the background sleep still holds (its stdout): this process has its read end.
      const pipe = await Deno.readLink(`/proc/${await backgroundPid(child.pid)}/fd/1`);
      assert.ok((await openPipes()).has(pipe), `${pipe} is open here while it is read`);
      await reader.cancel();
      await child.stderr.cancel();
      // Closed once the poll notices (at most a second later). Only this pipe is looked at:
      // other tests in this process open and close descriptors of their own meanwhile.
      const deadline = Date.now() + 5_000;
      while ((await openPipes()).has(pipe) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(!(await openPipes()).has(pipe), `${pipe} is still open after the cancel`);
    } finally {
      Deno.kill(-child.pid, "SIGKILL");
    }
  },
);

Deno.test("commandStatus() decodes waitpid statuses", () => {
  assert.deepEqual(commandStatus(0), { success: true, code: 0, signal: null });
  assert.deepEqual(commandStatus(2 << 8), { success: false, code: 2, signal: null });
  assert.deepEqual(commandStatus(9), { success: false, code: 137, signal: "SIGKILL" });
  assert.deepEqual(commandStatus(9 | 0x80), { success: false, code: 137, signal: "SIGKILL" });
});
