/**
 * `queuectl run` through the real CLI: it enqueues, runs the jobs with its own workers, waits,
 * summarises and exits 0, 1 or 124 (or 130 after Ctrl-C, once running jobs finished); on the
 * store of the sandbox (both stores) or on a throw-away SQLite database it removes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  cliEnvironment,
  MAIN,
  makeSandbox,
  onEveryStore,
  processExists,
  readOrEmpty,
  runCli,
  type Sandbox,
  sqliteOnly,
  waitFor,
} from "../helpers/cli.ts";
import { assertExit, q, touchedAt } from "../helpers/jobs.ts";

/** A shell loop that waits (at most ~20 s, then fails) until `condition` holds. */
function until(condition: string): string {
  return `n=0; until ${condition}; do n=$((n+1)); [ $n -gt 400 ] && exit 9; sleep 0.05; done`;
}

onEveryStore.test("run enqueues the jobs of --file and after --, runs them, prints a summary and exits 0; the jobs stay in the store", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(
    file,
    '{"id":"from-file","command":"echo file"}\n\n{"id":"own-queue","command":"true","queue":"other"}\n',
  );
  const result = await sandbox.run([
    "run",
    "--workers",
    "2",
    "--queue",
    "ci",
    "--priority",
    "5",
    "--file",
    file,
    "--",
    "echo one",
    "printf '%s\\n' \"two words\"",
  ]);
  assertExit(result, 0, "run");
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^Ran 4 job\(s\) in \d+\.\d s: 4 completed, 0 dead, 0 canceled$/m);
  assert.doesNotMatch(result.stderr, /INFO/, "the workers log failures only, by default");

  const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
  assert.equal(jobs.length, 4);
  assert.ok(jobs.every((job) => job.state === "completed"), JSON.stringify(jobs));
  const byCommand = new Map(jobs.map((job) => [job.command, job]));
  assert.equal(byCommand.get("echo one")?.queue, "ci", "a flag is every job's default");
  assert.equal(byCommand.get("echo one")?.priority, 5);
  assert.equal(byCommand.get(`printf '%s\\n' "two words"`)?.queue, "ci", "one argument, one job");
  assert.equal(byCommand.get("echo file")?.queue, "ci");
  assert.equal(byCommand.get("true")?.queue, "other", "a line's own field wins over the flag");
  assert.equal(byCommand.get("true")?.priority, 5);
  const info = await sandbox.info("from-file");
  assert.equal((info.runs as Record<string, string>[])[0].stdout, "file\n");
  assert.deepEqual((await sandbox.status()).workers, [], "the workers are gone");
});

onEveryStore.test("run exits 1 when a job ends dead, with its id, command, last error and stderr tail in the summary", async () => {
  await using sandbox = await makeSandbox();
  const failing = "echo first >&2; echo 'last words' >&2; exit 3";
  const result = await sandbox.run(["run", "--max-retries", "0", "--", "true", failing]);
  assertExit(result, 1, "run with a failing job");
  const dead = JSON.parse(await sandbox.ok(["list", "--json", "--state", "dead"])) as {
    id: string;
  }[];
  assert.equal(dead.length, 1);
  const { id } = dead[0];
  assert.match(result.stderr, new RegExp(`^Job "${id}" dead after 1 run\\(s\\): .*3`, "m"));
  assert.ok(result.stderr.includes(`  command: ${failing}\n`), result.stderr);
  assert.match(result.stderr, /stderr \(last lines\):\n {4}first\n {4}last words\n/);
  assert.match(result.stderr, /^Ran 2 job\(s\) in .*: 1 completed, 1 dead, 0 canceled$/m);
});

onEveryStore.test("run --workers 4 runs four jobs at once", async () => {
  await using sandbox = await makeSandbox();
  const barrier = join(sandbox.dir, "barrier");
  await Deno.mkdir(barrier);
  // Each job waits until all four have started: with fewer at once, they would fail.
  const job = (n: number) =>
    `touch ${q(join(barrier, `start.${n}`))}; ` +
    until(`[ $(ls ${q(barrier)} | grep -c '^start') -ge 4 ]`) +
    `; touch ${q(join(barrier, `end.${n}`))}`;
  const result = await sandbox.run([
    "run",
    "--workers",
    "4",
    "--max-retries",
    "0",
    "--",
    ...[1, 2, 3, 4].map(job),
  ]);
  assertExit(result, 0, "run --workers 4");
  const starts = await Promise.all([1, 2, 3, 4].map((n) => touchedAt(join(barrier, `start.${n}`))));
  const ends = await Promise.all([1, 2, 3, 4].map((n) => touchedAt(join(barrier, `end.${n}`))));
  assert.ok(Math.max(...starts) <= Math.min(...ends), "every job started before any ended");
});

