import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { TEST_NOW, testJob } from "./_test_job.ts";
import {
  githubAnnotations,
  githubStepSummary,
  junitReport,
  markdownCell,
  type ReportedJob,
  workflowCommandData,
  workflowCommandProperty,
  xmlAttribute,
  xmlText,
} from "./ci_reports.ts";
import type { JobRun } from "./job.ts";

/** Every character XML 1.0 forbids (tab, line feed and carriage return are allowed). */
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Text with everything that needs escaping in any of the formats. */
const NASTY = "a<b>&c\"d'e|f%g:h,i\r\nj\tk\x00l\x1b[31mm\x7fn\uFFFEo\uD800p`q\\r]]>s";

function run(fields: Partial<JobRun> = {}): JobRun {
  return {
    jobId: "j1",
    run: 1,
    attempt: 1,
    workerId: "w1",
    startedAt: TEST_NOW,
    finishedAt: TEST_NOW + 1500,
    outcome: "completed",
    exitCode: 0,
    error: null,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    stdoutBytes: 0,
    stderrBytes: 0,
    ...fields,
  };
}

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true, "well-formed XML");
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => name === "testcase",
  }).parse(xml);
}

Deno.test("xmlText() and xmlAttribute() escape markup and replace characters XML 1.0 forbids", () => {
  const cases: [string, string, string][] = [
    // [intent, input, xmlText]
    ["markup is escaped", "<a & b>", "&lt;a &amp; b&gt;"],
    ["a CDATA end is harmless", "]]>", "]]&gt;"],
    ["C0 controls are replaced", "a\x00b\x1bc", "a\uFFFDb\uFFFDc"],
    ["tab and line feed stay", "a\tb\nc", "a\tb\nc"],
    ["a carriage return is a reference, or a parser reads a line feed", "a\r\n", "a&#13;\n"],
    ["a lone surrogate is replaced", "x\uD800y\uDC00", "x\uFFFDy\uFFFD"],
    ["a surrogate pair stays", "😀", "😀"],
    ["U+FFFE and U+FFFF are replaced", "\uFFFE\uFFFF", "\uFFFD\uFFFD"],
  ];
  for (const [intent, input, expected] of cases) {
    assert.equal(xmlText(input), expected, intent);
  }
  assert.equal(xmlAttribute('"a"\t\n\r<'), "&quot;a&quot;&#9;&#10;&#13;&lt;");
  assert.doesNotMatch(xmlAttribute(NASTY), FORBIDDEN);
});

Deno.test("junitReport() counts passed, failed and not finished jobs, and a parser reads back every value", () => {
  const jobs: ReportedJob[] = [
    {
      job: testJob({ id: "ok", state: "completed", attempts: 1, queue: "build" }),
      runs: [run({ finishedAt: TEST_NOW + 2345 })],
    },
    {
      job: testJob({
        id: "bad:1",
        state: "dead",
        attempts: 2,
        queue: "test",
        command: NASTY,
        lastError: `exit code 1 ${NASTY}`,
      }),
      runs: [
        run({ outcome: "failed" }),
        run({
          outcome: "failed",
          finishedAt: TEST_NOW + 500,
          stderr: new TextEncoder().encode(`boom ${NASTY}\n`),
          stderrBytes: 10_000,
        }),
      ],
    },
    { job: testJob({ id: "gone", state: "canceled", lastError: "canceled by user" }), runs: [] },
    { job: testJob({ id: "slow", state: "processing", attempts: 1 }), runs: [] },
  ];
  const xml = junitReport(jobs, { now: TEST_NOW, suiteName: "queuectl wait" });
  assert.doesNotMatch(xml, FORBIDDEN);
  const doc = parse(xml);
  const suite = doc.testsuites.testsuite;
  for (const element of [doc.testsuites, suite]) {
    assert.equal(element.name, "queuectl wait");
    assert.equal(element.tests, "4");
    assert.equal(element.failures, "2");
    assert.equal(element.errors, "1");
    assert.equal(element.time, "2.845");
  }
  assert.equal(suite.timestamp, "2026-01-01T00:00:00");
  const [ok, bad, gone, slow] = suite.testcase;
  assert.deepEqual(ok, { name: "ok", classname: "build", time: "2.345" });
  assert.equal(bad.name, "bad:1");
  assert.equal(bad.classname, "test");
  assert.equal(bad.time, "0.5");
  assert.equal(bad.failure.type, "dead");
  const clean = ["\x00", "\x1b", "\uFFFE", "\uD800"].reduce(
    (text, forbidden) => text.replaceAll(forbidden, "\uFFFD"),
    NASTY,
  );
  assert.equal(bad.failure.message, `dead: exit code 1 ${clean}`, "the attribute round-trips");
  const text = bad.failure["#text"];
  assert.ok(text.includes(`Last error: exit code 1 ${clean}`), text);
  assert.match(text, /\[queuectl: 9\d{3} earlier bytes cut\]/, "the cut stderr says so");
  assert.ok(text.includes(`boom ${clean}`), text);
  assert.equal(gone.failure.type, "canceled");
  assert.equal(gone.time, "0");
  assert.equal(slow.error.type, "not finished");
  assert.match(slow.error.message, /^not finished: still processing/);
  assert.equal(slow.failure, undefined);
});

Deno.test("workflowCommandData() and workflowCommandProperty() escape as GitHub's runner unescapes", () => {
  assert.equal(workflowCommandData("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
  assert.equal(workflowCommandProperty("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext%3A a%2Cb");
  assert.equal(workflowCommandData("%0A"), "%250A", "an escape in the text is not taken as one");
});

Deno.test("githubAnnotations() gives one ::error line per job not completed, each one line", () => {
  const text = githubAnnotations([
    { job: testJob({ id: "ok", state: "completed" }), runs: [] },
    {
      job: testJob({ id: "a:b", state: "dead", lastError: "exit code 1\nmore" }),
      runs: [run({ stderr: new TextEncoder().encode("50%,x\n"), stderrBytes: 6 })],
    },
    { job: testJob({ id: "slow", state: "pending" }), runs: [] },
  ]);
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines, [
    '::error title=queuectl job "a%3Ab" dead::dead: exit code 1%0Amore%0A50%25,x%0A',
    '::error title=queuectl job "slow" not finished::not finished: still pending when the wait ended',
  ]);
  assert.equal(githubAnnotations([{ job: testJob({ state: "completed" }), runs: [] }]), "");
});

Deno.test("githubStepSummary() is a Markdown table, one row per job, cells escaped", () => {
  assert.equal(markdownCell("a|b\nc `d` \\ <e>"), "a\\|b c \\`d\\` \\\\ &lt;e&gt;");
  const summary = githubStepSummary([
    { job: testJob({ id: "ok", state: "completed", attempts: 1 }), runs: [run()] },
    {
      job: testJob({ id: "bad", state: "dead", attempts: 3, lastError: "x | y\nz" }),
      runs: [run({ finishedAt: TEST_NOW + 250 })],
    },
  ]);
  assert.equal(
    summary,
    [
      "### queuectl: 2 job(s), 1 completed, 1 dead",
      "",
      "| Job | Queue | State | Attempts | Duration | Last error |",
      "| --- | --- | --- | ---: | ---: | --- |",
      "| bad | default | dead | 3 | 0.25 s | x \\| y z |",
      "| ok | default | completed | 1 | 1.5 s |  |",
      "",
      "",
    ].join("\n"),
  );
  for (const row of summary.split("\n").filter((line) => line.startsWith("| "))) {
    assert.equal(row.replace(/\\\|/g, "").split("|").length, 8, `six cells: ${row}`);
  }
});
