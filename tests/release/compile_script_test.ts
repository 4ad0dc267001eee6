/**
 * scripts/compile.ts: the exact `deno compile` command lines it runs (read from `--dry-run`, since
 * deno compile needs a download this machine cannot make), and its archive steps run for real
 * on a stand-in binary.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  archiveName,
  compileSteps,
  dynamicModules,
  permissionFlags,
  RELEASE_TARGETS,
  runStep,
} from "../../scripts/compile.ts";
import { needsTools } from "../helpers/tools.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(ROOT, "scripts", "compile.ts");
const decoder = new TextDecoder();

const NARROW = "--allow-read --allow-write --allow-env --allow-run --allow-net " +
  "--allow-sys=hostname,userInfo,uid,gid";

async function compileScript(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    cwd: ROOT,
  }).output();
  return {
    code: output.code,
    lines: decoder.decode(output.stdout).trimEnd().split("\n"),
    stderr: decoder.decode(output.stderr),
  };
}

async function includeFlags(): Promise<string> {
  return (await dynamicModules(ROOT)).map((module) => `--include ${module}`).join(" ");
}

Deno.test("compile --dry-run --target prints the exact deno compile command for each target", async (t) => {
  const includes = await includeFlags();
  // Linux needs every permission to read /proc/PID/stat (see permissionFlags); the others get
  // the narrow set.
  const cases: { target: string; binary: string; permissions: string }[] = [
    { target: "x86_64-unknown-linux-gnu", binary: "queuectl", permissions: "--allow-all" },
    { target: "aarch64-unknown-linux-gnu", binary: "queuectl", permissions: "--allow-all" },
    { target: "x86_64-apple-darwin", binary: "queuectl", permissions: NARROW },
    { target: "aarch64-apple-darwin", binary: "queuectl", permissions: NARROW },
    { target: "x86_64-pc-windows-msvc", binary: "queuectl.exe", permissions: NARROW },
  ];
  assert.deepEqual(cases.map((c) => c.target), [...RELEASE_TARGETS]);
  for (const { target, binary, permissions } of cases) {
    await t.step(target, async () => {
      const { code, lines } = await compileScript("--dry-run", "--target", target);
      assert.equal(code, 0);
      assert.deepEqual(lines, [
        `mkdir -p dist/${target}`,
        `deno compile --target ${target} --output dist/${target}/${binary} --exclude-unused-npm ` +
        `${includes} ${permissions} main.ts`,
      ]);
    });
  }
});

Deno.test("compile --dry-run includes the Web Worker and every command module, no test module", async () => {
  const modules = await dynamicModules(ROOT);
  assert.equal(modules[0], "src/worker/web_worker.ts");
  assert.ok(modules.includes("src/cli/commands/enqueue.ts"));
  assert.ok(modules.includes("src/cli/commands/worker_start.ts"));
  assert.ok(modules.every((module) => module.endsWith(".ts") && !module.endsWith("_test.ts")));
});

Deno.test("compile with no flags builds dist/queuectl for this machine", async () => {
  const { code, lines } = await compileScript("--dry-run");
  assert.equal(code, 0);
  const windows = Deno.build.os === "windows";
  const binary = windows ? "dist/queuectl.exe" : "dist/queuectl";
  const permissions = Deno.build.os === "linux" ? "--allow-all" : NARROW;
  assert.deepEqual(lines, [
    "mkdir -p dist",
    `deno compile --output ${binary} --exclude-unused-npm ${await includeFlags()} ` +
    `${permissions} main.ts`,
  ]);
});

Deno.test("compile --archive packs the binary with a sha256sum-style checksum", async () => {
  const { code, lines } = await compileScript(
    "--dry-run",
    "--archive",
    "--target",
    RELEASE_TARGETS[2],
  );
  assert.equal(code, 0);
  const asset = "dist/queuectl-x86_64-apple-darwin.tar.gz";
  assert.deepEqual(lines.slice(2), [
    `rm -f ${asset}`,
    `tar -czf ${asset} -C dist/x86_64-apple-darwin queuectl`,
    `sha256 ${asset} > ${asset}.sha256`,
  ]);
});

Deno.test("compile refuses an unknown target and --output with --archive", async () => {
  const unknown = await compileScript("--dry-run", "--target", "riscv64gc-unknown-linux-gnu");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unsupported target "riscv64gc-unknown-linux-gnu": expected one of/);
  const both = await compileScript("--dry-run", "--archive", "--output", "x");
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--output and --archive do not go together/);
});

/** Runs the archive steps of `target` on a stand-in binary in a scratch project directory. */
async function packStandIn(target: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "queuectl-compile-" });
  const steps = compileSteps({ target, archive: true }, []);
  const binary = join(
    root,
    "dist",
    target,
    target.includes("windows") ? "queuectl.exe" : "queuectl",
  );
  for (const step of steps) {
    if ("run" in step && step.run[0] === "deno") {
      await Deno.writeTextFile(binary, "#!/bin/sh\necho stand-in\n", { mode: 0o755 });
    } else {
      await runStep(step, root);
    }
  }
  return root;
}

