/**
 * The dashboard's `POST /api/jobs` refuses what `queuectl enqueue` refuses, as a 400 with one
 * plain line in `{"error": …}` (never a 500), and stores nothing: values too large to store, dates
 * that do not exist, inherited keys as fields or shells, lone surrogates, commands too long to be
 * started. `GET /api/jobs` keeps answering after each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";
import { withDashboard } from "../helpers/dashboard.ts";

/** The longest command accepted, in UTF-8 bytes (127 KiB: `MAX_COMMAND_BYTES`). */
const LIMIT = 127 * 1024;

/** One bad body of `POST /api/jobs` (JSON text, as sent) and what its error must say. */
const CASES: { intent: string; body: string; message: RegExp }[] = [
  {
    intent: "a delay of 1e300 seconds",
    body: '{"command":"true","delay":1e300}',
    message: /delay.*100 years/,
  },
  {
    intent: 'a delay of "99999999999999d"',
    body: '{"command":"true","delay":"99999999999999d"}',
    message: /delay.*100 years/,
  },
  {
    intent: "a run_at past 9999-12-31T23:59:59.999Z",
    body: '{"command":"true","run_at":"9999-12-31T23:59:59.999-01:00"}',
    message: /run_at.*9999-12-31T23:59:59\.999Z/,
  },
  {
    intent: "a run_at with a zone offset of +99:99",
    body: '{"command":"true","run_at":"2026-01-01T00:00:00+99:99"}',
    message: /run_at "2026-01-01T00:00:00\+99:99"/,
  },
  {
    intent: 'a "__proto__" field',
    body: '{"command":"true","__proto__":1}',
    // Refused as an unknown field, or already where the body is read.
    message: /"__proto__"/,
  },
  {
    intent: 'a "constructor" field',
    body: '{"command":"true","constructor":1}',
    message: /Unknown field "constructor"/,
  },
  {
    intent: 'a shell named "constructor"',
    body: '{"command":"true","shell":"constructor"}',
    message: /shell "constructor"/,
  },
  {
    intent: "a command with a lone surrogate",
    body: '{"command":"echo \\ud800"}',
    message: /command.*surrogate/,
  },
  {
    intent: "a command one byte over the limit",
    body: JSON.stringify({ command: "x".repeat(LIMIT + 1) }),
    message: new RegExp(`command.*at most ${LIMIT} bytes`),
  },
  {
    intent: "an on_finish that is empty",
    body: '{"command":"true","on_finish":""}',
    message: /on_finish: it is empty/,
  },
  {
    intent: "an on_finish URL that does not parse",
    body: '{"command":"true","on_finish":"https://bad host/"}',
    message: /on_finish: "https:\/\/bad host\/" starts like a webhook URL/,
  },
  {
    intent: "an on_finish_when naming a state that is not final",
    body: '{"command":"true","on_finish":"./h.sh","on_finish_when":["failed"]}',
    message: /on_finish_when: "failed" is not an outcome/,
  },
  {
    intent: "an on_finish_when without on_finish",
    body: '{"command":"true","on_finish_when":["dead"]}',
    message: /needs a hook/,
  },
  {
    intent: "an env value over the limit",
    body: JSON.stringify({ command: "true", env: { BIG: "v".repeat(LIMIT + 1) } }),
    message: /env value for BIG.*bytes/,
  },
  {
    intent: "an on_complete without a batch",
    body: '{"command":"true","on_complete":"echo done"}',
    message: /"on_complete" needs "batch"/,
  },
  {
    intent: "a batch name with a space",
    body: '{"command":"true","batch":"a b"}',
    message: /Invalid batch "a b"/,
  },
  {
    intent: "a batch name that is a number, with callbacks",
    body: '{"command":"true","batch":7,"on_failure":"echo oops"}',
    message: /Invalid batch 7/,
  },
  {
    intent: "an on_failure that is not a string",
    body: '{"command":"true","batch":"b","on_failure":["echo"]}',
    message: /Invalid on_failure/,
  },
  {
    intent: "an empty on_complete",
    body: '{"command":"true","batch":"b","on_complete":""}',
    message: /Invalid on_complete: it is empty/,
  },
];

