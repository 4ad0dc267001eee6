/**
 * install.sh against a fake release: archives of a stand-in `queuectl` (a shell script that
 * prints its version and target) with their .sha256 files, laid out as GitHub serves them
 * (`latest/download/ASSET`, `download/vX.Y.Z/ASSET`) and reached through `file://` URLs. Other
 * machines are played by a fake `uname` ahead on PATH.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { archiveName, RELEASE_TARGETS } from "../../scripts/compile.ts";
import { needsTools } from "../helpers/tools.ts";
import { run, sha256Hex } from "../helpers/release.ts";

const INSTALL_SH = fileURLToPath(new URL("../../install.sh", import.meta.url));

/** The targets install.sh serves (Windows users take the zip by hand). */
const UNIX_TARGETS = RELEASE_TARGETS.filter((target) => !target.includes("windows"));
const LATEST = "2.0.0";
const OLDER = "1.4.2";

/** Writes every target's archive of a stand-in queuectl `version`, with its checksum, to `dir`. */
async function writeAssets(dir: string, version: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const target of UNIX_TARGETS) {
    const stage = await Deno.makeTempDir();
    await Deno.writeTextFile(
      join(stage, "queuectl"),
      `#!/bin/sh\necho "queuectl ${version} ${target}"\n`,
      { mode: 0o755 },
    );
    const asset = join(dir, archiveName(target));
    const tar = await run("tar", ["-czf", asset, "-C", stage, "queuectl"]);
    assert.equal(tar.code, 0, tar.stderr);
    await Deno.writeTextFile(
      `${asset}.sha256`,
      `${await sha256Hex(asset)}  ${archiveName(target)}\n`,
    );
    await Deno.remove(stage, { recursive: true });
  }
}

/** A scratch directory holding a fake release site (`releases/`) and a fake `uname`. */
interface Sandbox {
  dir: string;
  releases: string;
  /** The directory of the fake uname, to put first on PATH. */
  fakeBin: string;
}

async function makeSandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-install-" });
  const releases = join(dir, "releases");
  await writeAssets(join(releases, "latest", "download"), LATEST);
  await writeAssets(join(releases, "download", `v${LATEST}`), LATEST);
  await writeAssets(join(releases, "download", `v${OLDER}`), OLDER);
  const fakeBin = join(dir, "fake-bin");
  await Deno.mkdir(fakeBin);
  // Answers -s and -m as told by FAKE_UNAME_S and FAKE_UNAME_M, when set.
  await Deno.writeTextFile(
    join(fakeBin, "uname"),
    `#!/bin/sh
case "$1" in
-s) [ -n "\${FAKE_UNAME_S:-}" ] && { echo "$FAKE_UNAME_S"; exit 0; } ;;
-m) [ -n "\${FAKE_UNAME_M:-}" ] && { echo "$FAKE_UNAME_M"; exit 0; } ;;
esac
PATH=$REAL_PATH exec uname "$@"
`,
    { mode: 0o755 },
  );
  return { dir, releases, fakeBin };
}

interface InstallRun {
  args?: string[];
  env?: Record<string, string>;
  /** The shell that runs install.sh (default sh). */
  shell?: string;
  /** `${os} ${arch}` as uname tells them (default: this machine's). */
  uname?: [string, string];
  /** PATH after the fake uname (default: this process's). */
  path?: string;
}

async function install(sandbox: Sandbox, options: InstallRun = {}) {
  const realPath = Deno.env.get("PATH") ?? "";
  const env: Record<string, string> = {
    QUEUECTL_RELEASE_URL: `file://${sandbox.releases}`,
    QUEUECTL_INSTALL_DIR: join(sandbox.dir, "bin"),
    QUEUECTL_VERSION: "",
    PATH: `${sandbox.fakeBin}:${options.path ?? realPath}`,
    REAL_PATH: realPath,
    FAKE_UNAME_S: options.uname?.[0] ?? "",
    FAKE_UNAME_M: options.uname?.[1] ?? "",
    ...options.env,
  };
  const [shell, ...shellArgs] = (options.shell ?? "sh").split(" ");
  return await run(shell, [...shellArgs, INSTALL_SH, ...(options.args ?? [])], { env });
}

