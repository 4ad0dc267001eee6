/**
 * `queuectl service install|uninstall` through the real CLI: the unit `--dry-run` prints (what
 * runs, how it stops, which database), its stop timeout taken from the database's config, the
 * file `install --user` writes under XDG_CONFIG_HOME with and without systemctl (a stand-in
 * script that records its calls), a PostgreSQL password kept out of the unit, uninstall, bad
 * flags, and `systemd-analyze verify` on the units (see `../helpers/tools.ts` for when it is
 * missing). The unit tests of the unit itself are in src/service/systemd_unit_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  MAIN,
  makeSandbox,
  onEveryStore,
  readOrEmpty,
  runCli,
  type Sandbox,
  sqliteOnly,
  TEST_STORE,
} from "../helpers/cli.ts";
import { assertExit } from "../helpers/jobs.ts";
import { needsTools } from "../helpers/tools.ts";

/** Tests that only look at files: once per test run (the SQLite pass) is enough. */
const once = sqliteOnly;

/** A PATH holding only a `systemctl` that appends its arguments to `log`, one call per line. */
async function fakeSystemctl(sandbox: Sandbox): Promise<{ path: string; log: string }> {
  const bin = join(sandbox.dir, "bin");
  const log = join(sandbox.dir, "systemctl.log");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    join(bin, "systemctl"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`,
    { mode: 0o755 },
  );
  return { path: bin, log };
}

/** The environment of a user install into the sandbox: its own config home, no systemctl. */
function userEnv(sandbox: Sandbox, path = join(sandbox.dir, "no-programs-here")) {
  return { XDG_CONFIG_HOME: join(sandbox.dir, "config"), PATH: path };
}

function unitPath(sandbox: Sandbox, name = "queuectl"): string {
  return join(sandbox.dir, "config", "systemd", "user", `${name}.service`);
}

function line(unit: string, key: string): string {
  const found = unit.split("\n").filter((text) => text.startsWith(`${key}=`));
  assert.equal(found.length, 1, `one ${key}= line in:\n${unit}`);
  return found[0].slice(key.length + 1);
}

once.test("service install --dry-run prints the unit and writes nothing", async () => {
  await using sandbox = await makeSandbox();
  const result = await sandbox.run(
    ["service", "install", "--count", "3", "--queue", "a,b", "--dry-run"],
    { env: userEnv(sandbox) },
  );
  assertExit(result, 0, "service install --dry-run");
  const unit = result.stdout;
  assert.equal(
    line(unit, "ExecStart"),
    `${Deno.execPath()} run -A ${MAIN} worker start --count 3 --queue a,b`,
  );
  assert.equal(line(unit, "Restart"), "on-failure");
  assert.equal(line(unit, "KillSignal"), "SIGTERM");
  assert.equal(line(unit, "KillMode"), "mixed");
  // job_timeout is 0 (no limit) by default: the drain is bounded at 300 s.
  assert.equal(line(unit, "TimeoutStopSec"), "300");
  assert.ok(unit.includes(`\nEnvironment="QUEUECTL_DB=${sandbox.db}"\n`), unit);
  assert.equal(line(unit, "WantedBy"), "default.target");
  assert.match(result.stderr, /would write .*\/config\/systemd\/user\/queuectl\.service/);
  await assert.rejects(Deno.stat(join(sandbox.dir, "config")), Deno.errors.NotFound);
});

Deno.test(needsTools(["systemd-analyze"], {
  name: "systemd-analyze verify finds nothing wrong with the units service install writes",
  ignore: TEST_STORE !== "sqlite",
  async fn() {
    await using sandbox = await makeSandbox();
    const units = {
      "a plain unit": ["--count", "3", "--queue", "a,b"],
      // %z is no systemd specifier: unescaped, systemd-analyze says so (most letters are).
      "a unit for a path with spaces, quotes and %": ["--db", join(sandbox.dir, `my "q" 1%z.db`)],
    };
    for (const [what, flags] of Object.entries(units)) {
      const unit = await sandbox.ok(["service", "install", "--dry-run", ...flags], {
        env: userEnv(sandbox),
      });
      const path = join(sandbox.dir, "queuectl-verify.service");
      await Deno.writeTextFile(path, unit);
      const output = await new Deno.Command("systemd-analyze", { args: ["verify", path] })
        .output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, `${what}:\n${stderr}`);
      // It exits 0 for settings it ignores, and names the unit's file when it does.
      assert.ok(!stderr.includes(path), `systemd-analyze verify of ${what}:\n${stderr}`);
    }
  },
}));

onEveryStore.test("TimeoutStopSec honours the database's job_timeout and kill_grace", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["config", "set", "job_timeout", "600"]);
  await sandbox.ok(["config", "set", "kill_grace", "10"]);
  const unit = await sandbox.ok(["service", "install", "--dry-run"], { env: userEnv(sandbox) });
  assert.equal(line(unit, "TimeoutStopSec"), String(600 + 10 + 30));
  assert.match(unit, /# Drain time: job_timeout 600 s \+ kill_grace 10 s \+ 30 s/);
  const fixed = await sandbox.ok(
    ["service", "install", "--dry-run", "--stop-timeout", "2h"],
    { env: userEnv(sandbox) },
  );
  assert.equal(line(fixed, "TimeoutStopSec"), "7200");
  const endless = await sandbox.ok(
    ["service", "install", "--dry-run", "--stop-timeout", "infinity"],
    { env: userEnv(sandbox) },
  );
  assert.equal(line(endless, "TimeoutStopSec"), "infinity");
});

once.test("a system unit goes to /etc/systemd/system, for multi-user.target, as --run-as", async () => {
  const result = await runCli(
    ["service", "install", "--system", "--run-as", "deploy", "--name", "ci", "--dry-run"],
    { QUEUECTL_DB: "/srv/queue/queue.db" },
  );
  assertExit(result, 0, "service install --system --dry-run");
  assert.equal(line(result.stdout, "WantedBy"), "multi-user.target");
  assert.equal(line(result.stdout, "User"), "deploy");
  assert.match(result.stderr, /would write \/etc\/systemd\/system\/queuectl-ci\.service\n/);
});

once.test("paths with spaces, quotes and % are quoted for systemd", async () => {
  await using sandbox = await makeSandbox();
  const db = join(sandbox.dir, `my "queue" 100%.db`);
  const unit = await sandbox.ok(["service", "install", "--dry-run", "--db", db], {
    env: userEnv(sandbox),
  });
  const escaped = db.replaceAll("%", "%%").replaceAll('"', '\\"');
  assert.ok(unit.includes(`\nEnvironment="QUEUECTL_DB=${escaped}"\n`), unit);
});

once.test("install --user without systemctl writes the unit, warns and exits 0; uninstall removes it", async () => {
  await using sandbox = await makeSandbox();
  const env = userEnv(sandbox);
  const dryRun = await sandbox.ok(["service", "install", "--count", "2", "--dry-run"], { env });
  const install = await sandbox.run(["service", "install", "--count", "2"], { env });
  assertExit(install, 0, "service install");
  assert.equal(install.stdout, `${unitPath(sandbox)}\n`);
  assert.match(
    install.stderr,
    /Warning: systemctl was not found.*systemctl --user daemon-reload/,
  );
  assert.equal(await Deno.readTextFile(unitPath(sandbox)), dryRun);
  assert.equal((await Deno.stat(unitPath(sandbox))).mode! & 0o777, 0o644);

  const uninstall = await sandbox.run(["service", "uninstall"], { env });
  assertExit(uninstall, 0, "service uninstall");
  assert.match(uninstall.stderr, /Warning: systemctl was not found/);
  await assert.rejects(Deno.stat(unitPath(sandbox)), Deno.errors.NotFound);

  const again = await sandbox.run(["service", "uninstall"], { env });
  assertExit(again, 3, "service uninstall of nothing");
  assert.match(again.stderr, /^queuectl: No unit file at .*: nothing to uninstall\n$/);
});

once.test("install and uninstall ask systemctl to reload, enable and disable", async () => {
  await using sandbox = await makeSandbox();
  const systemctl = await fakeSystemctl(sandbox);
  const env = userEnv(sandbox, systemctl.path);
  const install = await sandbox.run(["service", "install", "--name", "ci"], { env });
  assertExit(install, 0, "service install");
  assert.match(
    install.stderr,
    /Start it now .*: systemctl --user enable --now queuectl-ci\.service/,
  );
  assert.equal(await readOrEmpty(systemctl.log), "--user daemon-reload\n");

  await sandbox.ok(["service", "install", "--name", "ci", "--now"], { env });
  await sandbox.ok(["service", "uninstall", "--name", "ci"], { env });
  assert.deepEqual((await readOrEmpty(systemctl.log)).trimEnd().split("\n"), [
    "--user daemon-reload",
    "--user daemon-reload",
    "--user enable --now queuectl-ci.service",
    "--user disable --now queuectl-ci.service",
    "--user daemon-reload",
  ]);
  await assert.rejects(Deno.stat(unitPath(sandbox, "queuectl-ci")), Deno.errors.NotFound);
});

once.test("a PostgreSQL password goes to a 0600 environment file, never into the unit", async () => {
  await using sandbox = await makeSandbox();
  const env = { ...userEnv(sandbox), QUEUECTL_DB: "postgres://queue:s3cr$t@db.internal/jobs" };
  // --stop-timeout: nothing to read from a server that is not there.
  const result = await sandbox.run(["service", "install", "--stop-timeout", "60"], { env });
  assertExit(result, 0, "service install");
  const unit = await Deno.readTextFile(unitPath(sandbox));
  assert.doesNotMatch(unit + result.stdout + result.stderr, /s3cr/);
  const environmentFile = join(sandbox.dir, "config", "queuectl", "queuectl.env");
  assert.equal(line(unit, "EnvironmentFile"), environmentFile);
  assert.equal(
    await Deno.readTextFile(environmentFile),
    'QUEUECTL_DB="postgres://queue:s3cr\\$t@db.internal/jobs"\n',
  );
  assert.equal((await Deno.stat(environmentFile)).mode! & 0o777, 0o600);
  await sandbox.ok(["service", "uninstall"], { env });
  await assert.rejects(Deno.stat(environmentFile), Deno.errors.NotFound);
});

once.test("service install refuses bad flags with exit 2 and one line", async () => {
  await using sandbox = await makeSandbox();
  const cases = [
    ["--user", "--system"],
    ["--count", "0"],
    ["--count", "many"],
    ["--queue", "a b"],
    ["--name", "my service"],
    ["--run-as", "deploy"],
    ["--stop-timeout", "soon"],
    ["--dry-run", "--now"],
    ["--bogus"],
    ["extra"],
  ];
  for (const args of cases) {
    const result = await sandbox.run(["service", "install", ...args], { env: userEnv(sandbox) });
    assertExit(result, 2, `service install ${args.join(" ")}`);
    assert.match(result.stderr, /^queuectl: [^\n]+\n$/, args.join(" "));
  }
  const uninstall = await sandbox.run(["service", "uninstall", "--name", "../x"], {
    env: userEnv(sandbox),
  });
  assertExit(uninstall, 2, "service uninstall --name ../x");
  await assert.rejects(Deno.stat(join(sandbox.dir, "config")), Deno.errors.NotFound);
});

once.test("a password with a raw / ? or #, or in a password parameter, stays out of the unit", async () => {
  // Each URL holds "hunter2"; the first ones are not valid URLs, which install does not check.
  const urls = [
    "postgres://queue:hunter2/x@db.internal/jobs",
    "postgres://queue:hunter2?x@db.internal/jobs",
    "postgres://queue:hunter2#x@db.internal/jobs",
    "postgres://queue@db.internal/jobs?password=hunter2",
    "postgres://queue@db.internal/jobs?sslmode=require&SSLPassword=hunter2",
  ];
  const environmentFile = (sandbox: Sandbox) =>
    join(sandbox.dir, "config", "queuectl", "queuectl.env");
  for (const url of urls) {
    await using sandbox = await makeSandbox();
    const env = { ...userEnv(sandbox), QUEUECTL_DB: url };
    // --stop-timeout: nothing to read from a server that is not there.
    const install = ["service", "install", "--stop-timeout", "60"];
    const dryRun = await sandbox.run([...install, "--dry-run"], { env });
    assertExit(dryRun, 0, `service install --dry-run for ${url}`);
    const result = await sandbox.run(install, { env });
    assertExit(result, 0, `service install for ${url}`);
    const unit = await Deno.readTextFile(unitPath(sandbox));
    const shown = [unit, dryRun.stdout, dryRun.stderr, result.stdout, result.stderr].join("\n");
    assert.doesNotMatch(shown, /hunter2/, url);
    assert.equal(line(unit, "EnvironmentFile"), environmentFile(sandbox), url);
    assert.equal(
      await Deno.readTextFile(environmentFile(sandbox)),
      `QUEUECTL_DB="${url}"\n`,
      url,
    );
    assert.equal((await Deno.stat(environmentFile(sandbox))).mode! & 0o777, 0o600, url);
    assert.equal((await Deno.stat(unitPath(sandbox))).mode! & 0o777, 0o644, url);
    await sandbox.ok(["service", "uninstall"], { env });
    await assert.rejects(Deno.stat(environmentFile(sandbox)), Deno.errors.NotFound);
  }
});
