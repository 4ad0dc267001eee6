/**
 * `POST /api/jobs/retry` with a filter refuses what `queuectl retry --filter` refuses (and an
 * empty filter, rather than retrying every finished job), as a 400 with one plain line in
 * `{"error": …}`, and changes nothing: the dead jobs stay dead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";
import { makeDead, withDashboard } from "../helpers/dashboard.ts";

/** One bad body of `POST /api/jobs/retry` and what its error must say. */
const CASES: { intent: string; body: unknown; message: RegExp }[] = [
  { intent: "an unknown state", body: { filter: { state: "zombie" } }, message: /"zombie"/ },
  {
    intent: "a state that is not finished",
    body: { filter: { state: ["dead", "pending"] } },
    message: /Cannot retry pending jobs/,
  },
  { intent: "a since that is no time", body: { filter: { since: "soon" } }, message: /since/ },
  { intent: "a since as a number", body: { filter: { since: 3600 } }, message: /since/ },
  { intent: "a bad queue name", body: { filter: { queue: "a b" } }, message: /queue "a b"/ },
  { intent: "a state that is no string", body: { filter: { state: 7 } }, message: /state/ },
  { intent: "an empty state list", body: { filter: { state: [] } }, message: /state/ },
  {
    intent: "an unknown filter key",
    body: { filter: { state: "dead", color: "red" } },
    message: /Unknown field "color"/,
  },
  {
    intent: "an empty filter: refused, not every finished job",
    body: { filter: {}, dry_run: false },
    message: /Empty filter/,
  },
  { intent: "a filter that is a string", body: { filter: "state=dead" }, message: /filter/ },
  { intent: "a filter that is null", body: { filter: null }, message: /got null/ },
  {
    intent: "ids and a filter together",
    body: { ids: ["d-1"], filter: { state: "dead" } },
    message: /ids or filter, not both/,
  },
  {
    intent: "dry_run that is not a boolean",
    body: { filter: { state: "dead" }, dry_run: "no" },
    message: /dry_run must be true or false/,
  },
  {
    intent: "dry_run with ids",
    body: { ids: ["d-1"], dry_run: false },
    message: /dry_run goes with filter/,
  },
  { intent: "an unknown field", body: { filter: { state: "dead" }, yes: true }, message: /"yes"/ },
  { intent: "neither ids nor filter", body: {}, message: /Expected/ },
];

onEveryStore.test(
  "POST /api/jobs/retry answers 400 with one line for a bad filter, and changes nothing",
  async (t) => {
    await using sandbox = await makeSandbox();
    await makeDead(sandbox, ["d-1", "d-2"]);
    await withDashboard(sandbox, [], async (dashboard) => {
      for (const { intent, body, message } of CASES) {
        await t.step(intent, async () => {
          const before = await snapshotDatabase(sandbox);
          const answer = await dashboard.post("/api/jobs/retry", body);
          const shown = `${JSON.stringify(body)}: ${answer.status} ${answer.text}`;
          assert.equal(answer.status, 400, shown);
          assert.equal(typeof answer.json?.error, "string", shown);
          assert.doesNotMatch(answer.json.error, /\n|Internal error/, shown);
          assert.match(answer.json.error, message, shown);
          assert.equal(await snapshotDatabase(sandbox), before, `the database changed: ${shown}`);
        });
      }
      assert.equal((await sandbox.info("d-1")).state, "dead");
      assert.equal((await sandbox.info("d-2")).state, "dead");
    });
  },
);