/** What the installed stand-in prints: its version and target. */
async function installedVersion(sandbox: Sandbox, dir = join(sandbox.dir, "bin")) {
  const output = await run(join(dir, "queuectl"), []);
  assert.equal(output.code, 0, output.stderr);
  return output.stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** This machine's target, as install.sh should find it. */
function hostTarget(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return `${arch}-${Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu"}`;
}

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = await makeSandbox();
  try {
    await fn(sandbox);
  } finally {
    await Deno.remove(sandbox.dir, { recursive: true });
  }
}

const SHELLS = ["sh", "dash", "bash --posix", "busybox sh"];

for (const shell of SHELLS) {
  Deno.test(needsTools([shell.split(" ")[0]], {
    name: `install.sh under ${shell} installs the latest release's binary for this machine`,
    fn: () =>
      withSandbox(async (sandbox) => {
        const result = await install(sandbox, { shell });
        assert.equal(result.code, 0, result.stderr);
        const installed = join(sandbox.dir, "bin", "queuectl");
        assert.equal(await installedVersion(sandbox), `queuectl ${LATEST} ${hostTarget()}`);
        assert.equal((await Deno.stat(installed)).mode! & 0o777, 0o755);
        assert.match(result.stdout, /\/latest\/download\/queuectl-[\w-]+\.tar\.gz/);
        assert.match(
          result.stdout,
          new RegExp(`Installed queuectl ${LATEST} .* to ${installed}\\n`),
        );
        // The install directory is not on PATH: say how to put it there.
        assert.match(result.stdout, /is not on your PATH/);
        assert.ok(result.stdout.includes(`export PATH="${join(sandbox.dir, "bin")}:$PATH"`));
        assert.equal(result.stderr, "");
      }),
  }));
}

Deno.test("install.sh gives no PATH hint when the install directory is on PATH", () =>
  withSandbox(async (sandbox) => {
    const bin = join(sandbox.dir, "bin");
    const result = await install(sandbox, { path: `${bin}:${Deno.env.get("PATH")}` });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /PATH/);
  }));

Deno.test("install.sh installs the release QUEUECTL_VERSION or --version names", () =>
  withSandbox(async (sandbox) => {
    const fromEnv = await install(sandbox, { env: { QUEUECTL_VERSION: OLDER } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, new RegExp(`/download/v${OLDER}/queuectl-`));
    assert.match(await installedVersion(sandbox), new RegExp(`^queuectl ${OLDER} `));

    // The flag wins over the variable, a leading "v" is fine, and a newer binary replaces the old.
    const fromFlag = await install(sandbox, {
      args: ["--version", `v${LATEST}`],
      env: { QUEUECTL_VERSION: OLDER },
    });
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    assert.match(fromFlag.stdout, new RegExp(`/download/v${LATEST}/queuectl-`));
    assert.match(await installedVersion(sandbox), new RegExp(`^queuectl ${LATEST} `));
  }));

Deno.test("install.sh refuses an archive whose checksum does not match, installing nothing", () =>
  withSandbox(async (sandbox) => {
    const asset = join(sandbox.releases, "latest", "download", archiveName(hostTarget()));
    await Deno.writeTextFile(
      `${asset}.sha256`,
      `${"0".repeat(64)}  ${archiveName(hostTarget())}\n`,
    );
    const result = await install(sandbox);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^queuectl install: checksum mismatch for queuectl-[\w-]+\.tar\.gz: expected 0{64}, got [0-9a-f]{64}; nothing was installed\n$/,
    );
    assert.equal(await exists(join(sandbox.dir, "bin")), false);
  }));

Deno.test("install.sh refuses a tampered archive, and keeps the binary it had", () =>
  withSandbox(async (sandbox) => {
    assert.equal((await install(sandbox, { env: { QUEUECTL_VERSION: OLDER } })).code, 0);
    const asset = join(sandbox.releases, "latest", "download", archiveName(hostTarget()));
    const bytes = await Deno.readFile(asset);
    bytes[bytes.length - 10] ^= 0xff;
    await Deno.writeFile(asset, bytes);
    const result = await install(sandbox);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /checksum mismatch/);
    assert.match(await installedVersion(sandbox), new RegExp(`^queuectl ${OLDER} `));
  }));

Deno.test("install.sh says which URL it could not download", () =>
  withSandbox(async (sandbox) => {
    const result = await install(sandbox, { args: ["--version", "9.9.9"] });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /queuectl install: cannot download file:\/\/.*\/download\/v9\.9\.9\//,
    );
  }));

