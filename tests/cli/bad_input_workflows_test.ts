/**
 * Bad input to the workflow and schedule features, table-driven like `bad_input_test.ts`: every
 * case runs one wrong command line against a database that holds data (finished, waiting and
 * blocked jobs, a unique key, a schedule) and checks that queuectl answers with the documented
 * exit code and one plain line on stderr, prints nothing on stdout, and changes nothing.
 *
 * @module
 */
import { join } from "node:path";
import {
  type BadInputCase,
  badInputTest,
  CONFLICT,
  NOT_FOUND,
  USAGE,
} from "../helpers/bad_input.ts";
import type { Sandbox } from "../helpers/cli.ts";

const enqueue = (json: Record<string, unknown>) => () => ["enqueue", JSON.stringify(json)];
const scheduleAdd = (...args: string[]) => () => ["schedule", "add", ...args];

/** Writes a JSON-lines batch into the sandbox and returns `enqueue --file` of it. */
const enqueueFile = (jobs: Record<string, unknown>[]) => async (sandbox: Sandbox) => {
  const path = join(sandbox.dir, "batch.jsonl");
  await Deno.writeTextFile(path, jobs.map((job) => JSON.stringify(job)).join("\n") + "\n");
  return ["enqueue", "--file", path];
};

const CASES: BadInputCase[] = [
  // --- after -----------------------------------------------------------------------------------
  {
    intent: "enqueue --after an empty string",
    args: () => ["enqueue", "--after", "", "--", "true"],
    code: USAGE,
    message: /""/,
  },
  {
    intent: "enqueue --after an id with a space in it",
    args: () => ["enqueue", "--after", "a b", "--", "true"],
    code: USAGE,
    message: /"a b"/,
  },
  {
    intent: "enqueue --after with an empty id between commas",
    args: () => ["enqueue", "--after", "waiting,,done", "--", "true"],
    code: USAGE,
    message: /""/,
  },
  {
    intent: "after given as a number",
    args: enqueue({ command: "true", after: 5 }),
    code: USAGE,
    message: /after/,
  },
  {
    intent: "after given as an array of numbers",
    args: enqueue({ command: "true", after: [1] }),
    code: USAGE,
    message: /after/,
  },
  {
    intent: "after naming a job that does not exist",
    args: () => ["enqueue", "--id", "orphan", "--after", "waiting,ghost", "--", "true"],
    code: NOT_FOUND,
    message: /"ghost"/,
  },
  {
    intent: "after naming a dead job",
    args: enqueue({ id: "late", command: "true", after: ["dead"] }),
    code: CONFLICT,
    message: /"dead" is dead/,
  },
  {
    intent: "after naming a canceled job",
    args: () => ["enqueue", "--after", "dropped", "--", "true"],
    code: CONFLICT,
    message: /"dropped" is canceled/,
  },
  {
    intent: "a job that waits on itself",
    args: enqueue({ id: "self", command: "true", after: ["self"] }),
    code: USAGE,
    message: /"self" → "self"/,
  },
  {
    intent: "a --file batch whose jobs wait on each other in a circle",
    args: enqueueFile([
      { id: "x", command: "true", after: ["waiting"] },
      { id: "y", command: "true", after: ["x", "z"] },
      { id: "z", command: "true", after: ["y"] },
    ]),
    code: USAGE,
    message: /circle: "y" → "z" → "y"|circle: "z" → "y" → "z"/,
  },
  {
    intent: "a --file batch with a parent that does not exist on its last line",
    args: enqueueFile([
      { id: "x", command: "true" },
      { id: "y", command: "true", after: ["x", "ghost"] },
    ]),
    code: NOT_FOUND,
    message: /"ghost"/,
  },

  // --- unique keys -----------------------------------------------------------------------------
  {
    intent: "enqueue --unique with an empty key",
    args: () => ["enqueue", "--unique", "", "--", "true"],
    code: USAGE,
    message: /--unique/,
  },
  {
    intent: "unique_key given as a number",
    args: enqueue({ command: "true", unique_key: 5 }),
    code: USAGE,
    message: /unique_key/,
  },
  {
    intent: "unique_key longer than 256 characters",
    args: enqueue({ command: "true", unique_key: "k".repeat(257) }),
    code: USAGE,
    message: /unique_key/,
  },

  // --- schedule add ----------------------------------------------------------------------------
  {
    intent: "schedule add with a minute out of range",
    args: scheduleAdd("hourly", "61 * * * *", "--", "true"),
    code: USAGE,
    message: /"61 \* \* \* \*".*61/,
  },
  {
    intent: "schedule add with a seconds field, without the test hook",
    args: scheduleAdd("fast", "* * * * * *", "--", "true"),
    code: USAGE,
    message: /5 fields/,
  },
  {
    intent: "schedule add with seven fields, even with the test hook",
    args: scheduleAdd("fast", "* * * * * * *", "--", "true"),
    env: { QUEUECTL_TEST_CRON_SECONDS: "1" },
    code: USAGE,
    message: /cron expression/,
  },
  {
    intent: "schedule add with four fields",
    args: scheduleAdd("short", "* * * *", "--", "true"),
    code: USAGE,
    message: /5 fields/,
  },
  {
    intent: "schedule add with a nickname cron does not know",
    args: scheduleAdd("often", "@every_minute", "--", "true"),
    code: USAGE,
    message: /@every_minute/,
  },
  {
    intent: "schedule add with a time zone that does not exist",
    args: scheduleAdd("mars", "0 9 * * *", "--tz", "Mars/Olympus", "--", "true"),
    code: USAGE,
    message: /Mars\/Olympus/,
  },
  {
    // An empty zone is no IANA zone; taken as given, each worker reads the schedule in its own
    // local zone.
    intent: "schedule add with an empty time zone",
    args: scheduleAdd("nozone", "0 9 * * *", "--tz", "", "--", "true"),
    code: USAGE,
    message: /time zone/,
  },
  {
    intent: 'schedule add with nothing after "--"',
    args: scheduleAdd("empty", "* * * * *", "--"),
    code: USAGE,
    message: /command/,
  },
  {
    intent: "schedule add with no command at all",
    args: scheduleAdd("empty", "* * * * *"),
    code: USAGE,
    message: /command/,
  },
  {
    intent: "schedule add with no cron expression",
    args: scheduleAdd("nocron", "--", "true"),
    code: USAGE,
    message: /cron/,
  },
  {
    intent: "schedule add with a name that has a space",
    args: scheduleAdd("bad name", "* * * * *", "--", "true"),
    code: USAGE,
    message: /"bad name"/,
  },
  {
    intent: "schedule add with a name longer than 64 characters",
    args: scheduleAdd("n".repeat(65), "* * * * *", "--", "true"),
    code: USAGE,
    message: /schedule name/,
  },
  {
    intent: "schedule add with a --missed policy that does not exist",
    args: scheduleAdd("m", "* * * * *", "--missed", "sometimes", "--", "true"),
    code: USAGE,
    message: /sometimes/,
  },
  {
    intent: "schedule add with a priority that is not a number",
    args: scheduleAdd("p", "* * * * *", "--priority", "high", "--", "true"),
    code: USAGE,
    message: /--priority/,
  },
  {
    intent: "schedule add with an --env that has no value",
    args: scheduleAdd("e", "* * * * *", "--env", "FOO", "--", "true"),
    code: USAGE,
    message: /--env/,
  },
  {
    intent: "schedule add with a name that exists",
    args: scheduleAdd("nightly", "0 4 * * *", "--", "true"),
    code: CONFLICT,
    message: /"nightly"/,
  },

  // --- schedule pause / resume / remove --------------------------------------------------------
  {
    intent: "schedule pause of a schedule that does not exist",
    args: () => ["schedule", "pause", "nope"],
    code: NOT_FOUND,
    message: /"nope"/,
  },
  {
    intent: "schedule resume of a schedule that does not exist",
    args: () => ["schedule", "resume", "nope"],
    code: NOT_FOUND,
    message: /"nope"/,
  },
  {
    intent: "schedule remove of a schedule that does not exist",
    args: () => ["schedule", "remove", "nope"],
    code: NOT_FOUND,
    message: /"nope"/,
  },
  {
    intent: "schedule remove with no name",
    args: () => ["schedule", "remove"],
    code: USAGE,
    message: /name/,
  },
  {
    intent: "schedule pause with two names",
    args: () => ["schedule", "pause", "nightly", "other"],
    code: USAGE,
    message: /name/,
  },
  {
    intent: "a schedule subcommand that does not exist",
    args: () => ["schedule", "delete", "nightly"],
    code: USAGE,
    message: /delete/,
  },
];

/** Seeded on top of the common data: a canceled job, a blocked one holding a key, a schedule. */
const WORKFLOW_SEED = {
  async seed(sandbox: Sandbox) {
    await sandbox.ok(["enqueue", "--id", "dropped", "--", "true"]);
    await sandbox.ok(["cancel", "dropped"]);
    await sandbox.ok([
      "enqueue",
      "--id",
      "held",
      "--after",
      "waiting",
      "--unique",
      "k",
      "--",
      "true",
    ]);
    await sandbox.ok(["schedule", "add", "nightly", "0 3 * * *", "--", "./nightly.sh"]);
  },
  markers: ['"state":"canceled"', '"state":"blocked"', '"unique_key":"k"', '"name":"nightly"'],
};

badInputTest(
  "bad workflow and schedule input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
  WORKFLOW_SEED,
);
