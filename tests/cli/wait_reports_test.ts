/**
 * `wait`'s reports for CI through the real CLI, on both stores: the `--junit` file (read back
 * with a real XML parser), GitHub Actions annotations and the step summary (only when
 * `GITHUB_ACTIONS=true`), and a bad `--junit` path refused before any waiting.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  makeSandbox,
  onEveryStore,
  processExists,
  readOrEmpty,
  snapshotDatabase,
} from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  q,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

// deno-lint-ignore no-explicit-any
type Xml = any;

/** The JUnit file, checked well-formed and parsed; its one test suite. */
async function readJunit(path: string): Promise<Xml> {
  const xml = await Deno.readTextFile(path);
  assert.equal(XMLValidator.validate(xml), true, `well-formed XML:\n${xml}`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => name === "testcase" || name === "testsuite",
  }).parse(xml);
  assert.equal(doc.testsuites.testsuite.length, 1);
  return doc.testsuites.testsuite[0];
}

function testCase(suite: Xml, name: string): Xml {
  const found = suite.testcase.find((one: Xml) => one.name === name);
  assert.ok(found, `no test case "${name}" in ${JSON.stringify(suite)}`);
  return found;
}

function annotations(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("::"));
}

onEveryStore.test("wait --junit writes one test case per job, failures for dead and canceled jobs, on exit 0, 1 and 124; GitHub reports only on GitHub Actions", async () => {
  const sandbox = await makeSandbox();
  const longPid = join(sandbox.dir, "long.pid");
  const junit = join(sandbox.dir, "junit.xml");
  const summary = join(sandbox.dir, "summary.md");
  const github = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary };
  try {
    await configure(sandbox, { poll_interval: "0.1" });
    await enqueue(sandbox, ["--id", "ok1", "--queue", "build", "--", "sleep 0.3"]);
    await enqueue(sandbox, [
      "--id",
      "dies",
      "--queue",
      "test",
      "--max-retries",
      "0",
      "--",
      `printf 'first line\\n<boom> & "quoted" \\001 100%%, a:b\\n' >&2; exit 3`,
    ]);
    await enqueue(sandbox, ["--id", "dropped", "--delay", "1h", "--", "true"]);
    await sandbox.ok(["cancel", "dropped"]);
    await enqueue(sandbox, ["--id", "long", "--", `echo $$ > ${q(longPid)}; exec sleep 60`]);
    const worker = await startWorker(sandbox, ["--count", "2"]);

    // All completed: exit 0, a report with no failures; no GitHub output when not on it.
    await Deno.writeTextFile(summary, "before\n");
    const allOk = await sandbox.run(["wait", "ok1", "--junit", junit, "--timeout", "30s"], {
      env: { GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: "false" },
    });
    assertExit(allOk, 0, "wait ok1 --junit");
    assert.equal(allOk.stderr, "", "nothing on stderr off GitHub Actions");
    assert.equal(await Deno.readTextFile(summary), "before\n", "the summary is not touched");
    let suite = await readJunit(junit);
    assert.deepEqual(
      [suite.name, suite.tests, suite.failures, suite.errors],
      ["queuectl wait", "1", "0", "0"],
    );
    const ok1 = testCase(suite, "ok1");
    assert.equal(ok1.classname, "build");
    assert.equal(ok1.failure, undefined);
    const okRun = ((await sandbox.info("ok1")).runs as Record<string, string>[])[0];
    const okSeconds = (Date.parse(okRun.finished_at) - Date.parse(okRun.started_at)) / 1000;
    assert.ok(Math.abs(Number(ok1.time) - okSeconds) < 0.002, `time ${ok1.time} ≈ ${okSeconds}`);
    assert.ok(Number(ok1.time) >= 0.3, `the job slept 0.3 s: ${ok1.time}`);
    assert.equal(suite.time, ok1.time);

    // Off GitHub Actions (GITHUB_ACTIONS unset), a failed wait writes no annotation and no summary.
    const offGithub = await sandbox.run(["wait", "dies", "dropped", "--timeout", "30s"], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    assertExit(offGithub, 1, "wait dies dropped off GitHub Actions");
    assert.deepEqual(annotations(offGithub.stderr), [], offGithub.stderr);
    assert.match(offGithub.stderr, /^Job "dies" ended dead$/m, "the usual lines");
    assert.equal(await Deno.readTextFile(summary), "before\n", "the summary is not touched");

    // One dead, one canceled: exit 1, the report still written; on GitHub Actions, one
    // annotation per failed job and a table appended to the summary.
    const failed = await sandbox.run(
      ["wait", "ok1", "dies", "dropped", "--junit", junit, "--timeout", "30s"],
      { env: github },
    );
    assertExit(failed, 1, "wait ok1 dies dropped --junit");
    suite = await readJunit(junit);
    assert.deepEqual([suite.tests, suite.failures, suite.errors], ["3", "2", "0"]);
    assert.deepEqual(suite.testcase.map((one: Xml) => one.name), ["ok1", "dies", "dropped"]);
    const dies = testCase(suite, "dies");
    assert.equal(dies.classname, "test");
    assert.equal(dies.failure.type, "dead");
    assert.match(dies.failure.message, /^dead: .*3/);
    const text: string = dies.failure["#text"];
    assert.ok(text.includes('first line\n<boom> & "quoted" \uFFFD 100%, a:b\n'), text);
    assert.ok(text.includes("Command: printf"), text);
    const dropped = testCase(suite, "dropped");
    assert.equal(dropped.failure.type, "canceled");
    assert.equal(dropped.time, "0", "never ran");

    const lines = annotations(failed.stderr);
    assert.equal(lines.length, 2, failed.stderr);
    assert.match(lines[0], /^::error title=queuectl job "dies" dead::dead: .*3/);
    assert.ok(
      lines[0].includes('%0Afirst line%0A<boom> & "quoted" \x01 100%25, a:b%0A'),
      "the message is escaped as GitHub documents, one line",
    );
    assert.match(lines[1], /^::error title=queuectl job "dropped" canceled::canceled/);
    const table = await Deno.readTextFile(summary);
    assert.ok(table.startsWith("before\n### queuectl: 3 job(s)"), table);
    assert.match(table, /\| Job \| Queue \| State \| Attempts \| Duration \| Last error \|/);
    assert.match(table, /^\| dies \| test \| dead \| 1 \| \d+(\.\d+)? s \| .*3.* \|$/m);
    assert.match(table, /^\| dropped \| default \| canceled \| 0 \| {2}\| .+ \|$/m);
    assert.match(table, /^\| ok1 \| build \| completed \| 1 \| \d\.\d+ s \| {2}\|$/m);

    // Timed out: exit 124, the unfinished job an error "not finished".
    await waitForState(sandbox, "long", "processing");
    const timedOut = await sandbox.run(
      ["wait", "ok1", "long", "--junit", junit, "--timeout", "1s"],
      { env: github },
    );
    assertExit(timedOut, 124, "wait ok1 long --timeout 1s --junit");
    suite = await readJunit(junit);
    assert.deepEqual([suite.tests, suite.failures, suite.errors], ["2", "0", "1"]);
    const long = testCase(suite, "long");
    assert.equal(long.error.type, "not finished");
    assert.match(long.error.message, /^not finished: still processing/);
    assert.equal(long.failure, undefined);
    assert.deepEqual(annotations(timedOut.stderr).map((line) => line.split("::")[1]), [
      'error title=queuectl job "long" not finished',
    ]);
    assert.match(timedOut.stderr, /^queuectl: Timed out/m, "the timeout is still said");

    await sandbox.ok(["cancel", "long"]);
    await stopWorker(worker);
  } finally {
    const pid = Number((await readOrEmpty(longPid)).trim());
    if (pid > 0 && await processExists(pid)) Deno.kill(pid, "SIGKILL");
    await sandbox.cleanup();
  }
});