Deno.test("install.sh maps each OS and CPU name to its release target", async (t) => {
  const cases: { uname: [string, string]; target: string }[] = [
    { uname: ["Linux", "x86_64"], target: "x86_64-unknown-linux-gnu" },
    { uname: ["Linux", "aarch64"], target: "aarch64-unknown-linux-gnu" },
    { uname: ["Linux", "arm64"], target: "aarch64-unknown-linux-gnu" },
    { uname: ["Linux", "amd64"], target: "x86_64-unknown-linux-gnu" },
    { uname: ["Darwin", "arm64"], target: "aarch64-apple-darwin" },
    { uname: ["Darwin", "x86_64"], target: "x86_64-apple-darwin" },
  ];
  // Every target install.sh can pick is one the release builds, and every Unix one is picked.
  assert.deepEqual(new Set(cases.map((c) => c.target)), new Set(UNIX_TARGETS));
  await withSandbox(async (sandbox) => {
    for (const { uname, target } of cases) {
      await t.step(uname.join(" "), async () => {
        const result = await install(sandbox, { uname });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(await installedVersion(sandbox), `queuectl ${LATEST} ${target}`);
      });
    }
  });
});

Deno.test("install.sh refuses an unsupported OS or CPU in one clear line", async (t) => {
  const cases: { uname: [string, string]; error: RegExp }[] = [
    { uname: ["FreeBSD", "amd64"], error: /unsupported OS "FreeBSD": .*Linux and macOS only/ },
    {
      uname: ["Linux", "riscv64"],
      error: /unsupported CPU "riscv64" on Linux: .*x86_64 and aarch64/,
    },
    { uname: ["Darwin", "ppc"], error: /unsupported CPU "ppc" on Darwin/ },
    {
      uname: ["MINGW64_NT-10.0-19045", "x86_64"],
      error: /on Windows, download queuectl-x86_64-pc-windows-msvc\.zip from file:\/\//,
    },
  ];
  await withSandbox(async (sandbox) => {
    for (const { uname, error } of cases) {
      await t.step(uname.join(" "), async () => {
        const result = await install(sandbox, { uname });
        assert.equal(result.code, 1);
        assert.match(result.stderr, /^queuectl install: [^\n]+\n$/);
        assert.match(result.stderr, error);
        assert.equal(await exists(join(sandbox.dir, "bin")), false);
      });
    }
  });
});

Deno.test(needsTools(["shasum"], {
  name: "install.sh checks with shasum -a 256 where sha256sum is missing (macOS)",
  fn: () =>
    withSandbox(async (sandbox) => {
      const path = await pathWithout(sandbox.dir, ["sha256sum"]);
      const good = await install(sandbox, { path });
      assert.equal(good.code, 0, good.stderr);
      assert.match(await installedVersion(sandbox), new RegExp(`^queuectl ${LATEST} `));

      const asset = join(sandbox.releases, "latest", "download", archiveName(hostTarget()));
      await Deno.writeTextFile(`${asset}.sha256`, `${"f".repeat(64)}  x\n`);
      const bad = await install(sandbox, { path });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /checksum mismatch/);
    }),
}));

/**
 * A PATH of one directory, under `dir`, that links to every program on this PATH except
 * `missing`: a machine without them.
 */
async function pathWithout(dir: string, missing: string[]): Promise<string> {
  const bin = join(dir, "path-without");
  await Deno.mkdir(bin);
  for (const source of (Deno.env.get("PATH") ?? "").split(":")) {
    const entries = await Array.fromAsync(Deno.readDir(source)).catch(() => []);
    for (const entry of entries) {
      if (missing.includes(entry.name) || entry.isDirectory) continue;
      // The first one on PATH wins, as in a shell.
      await Deno.symlink(join(source, entry.name), join(bin, entry.name)).catch(() => {});
    }
  }
  return bin;
}

Deno.test("install.sh --help explains the flags and variables", async () => {
  const result = await run("sh", [INSTALL_SH, "--help"]);
  assert.equal(result.code, 0);
  for (
    const word of ["--version", "QUEUECTL_VERSION", "QUEUECTL_INSTALL_DIR", "QUEUECTL_RELEASE_URL"]
  ) {
    assert.ok(result.stdout.includes(word), word);
  }
});