onEveryStore.test("run --timeout exits 124, stops the workers at once and leaves the unfinished jobs in the store", async () => {
  await using sandbox = await makeSandbox();
  const pidFile = join(sandbox.dir, "long.pid");
  try {
    const result = await sandbox.run([
      "run",
      "--workers",
      "1",
      "--timeout",
      "3s",
      "--",
      `echo $$ > ${q(pidFile)}; exec sleep 60`,
      "echo never",
    ]);
    assertExit(result, 124, "run --timeout 3s");
    assert.match(
      result.stderr,
      /^Ran 2 job\(s\) in .*: 0 completed, 0 dead, 0 canceled, 2 not finished$/m,
    );
    assert.match(
      result.stderr,
      /^Timed out after 3\.0 s: the workers were stopped at once; the unfinished jobs stay in the queue$/m,
    );
    const pid = Number((await readOrEmpty(pidFile)).trim());
    assert.ok(pid > 0, "the long job ran");
    assert.equal(await processExists(pid), false, "the running job was stopped");
    assert.deepEqual((await sandbox.status()).workers, [], "the workers are gone");
    const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
    assert.deepEqual(jobs.map((job) => job.state), ["pending", "pending"]);
  } finally {
    const pid = Number((await readOrEmpty(pidFile)).trim());
    if (pid > 0 && await processExists(pid)) Deno.kill(pid, "SIGKILL");
  }
});

/** `queuectl ARGS` in the background, its stderr read as it comes. */
function spawnRun(sandbox: Sandbox, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(sandbox.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  const read = (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const stdout = new Response(child.stdout).text();
  return {
    child,
    stderr: () => stderr,
    finished: async () => {
      const { code } = await child.status;
      await read;
      return { code, stdout: await stdout, stderr };
    },
  };
}

onEveryStore.test("run drains on Ctrl-C: the running job finishes, no new one starts, exit 130", async () => {
  await using sandbox = await makeSandbox();
  const started = join(sandbox.dir, "started");
  const release = join(sandbox.dir, "release");
  const finished = join(sandbox.dir, "finished");
  const second = join(sandbox.dir, "second");
  const run = spawnRun(sandbox, [
    "run",
    "--workers",
    "1",
    "--log-level",
    "info",
    "--",
    `touch ${q(started)}; ${until(`[ -e ${q(release)} ]`)}; echo done > ${q(finished)}`,
    `touch ${q(second)}`,
  ]);
  try {
    await waitFor("the first job to start", () => Deno.statSync(started));
    run.child.kill("SIGINT");
    await waitFor(
      "the workers to drain",
      () => run.stderr().includes("Stopping: taking no new jobs"),
    );
    await Deno.writeTextFile(release, "");
    const result = await run.finished();
    assertExit(result, 130, "run interrupted by SIGINT");
    assert.equal(await readOrEmpty(finished), "done\n", "the running job finished");
    assert.equal(await readOrEmpty(second), "", "the second job did not start");
    assert.match(
      result.stderr,
      /^Ran 2 job\(s\) in .*: 1 completed, 0 dead, 0 canceled, 1 not finished$/m,
    );
    assert.match(result.stderr, /^Interrupted \(SIGINT\)/m);
    const jobs = JSON.parse(await sandbox.ok(["list", "--json"])) as Record<string, unknown>[];
    assert.deepEqual(jobs.map((job) => job.state).sort(), ["completed", "pending"]);
  } finally {
    try {
      run.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await run.finished();
  }
});

// deno-lint-ignore no-explicit-any
type Xml = any;

onEveryStore.test("run --junit writes a JUnit report and, on GitHub Actions, annotations and a step summary", async () => {
  await using sandbox = await makeSandbox();
  const junit = join(sandbox.dir, "junit.xml");
  const summary = join(sandbox.dir, "summary.md");
  await Deno.writeTextFile(summary, "before\n");
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(
    file,
    [
      { id: "passes", command: "true", queue: "build" },
      { id: "fails", command: "echo '<bad> & worse' >&2; exit 4", queue: "test" },
    ].map((job) => JSON.stringify(job)).join("\n"),
  );
  const result = await sandbox.run(
    ["run", "--max-retries", "0", "--file", file, "--junit", junit],
    { env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } },
  );
  assertExit(result, 1, "run --junit");
  const xml = await Deno.readTextFile(junit);
  assert.equal(XMLValidator.validate(xml), true, xml);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    isArray: (name) => name === "testcase" || name === "testsuite",
  }).parse(xml);
  const suite: Xml = doc.testsuites.testsuite[0];
  assert.deepEqual([suite.name, suite.tests, suite.failures, suite.errors], [
    "queuectl run",
    "2",
    "1",
    "0",
  ]);
  const fails = suite.testcase.find((one: Xml) => one.name === "fails");
  assert.equal(fails.classname, "test");
  assert.equal(fails.failure.type, "dead");
  assert.ok(String(fails.failure["#text"]).includes("<bad> & worse"), fails.failure["#text"]);
  assert.equal(suite.testcase.find((one: Xml) => one.name === "passes").failure, undefined);

  const annotations = result.stderr.split("\n").filter((line) => line.startsWith("::"));
  assert.equal(annotations.length, 1, result.stderr);
  assert.match(annotations[0], /^::error title=queuectl job "fails" dead::/);
  const table = await Deno.readTextFile(summary);
  assert.ok(table.startsWith("before\n### queuectl: 2 job(s)"), table);
  assert.match(table, /^\| fails \| test \| dead \| 1 \| .* \|$/m);
  assert.match(table, /^\| passes \| build \| completed \| 1 \| .* \|$/m);
});