async function run(program: string, args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(program, { args, cwd }).output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return decoder.decode(output.stdout);
}

Deno.test("the archive holds the binary at its top level and sha256sum -c accepts its checksum", async () => {
  const target = "aarch64-unknown-linux-gnu";
  const root = await packStandIn(target);
  try {
    const dist = join(root, "dist");
    const asset = archiveName(target);
    assert.equal(asset, "queuectl-aarch64-unknown-linux-gnu.tar.gz");
    assert.equal((await run("tar", ["-tzf", asset], dist)).trim(), "queuectl");
    const checksum = await Deno.readTextFile(join(dist, `${asset}.sha256`));
    assert.match(checksum, /^[0-9a-f]{64} {2}queuectl-aarch64-unknown-linux-gnu\.tar\.gz\n$/);
    const check = await hasProgram("sha256sum")
      ? ["sha256sum", "-c"]
      : ["shasum", "-a", "256", "-c"];
    assert.match(await run(check[0], [...check.slice(1), `${asset}.sha256`], dist), /: OK/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(needsTools(["zip", "unzip"], {
  name: "the Windows archive is a zip holding queuectl.exe",
  async fn() {
    const target = "x86_64-pc-windows-msvc";
    const root = await packStandIn(target);
    try {
      assert.equal(archiveName(target), "queuectl-x86_64-pc-windows-msvc.zip");
      const listing = await run("unzip", ["-l", archiveName(target)], join(root, "dist"));
      assert.match(listing, /\squeuectl\.exe\n/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
}));

async function hasProgram(name: string): Promise<boolean> {
  const output = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output();
  return output.success;
}

/** The --allow-sys name each system-information API needs (Deno's and node:os's). */
const SYS_NAMES: Record<string, string[]> = {
  "Deno.hostname": ["hostname"],
  "Deno.osRelease": ["osRelease"],
  "Deno.osUptime": ["osUptime"],
  "Deno.loadavg": ["loadavg"],
  "Deno.networkInterfaces": ["networkInterfaces"],
  "Deno.systemMemoryInfo": ["systemMemoryInfo"],
  "Deno.uid": ["uid"],
  "Deno.gid": ["gid"],
  "os.hostname": ["hostname"],
  "os.release": ["osRelease"],
  "os.uptime": ["osUptime"],
  "os.loadavg": ["loadavg"],
  "os.networkInterfaces": ["networkInterfaces"],
  "os.totalmem": ["systemMemoryInfo"],
  "os.freemem": ["systemMemoryInfo"],
  "os.userInfo": ["userInfo", "uid", "gid"],
  "os.cpus": ["cpus"],
  "os.homedir": ["homedir"],
};

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

Deno.test("the narrow --allow-sys list covers every system-information call in src/", async () => {
  // Outside Linux the binary gets only the sys names listed: a new call such as Deno.osRelease()
  // would fail there at run time, where neither the tests nor the smoke test look.
  const flag = permissionFlags("aarch64-apple-darwin").find((f) => f.startsWith("--allow-sys="));
  const allowed = new Set(flag!.slice("--allow-sys=".length).split(","));
  const missing: string[] = [];
  for await (const file of sourceFiles(join(ROOT, "src"))) {
    const text = await Deno.readTextFile(file);
    for (const [api, names] of Object.entries(SYS_NAMES)) {
      // os.* also as a named import from node:os (`import { userInfo } from "node:os"`).
      const [namespace, name] = api.split(".");
      const called = text.includes(`${api}(`) ||
        (namespace === "os" && text.includes("node:os") && new RegExp(`\\b${name}\\(`).test(text));
      for (const needed of names) {
        if (called && !allowed.has(needed)) missing.push(`${api} in ${file}: needs ${needed}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});
