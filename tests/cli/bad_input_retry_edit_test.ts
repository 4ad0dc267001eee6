/**
 * Bad input to `retry` and `edit`, table-driven like `bad_input_test.ts`: every case runs one
 * wrong command line against a database that holds data (completed, dead, canceled, pending and
 * blocked jobs) and checks that queuectl answers with the documented exit code (2 usage, 3 not
 * found, 5 conflict) and one plain line on stderr, prints nothing on stdout, and changes nothing.
 *
 * @module
 */
import {
  type BadInputCase,
  badInputTest,
  CONFLICT,
  NOT_FOUND,
  USAGE,
} from "../helpers/bad_input.ts";
import type { Sandbox } from "../helpers/cli.ts";

const retry = (...args: string[]) => () => ["retry", ...args];
const edit = (...args: string[]) => () => ["edit", ...args];

/** The longest command enqueue takes (127 KiB), and one byte more. */
const TOO_LONG = "x".repeat(127 * 1024 + 1);

const CASES: BadInputCase[] = [
  // --- retry by ids ----------------------------------------------------------------------------
  { intent: "retry with no id and no filter", args: retry(), code: USAGE, message: /Missing/ },
  { intent: "retry of an id with a space", args: retry("a b"), code: USAGE, message: /"a b"/ },
  { intent: "retry of an unknown id", args: retry("ghost"), code: NOT_FOUND, message: /"ghost"/ },
  {
    intent: "retry of a finished job and an unknown one: neither is retried",
    args: retry("done", "ghost"),
    code: NOT_FOUND,
    message: /"ghost"/,
  },
  {
    intent: "retry of a pending job",
    args: retry("waiting"),
    code: CONFLICT,
    message: /"waiting": its state is "pending"/,
  },
  {
    intent: "retry of a dead job and a pending one: neither is retried",
    args: retry("dead", "waiting"),
    code: CONFLICT,
    message: /"waiting"/,
  },
  {
    intent: "retry of a blocked job",
    args: retry("held"),
    code: CONFLICT,
    message: /"held": its state is "blocked"/,
  },
  {
    intent: "retry of ids and --filter together",
    args: retry("done", "--filter", "state=dead"),
    code: USAGE,
    message: /not both/,
  },
  { intent: "retry --yes without --filter", args: retry("done", "--yes"), code: USAGE },
  // --- retry --filter --------------------------------------------------------------------------
  {
    intent: "an unknown filter key",
    args: retry("--filter", "state=dead,color=red"),
    code: USAGE,
    message: /"color"/,
  },
  {
    intent: "a filter part without a value",
    args: retry("--filter", "state"),
    code: USAGE,
    message: /KEY=VALUE/,
  },
  {
    intent: "a filter with an empty value",
    args: retry("--filter", "queue="),
    code: USAGE,
  },
  {
    intent: "a filter on an unknown state",
    args: retry("--filter", "state=zombie", "--yes"),
    code: USAGE,
    message: /"zombie"/,
  },
  {
    intent: "a filter on a state that is not finished",
    args: retry("--filter", "state=pending", "--yes"),
    code: USAGE,
    message: /pending/,
  },
  {
    intent: "a filter on a bad queue name",
    args: retry("--filter", "queue=a b", "--yes"),
    code: USAGE,
    message: /"a b"/,
  },
  {
    intent: "a filter since a time that is not one",
    args: retry("--filter", "since=yesterday", "--yes"),
    code: USAGE,
    message: /"yesterday"/,
  },
  {
    intent: "a filter with since twice",
    args: retry("--filter", "since=1h,since=2h", "--yes"),
    code: USAGE,
  },
  // --- edit ------------------------------------------------------------------------------------
  { intent: "edit with no id", args: edit(), code: USAGE, message: /Missing job id/ },
  { intent: "edit with nothing to change", args: edit("waiting"), code: USAGE, message: /Nothing/ },
  {
    intent: "edit of two ids",
    args: edit("waiting", "held", "--priority", "1"),
    code: USAGE,
  },
  { intent: "edit of an unknown id", args: edit("ghost", "--priority", "1"), code: NOT_FOUND },
  {
    intent: "edit of a completed job",
    args: edit("done", "--priority", "1"),
    code: CONFLICT,
    message: /"done": its state is "completed"/,
  },
  { intent: "edit of a dead job", args: edit("dead", "--command", "true"), code: CONFLICT },
  { intent: "edit of a canceled job", args: edit("dropped", "--env", "A=1"), code: CONFLICT },
  { intent: "edit --command empty", args: edit("waiting", "--command", " "), code: USAGE },
  {
    intent: "edit --command over 127 KiB, as enqueue refuses it",
    args: edit("waiting", "--command", TOO_LONG),
    code: USAGE,
    message: /bytes/,
  },
  {
    intent: "edit --env without =",
    args: edit("waiting", "--env", "NOEQUALS"),
    code: USAGE,
    message: /NAME=VALUE/,
  },
  {
    intent: "edit --env of a QUEUECTL_ name",
    args: edit("waiting", "--env", "QUEUECTL_DB=x"),
    code: USAGE,
  },
  {
    intent: "edit --env whose NAME=VALUE is over 127 KiB",
    args: edit("waiting", "--env", `A=${TOO_LONG}`),
    code: USAGE,
    message: /bytes/,
  },
  {
    intent: "edit --priority not a number",
    args: edit("waiting", "--priority", "high"),
    code: USAGE,
  },
  {
    intent: "edit --priority out of range",
    args: edit("waiting", "--priority", "1000001"),
    code: USAGE,
  },
  {
    intent: "edit --priority not whole",
    args: edit("waiting", "--priority", "1.5"),
    code: USAGE,
  },
  {
    intent: "edit --run-at without a zone",
    args: edit("waiting", "--run-at", "2030-01-01T09:00:00"),
    code: USAGE,
  },
  {
    intent: "edit --run-at on a day that does not exist",
    args: edit("held", "--run-at", "2030-02-30T09:00:00Z"),
    code: USAGE,
  },
  {
    intent: "edit with a good value and a bad one: neither is applied",
    args: edit("waiting", "--priority", "3", "--run-at", "soon"),
    code: USAGE,
  },
];

/** Seeded on top of the common data: a canceled job and a blocked one. */
const RETRY_EDIT_SEED = {
  async seed(sandbox: Sandbox) {
    await sandbox.ok(["enqueue", "--id", "dropped", "--", "true"]);
    await sandbox.ok(["cancel", "dropped"]);
    await sandbox.ok(["enqueue", "--id", "held", "--after", "waiting", "--", "true"]);
  },
  markers: ['"state":"canceled"', '"state":"blocked"'],
};

badInputTest(
  "bad retry and edit input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
  RETRY_EDIT_SEED,
);