/** `run` with no --db and no QUEUECTL_DB: its temporary directory under `tmp`. */
async function runWithoutDb(sandbox: Sandbox, tmp: string, args: string[]) {
  return await runCli(args, { NO_COLOR: "1", XDG_STATE_HOME: sandbox.dir, TMPDIR: tmp });
}

sqliteOnly.test("run without --db or QUEUECTL_DB uses a throw-away database it removes, unless --keep", async () => {
  await using sandbox = await makeSandbox();
  const tmp = join(sandbox.dir, "tmp");
  await Deno.mkdir(tmp);
  const plain = await runWithoutDb(sandbox, tmp, ["run", "--", "echo hi"]);
  assertExit(plain, 0, "run without a database");
  assert.equal(plain.stdout, "");
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "the temporary database is removed");

  const kept = await runWithoutDb(sandbox, tmp, ["run", "--keep", "--", "echo kept"]);
  assertExit(kept, 0, "run --keep");
  const path = kept.stdout.trim();
  assert.ok(path.startsWith(tmp) && path.endsWith("queue.db"), `the path on stdout: ${path}`);
  assert.ok(kept.stderr.includes(`queuectl --db ${path} list`), kept.stderr);
  const listed = await runWithoutDb(sandbox, tmp, ["--db", path, "list", "--json"]);
  assertExit(listed, 0, "list of the kept database");
  const jobs = JSON.parse(listed.stdout) as Record<string, unknown>[];
  assert.deepEqual(jobs.map((job) => [job.command, job.state]), [["echo kept", "completed"]]);
  assert.equal(await Deno.stat(sandbox.db).catch(() => null), null, "QUEUECTL_DB was not used");
});

sqliteOnly.test("run's throw-away database is removed after a failure and a timeout too", async () => {
  await using sandbox = await makeSandbox();
  const tmp = join(sandbox.dir, "tmp");
  await Deno.mkdir(tmp);
  assertExit(
    await runWithoutDb(sandbox, tmp, ["run", "--max-retries", "0", "--", "false"]),
    1,
    "run false",
  );
  assertExit(
    await runWithoutDb(sandbox, tmp, ["run", "--timeout", "1s", "--", "sleep 30"]),
    124,
    "run --timeout",
  );
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "the temporary databases are removed");
});

onEveryStore.test("run --help documents the syntax, the database, the summary and the exit codes", async () => {
  await using sandbox = await makeSandbox();
  const help = await sandbox.ok(["run", "--help"]);
  for (const text of ["--workers N", "--keep", "--job-timeout", "--junit FILE", "130", "124"]) {
    assert.ok(help.includes(text), `help mentions ${text}`);
  }
  assert.ok(help.includes("run -- 'make a' 'make b'"), "one argument after -- is one job");
});