Deno.test("install.sh refuses unknown arguments and --version without a value", async () => {
  const unknown = await run("sh", [INSTALL_SH, "--prefix", "/usr"]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'queuectl install: unknown argument "--prefix" (see --help)\n');
  const bare = await run("sh", [INSTALL_SH, "--version"]);
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /--version needs a value/);
});

Deno.test("install.sh is valid POSIX sh", async (t) => {
  for (const shell of ["sh", "dash", "bash --posix"]) {
    const [program, ...args] = shell.split(" ");
    await t.step(needsTools([program], {
      name: `${shell} -n`,
      fn: async () => {
        const result = await run(program, [...args, "-n", INSTALL_SH]);
        assert.equal(result.code, 0, result.stderr);
      },
    }));
  }
  await t.step(needsTools(["shellcheck"], {
    name: "shellcheck -s sh",
    fn: async () => {
      const result = await run("shellcheck", ["-s", "sh", INSTALL_SH]);
      assert.equal(result.code, 0, result.stdout);
    },
  }));
});

/** Replaces the host's archive of `dir`'s release with one whose queuectl runs `script`. */
async function replaceHostBinary(sandbox: Sandbox, dir: string, script: string): Promise<void> {
  const stage = await Deno.makeTempDir();
  await Deno.writeTextFile(join(stage, "queuectl"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const asset = join(sandbox.releases, dir, archiveName(hostTarget()));
  const tar = await run("tar", ["-czf", asset, "-C", stage, "queuectl"]);
  assert.equal(tar.code, 0, tar.stderr);
  await Deno.writeTextFile(`${asset}.sha256`, `${await sha256Hex(asset)}  queuectl\n`);
  await Deno.remove(stage, { recursive: true });
}

Deno.test("install.sh refuses a binary that cannot start here, and keeps the one it had", () =>
  withSandbox(async (sandbox) => {
    assert.equal((await install(sandbox, { env: { QUEUECTL_VERSION: OLDER } })).code, 0);
    // Killed at start, as a binary for the wrong C library or CPU would fail.
    await replaceHostBinary(
      sandbox,
      join("latest", "download"),
      'echo "cannot start" >&2; kill -9 $$',
    );
    const result = await install(sandbox);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^queuectl install: the downloaded queuectl does not start on this machine \(cannot start\); nothing was installed\n$/,
    );
    assert.doesNotMatch(result.stdout, /Installed/);
    assert.match(await installedVersion(sandbox), new RegExp(`^queuectl ${OLDER} `));
  }));

Deno.test({
  name: "install.sh on a musl system (Alpine) says the binaries need glibc, installing nothing",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withSandbox(async (sandbox) => {
      // Alpine's ldd is musl's, and says so.
      await Deno.writeTextFile(
        join(sandbox.fakeBin, "ldd"),
        '#!/bin/sh\necho "musl libc (x86_64)" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      const result = await install(sandbox, { uname: ["Linux", "x86_64"] });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^queuectl install: this system's C library is musl \(Alpine\?\), but the release binaries need glibc: .*\n$/,
      );
      assert.equal(await exists(join(sandbox.dir, "bin")), false);
    }),
});

Deno.test("install.sh takes only a version number, so --version cannot point elsewhere", async (t) => {
  for (const version of ["../../../../other/path", "1.2.3/../../x", "1.2", "latest", "1.2.3 x"]) {
    await t.step(version, () =>
      withSandbox(async (sandbox) => {
        const result = await install(sandbox, { args: ["--version", version] });
        assert.equal(result.code, 1);
        assert.equal(
          result.stderr,
          `queuectl install: --version must be a version number such as 0.1.0, not "${version}"\n`,
        );
        assert.equal(result.stdout, "", "nothing was downloaded");
      }));
  }
  // What releases are named: plain, with a leading v, pre-releases.
  for (const version of ["1.4.2", "v1.4.2", "2.0.0-rc.1"]) {
    await t.step(`${version} is a version`, () =>
      withSandbox(async (sandbox) => {
        const result = await install(sandbox, { args: ["--version", version] });
        assert.doesNotMatch(result.stderr, /must be a version number/);
      }));
  }
});

Deno.test("install.sh downloads over HTTPS only", () =>
  withSandbox(async (sandbox) => {
    const result = await install(sandbox, {
      env: { QUEUECTL_RELEASE_URL: "http://127.0.0.1:9/releases" },
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /refusing to download http:\/\/127\.0\.0\.1:9\/.*: only https:\/\/ URLs are used/,
    );
  }));