onEveryStore.test("wait --junit in a missing directory or at a directory is a usage error before any waiting, changing nothing", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "later", "--delay", "1h", "--", "true"]);
  const before = await snapshotDatabase(sandbox);
  const cases: [string, string, RegExp][] = [
    ["a missing directory", join(sandbox.dir, "no", "such", "junit.xml"), /does not exist/],
    ["an existing directory", sandbox.dir, /it is a directory/],
    ["under a file", join(sandbox.dir, "file", "junit.xml"), /is not a directory/],
  ];
  await Deno.writeTextFile(join(sandbox.dir, "file"), "");
  for (const [intent, path, why] of cases) {
    const started = Date.now();
    // The job is due in an hour: a wait that got as far as waiting would time out (exit 124).
    const result = await sandbox.run(["wait", "later", "--timeout", "10s", "--junit", path], {
      env: { GITHUB_ACTIONS: "true" },
    });
    assertExit(result, 2, `wait --junit at ${intent}`);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
    assert.match(result.stderr, /^queuectl: Cannot write --junit ".*": /);
    assert.match(result.stderr, why);
    assert.ok(Date.now() - started < 10_000, "refused before waiting");
  }
  assert.equal(await snapshotDatabase(sandbox), before, "nothing changed");
  assert.equal((await sandbox.info("later")).state, "pending");

  // Nothing to wait for: exit 0 and still a report, an empty one.
  const empty = join(sandbox.dir, "empty.xml");
  assertExit(
    await sandbox.run(["wait", "--queue", "idle", "--junit", empty]),
    0,
    "wait --queue idle",
  );
  const suite = await readJunit(empty);
  assert.deepEqual([suite.tests, suite.failures, suite.errors], ["0", "0", "0"]);
  assert.equal(suite.testcase, undefined);
});

onEveryStore.test("wait --help documents --junit and the GitHub Actions reports", async () => {
  await using sandbox = await makeSandbox();
  const help = await sandbox.ok(["wait", "--help"]);
  assert.match(help, /--junit FILE/);
  assert.match(help, /GITHUB_ACTIONS=true/);
  assert.match(help, /GITHUB_STEP_SUMMARY/);
});