onEveryStore.test(
  "the batch API answers 409 for a settled batch or other callbacks, 404 for an unknown one, and stores nothing",
  async () => {
    await using sandbox = await makeSandbox();
    await sandbox.ok([
      "enqueue",
      "--batch",
      "open",
      "--on-complete",
      "echo a",
      "--delay",
      "1h",
      "--",
      "true",
    ]);
    await sandbox.ok(["enqueue", "--batch", "gone", "--id", "g1", "--delay", "1h", "--", "true"]);
    await sandbox.ok(["cancel", "g1"]);
    await withDashboard(sandbox, [], async (dashboard) => {
      const before = await snapshotDatabase(sandbox);
      for (
        const [body, message] of [
          [
            '{"command":"true","batch":"open","on_complete":"echo b"}',
            /its --on-complete is "echo a"/,
          ],
          ['{"command":"true","batch":"gone"}', /batch "gone": it settled \(failed\)/],
        ] as const
      ) {
        const answer = await dashboard.post("/api/jobs", body);
        assert.equal(answer.status, 409, `${body}: ${answer.text}`);
        assert.match(answer.json.error, message);
      }
      const unknown = await dashboard.get("/api/batches/ghost");
      assert.equal(unknown.status, 404, unknown.text);
      assert.match(unknown.json.error, /No batch "ghost"/);
      const bad = await dashboard.get("/api/jobs?batch=a%20b");
      assert.equal(bad.status, 400, bad.text);
      assert.equal(await snapshotDatabase(sandbox), before, "the database changed");
      // And the good answers, as the CLI gives them.
      const open = await dashboard.get("/api/batches/open");
      assert.deepEqual(
        open.json,
        JSON.parse(await sandbox.ok(["batch", "info", "open", "--json"])),
      );
      const list = await dashboard.get("/api/batches");
      assert.deepEqual(list.json, JSON.parse(await sandbox.ok(["batch", "list", "--json"])));
      const added = await dashboard.post(
        "/api/jobs",
        '{"command":"true","batch":"open","on_complete":"echo a","id":"o2"}',
      );
      assert.equal(added.status, 201, added.text);
      assert.equal(added.json.batch, "open");
      const jobs = await dashboard.get("/api/jobs?batch=open");
      assert.equal(jobs.json.jobs.length, 2);
    });
  },
);

onEveryStore.test(
  "POST /api/jobs answers 400 with one line for input the CLI refuses, and stores nothing",
  async (t) => {
    await using sandbox = await makeSandbox();
    await sandbox.ok(["enqueue", "--id", "existing", "--", "true"]);
    await withDashboard(sandbox, [], async (dashboard) => {
      for (const { intent, body, message } of CASES) {
        await t.step(intent, async () => {
          const before = await snapshotDatabase(sandbox);
          const answer = await dashboard.post("/api/jobs", body);
          const shown = `POST /api/jobs ${body.slice(0, 200)}: ${answer.status} ${
            answer.text.slice(0, 300)
          }`;
          assert.equal(answer.status, 400, shown);
          assert.equal(typeof answer.json?.error, "string", shown);
          assert.doesNotMatch(answer.json.error, /\n|Internal error/, shown);
          assert.match(answer.json.error, message, shown);
          assert.equal(await snapshotDatabase(sandbox), before, `the database changed: ${shown}`);
          const list = await dashboard.get("/api/jobs");
          assert.equal(list.status, 200, `GET /api/jobs after ${shown}: ${list.text}`);
          assert.deepEqual(list.json.jobs.map((job: { id: string }) => job.id), ["existing"]);
        });
      }
    });
  },
);
